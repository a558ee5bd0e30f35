/**
 * The retained bridge payloads Zigbee2MQTT 2.x publishes (`bridge/info`, `bridge/devices`,
 * `bridge/groups`), shaped as its bridge extension shapes them. Zigbee2MQTT serialises them
 * with sorted keys, and so does `stableJson`.
 */
import type { Home, JsonObject, SimDevice } from './home.ts';

export const simulatedVersions = {
  zigbee2mqtt: '2.12.1',
  converters: '26.112.0',
  herdsman: '10.9.3',
} as const;

export const coordinatorIeee = '0x00124b0000000000';

export interface InfoOptions {
  baseTopic: string;
  server: string;
  permitJoin: boolean;
  permitJoinEnd?: number;
}

export function bridgeInfo(options: InfoOptions): JsonObject {
  return {
    version: simulatedVersions.zigbee2mqtt,
    commit: 'simulated',
    zigbee_herdsman_converters: { version: simulatedVersions.converters },
    zigbee_herdsman: { version: simulatedVersions.herdsman },
    coordinator: { ieee_address: coordinatorIeee, type: 'EmberZNet', meta: { revision: 'sim' } },
    network: { pan_id: 6754, extended_pan_id: '0xdddddddddddddddd', channel: 11 },
    log_level: 'info',
    permit_join: options.permitJoin,
    permit_join_end: options.permitJoinEnd,
    restart_required: false,
    mqtt: { server: options.server, version: 4 },
    os: { version: 'simulated', node_version: process.version, cpus: 'simulated', memory_mb: 0 },
    config: {
      homeassistant: { enabled: false },
      mqtt: { base_topic: options.baseTopic, server: options.server },
      advanced: { log_level: 'info', last_seen: 'disable', cache_state: true },
      availability: { enabled: false },
      device_options: {},
      devices: {},
      groups: {},
    },
    config_schema: {},
  };
}

export function bridgeDevices(home: Home): JsonObject[] {
  return [coordinatorEntry(), ...home.devices.map(deviceEntry)];
}

export function bridgeGroups(home: Home): JsonObject[] {
  return home.groups.map((group) => ({
    id: group.id,
    friendly_name: group.name,
    scenes: group.scenes,
    members: group.members.map((m) => ({ ieee_address: m.zh.ieeeAddr, endpoint: m.endpoint.ID })),
  }));
}

function coordinatorEntry(): JsonObject {
  return {
    ieee_address: coordinatorIeee,
    type: 'Coordinator',
    network_address: 0,
    supported: true,
    friendly_name: 'Coordinator',
    disabled: false,
    power_source: 'Mains (single phase)',
    interviewing: false,
    interview_completed: true,
    interview_state: 'SUCCESSFUL',
    endpoints: { 1: endpointEntry([], []) },
  };
}

function deviceEntry(device: SimDevice): JsonObject {
  const { zh, definition } = device;
  return {
    ieee_address: zh.ieeeAddr,
    type: zh.type,
    network_address: zh.networkAddress,
    supported: true,
    friendly_name: device.name,
    disabled: false,
    definition: {
      source: 'native',
      model: definition.model,
      vendor: definition.vendor,
      description: definition.description,
      exposes: device.exposes,
      supports_ota: Boolean(definition.ota),
      options: JSON.parse(JSON.stringify(definition.options ?? [])) as unknown,
    },
    power_source: zh.powerSource,
    software_build_id: zh.softwareBuildID,
    date_code: zh.dateCode,
    model_id: zh.modelID,
    interviewing: false,
    interview_completed: true,
    interview_state: zh.interviewState,
    manufacturer: zh.manufacturerName,
    endpoints: Object.fromEntries(
      zh.endpoints.map((e) => [e.ID, endpointEntry(e.inputClusters, e.outputClusters)]),
    ),
  };
}

function endpointEntry(input: string[], output: string[]): JsonObject {
  return { scenes: [], bindings: [], configured_reportings: [], clusters: { input, output } };
}

/** A `bridge/event` payload for a device joining, announcing itself or leaving. */
export function bridgeEvent(
  type: 'device_joined' | 'device_announce' | 'device_leave',
  device: SimDevice,
): JsonObject {
  return { type, data: { friendly_name: device.name, ieee_address: device.zh.ieeeAddr } };
}

/** JSON with object keys sorted, as Zigbee2MQTT's json-stable-stringify writes it. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
