/**
 * A simulated home of real Zigbee devices: each device gets its definition from
 * zigbee-herdsman-converters (looked up by model ID as Zigbee2MQTT does), fake herdsman objects
 * for the converters to talk to, and a first state generated from its exposes. `createHome()`
 * gives the hand-made home; `createHome({ devices: 500 })` adds generated devices for benchmarks.
 */
import { access, findByDevice, Numeric, setLogger } from 'zigbee-herdsman-converters';
import type { Definition } from 'zigbee-herdsman-converters';
import { catalogue, deviceKinds, namedHome, type DeviceKind } from './catalogue.ts';
import { initialState } from './initial-state.ts';
import { Device, Endpoint, Group } from './zh-fakes.ts';

export type JsonObject = Record<string, unknown>;

export interface SimDevice {
  name: string;
  kind: DeviceKind;
  zh: Device;
  endpoint: Endpoint;
  definition: Definition;
  /** The exposes as they appear in `bridge/devices` (JSON, with `linkquality` appended). */
  exposes: JsonObject[];
  /** The full cached state (what Zigbee2MQTT publishes), without event keys such as `action`. */
  state: JsonObject;
}

export interface SimGroup {
  id: number;
  name: string;
  zh: Group;
  members: SimDevice[];
  scenes: Array<{ id: number; name: string }>;
  state: JsonObject;
}

export interface Home {
  devices: SimDevice[];
  groups: SimGroup[];
}

export interface HomeOptions {
  /** Total number of devices (at least the hand-made ones). Default: the hand-made home only. */
  devices?: number;
}

const rooms = ['living_room', 'kitchen', 'bedroom', 'hallway', 'office', 'garage', 'attic'];

/** Builds a home; definitions are looked up once per kind and shared. */
export async function createHome(options: HomeOptions = {}): Promise<Home> {
  quietConverterLogs();
  const plan = [...namedHome];
  const total = Math.max(options.devices ?? plan.length, 0);
  plan.length = Math.min(plan.length, total);
  for (let i = plan.length; i < total; i++) {
    const kind = deviceKinds[i % deviceKinds.length] ?? 'plug';
    plan.push({ name: `${rooms[i % rooms.length] ?? 'room'}/${kind}_${i}`, kind });
  }

  const definitions = new Map<DeviceKind, Definition>();
  const devices: SimDevice[] = [];
  for (const [index, { name, kind }] of plan.entries()) {
    const zh = makeZhDevice(kind, index);
    let definition = definitions.get(kind);
    if (!definition) {
      definition = await findByDevice(zh as never);
      if (!definition) throw new Error(`no zigbee-herdsman-converters definition for ${kind}`);
      definitions.set(kind, definition);
    }
    const exposes = exposesJson(definition, zh);
    const endpoint = zh.endpoints[0] as Endpoint;
    devices.push({
      name,
      kind,
      zh,
      endpoint,
      definition,
      exposes,
      state: initialState(kind, exposes),
    });
  }

  const lights = devices.filter(
    (d) => d.name.startsWith('living_room/') && d.kind.includes('light'),
  );
  const groups: SimGroup[] = [
    {
      id: 1,
      name: 'living_room/lights',
      zh: new Group({ groupID: 1, members: lights.map((d) => d.endpoint) }),
      members: lights,
      scenes: [
        { id: 1, name: 'Evening' },
        { id: 2, name: 'Movie' },
      ],
      state: { state: lights.some((d) => d.state.state === 'ON') ? 'ON' : 'OFF' },
    },
  ];
  return { devices, groups };
}

function makeZhDevice(kind: DeviceKind, index: number): Device {
  const entry = catalogue[kind];
  const device = new Device({
    ieeeAddr: `0x00124b00${(index + 1).toString(16).padStart(8, '0')}`,
    networkAddress: 0x1000 + index,
    modelID: entry.modelID,
    manufacturerName: entry.manufacturerName,
    type: entry.type,
    powerSource: entry.powerSource,
  });
  const endpoint = new Endpoint({ device, id: entry.endpoint, inputClusters: entry.inputClusters });
  for (const [cluster, values] of Object.entries(entry.attributes ?? {})) {
    endpoint.saveClusterAttributeKeyValue(cluster, values);
  }
  device.endpoints = [endpoint];
  return device;
}

// Zigbee2MQTT appends this to every device's exposes (lib/model/device.ts).
const linkquality = new Numeric('linkquality', access.STATE)
  .withUnit('lqi')
  .withDescription('Link quality (signal strength)')
  .withValueMin(0)
  .withValueMax(255)
  .withCategory('diagnostic');

function exposesJson(definition: Definition, zh: Device): JsonObject[] {
  const list =
    typeof definition.exposes === 'function'
      ? definition.exposes(zh as never, {})
      : definition.exposes;
  return JSON.parse(JSON.stringify([...list, linkquality])) as JsonObject[];
}

let quieted = false;
/** The converters log to the console by default; the simulator keeps only their errors. */
function quietConverterLogs(): void {
  if (quieted) return;
  quieted = true;
  const text = (m: string | (() => string)): string => (typeof m === 'function' ? m() : m);
  setLogger({
    debug: () => {},
    info: () => {},
    warning: () => {},
    error: (message: string | (() => string), namespace: string) =>
      console.error(`${namespace}: ${text(message)}`),
  });
}
