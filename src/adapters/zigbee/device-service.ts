/**
 * The Zigbee adapter as the rest of Hearth sees it: `startZigbee()` connects to Zigbee2MQTT's
 * broker (or starts the embedded one) and returns a `DeviceService` (src/common/devices.ts):
 * devices by IEEE address or friendly name, groups, live events, and `set` that succeeds only
 * when the device confirms. Devices saved in the `DeviceStore` are listed before the bridge
 * answers; new lists and last states are saved back (states batched once a second).
 */
import type { DeviceService, DeviceView, GroupView, SetResult } from '../../common/devices.ts';
import type { Logger } from '../../common/logger.ts';
import { redactURL, type ZigbeeConfig } from './config.ts';
import { DeviceRegistry } from './device-registry.ts';
import type { DeviceStore, StoredState } from './device-store.ts';
import type { DeviceEntry, DeviceToolsBackend } from './device-tools.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.ts';
import { validateSet } from './exposes-schema.ts';
import { SetTracker } from './set-device.ts';
import { ZigbeeClient } from './zigbee-client.ts';

/** What `startZigbee` returns: Hearth's `DeviceService` plus groups, tools and lifecycle. */
export interface ZigbeeService extends DeviceService {
  /** `DeviceService.set`, cancellable: an abort rejects with the signal's reason. */
  set(
    idOrName: string,
    state: Record<string, unknown>,
    options?: { signal?: AbortSignal },
  ): Promise<SetResult>;
  /** A set to a group, confirmed by the group's own state publish. */
  setGroup(
    idOrName: string | number,
    state: Record<string, unknown>,
    options?: { signal?: AbortSignal },
  ): Promise<SetResult>;
  /** The view `createDeviceTools()` (device-tools.ts) takes. */
  toolsBackend(): DeviceToolsBackend;
  /** Asks every device for its readable state again (paced). */
  refresh(): void;
  /** The broker in use (the embedded one when `mqttURL` is absent), without credentials. */
  readonly brokerURL: string;
  /** Disconnects, stops the embedded broker, saves the last states. Safe to call twice. */
  stop(): Promise<void>;
}

/** Inputs of `startZigbee`; `store` is optional (nothing survives a restart without it). */
export interface StartZigbeeOptions {
  config: ZigbeeConfig;
  logger: Logger;
  store?: DeviceStore;
  /** Where `usernameEnv`/`passwordEnv` are read. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Milliseconds between batched state saves. Default 1000. */
  saveEveryMs?: number;
}

const fail = (code: Extract<SetResult, { ok: false }>['code'], message: string): SetResult => ({
  ok: false,
  code,
  message,
});

/**
 * Starts the adapter: loads the store, starts the embedded broker when enabled, connects (in the
 * background: it resolves before the broker answers, and keeps retrying) and returns the service.
 */
export async function startZigbee(options: StartZigbeeOptions): Promise<ZigbeeService> {
  const { config, logger, store } = options;
  const env = options.env ?? process.env;
  const registry = new DeviceRegistry();
  const tracker = new SetTracker();

  if (store) {
    const saved = await store.load();
    registry.setDevices(saved.devices);
    registry.setGroups(saved.groups);
    for (const { id, state, at } of saved.states) registry.restoreState(id, state, at);
  }

  let broker: EmbeddedBroker | undefined;
  if (config.embeddedBroker.enabled) {
    broker = await startEmbeddedBroker({ ...config.embeddedBroker, logger });
  }
  const url = config.mqttURL ?? broker?.url;
  if (!url) throw new Error('zigbee: no mqttURL and no embedded broker');

  const client = new ZigbeeClient({
    url,
    baseTopic: config.baseTopic,
    ...(config.usernameEnv && { username: env[config.usernameEnv] }),
    ...(config.passwordEnv && { password: env[config.passwordEnv] }),
    ...(config.clientId && { clientId: config.clientId }),
    getsPerSecond: config.getsPerSecond,
    registry,
    tracker,
    logger,
  });

  const dirty = new Map<string, StoredState>();
  let listsDirty = false;
  const flush = async (): Promise<void> => {
    if (!store) return;
    try {
      if (listsDirty) {
        listsDirty = false;
        await store.saveDevices(registry.devices().map((d) => d.device));
        await store.saveGroups(registry.groups());
      }
      if (dirty.size > 0) {
        const states = [...dirty.values()];
        dirty.clear();
        await store.saveStates(states);
      }
    } catch (error) {
      logger.error({ err: error }, 'zigbee: saving devices failed');
    }
  };
  const saveTimer = store
    ? setInterval(() => void flush(), options.saveEveryMs ?? 1000)
    : undefined;
  saveTimer?.unref();
  registry.onEvent((event) => {
    if (event.type === 'devices.changed') listsDirty = true;
    else if (event.type === 'device.state' && Object.keys(event.state).length > 0)
      dirty.set(event.deviceId, { id: event.deviceId, state: event.state, at: event.at });
  });

  const track = async (
    name: string,
    state: Record<string, unknown>,
    published: readonly string[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<SetResult> => {
    const local = new AbortController();
    const both = signal ? AbortSignal.any([signal, local.signal]) : local.signal;
    const confirmed = tracker.track(name, state, {
      timeoutMs: config.setTimeoutMs,
      signal: both,
      ...(published && published.length > 0 && { published }),
    });
    try {
      await client.publish(`${name}/set`, state);
    } catch (error) {
      const reason = new Error((error as Error).message);
      local.abort(reason);
      await confirmed.catch(() => undefined);
      return fail('device_failed', `Could not publish to '${name}': ${reason.message}`);
    }
    return confirmed;
  };

  let stopped = false;
  const service: ZigbeeService = {
    brokerURL: redactURL(url),
    list: (): DeviceView[] => registry.devices().map((d) => registry.view(d)),
    get: (idOrName) => {
      const known = registry.find(idOrName);
      return known && registry.view(known);
    },
    groups: (): GroupView[] => registry.groups(),
    bridge: () => registry.bridge(),
    onEvent: (listener) => registry.onEvent(listener),
    refresh: () => client.refresh(),
    async set(idOrName, state, setOptions) {
      const known = registry.find(idOrName);
      if (!known) return fail('unknown_device', `There is no Zigbee device '${idOrName}'.`);
      if (!registry.bridge().online)
        return fail('bridge_offline', 'Zigbee2MQTT is offline; nothing was sent.');
      const check = validateSet(known.schema.settable, state);
      if (!check.ok) return fail('invalid_state', check.errors.join(' '));
      return track(known.device.name, state, known.schema.published, setOptions?.signal);
    },
    async setGroup(idOrName, state, setOptions) {
      const group = registry.group(idOrName);
      if (!group) return fail('unknown_device', `There is no Zigbee group '${String(idOrName)}'.`);
      if (!registry.bridge().online)
        return fail('bridge_offline', 'Zigbee2MQTT is offline; nothing was sent.');
      if (Object.keys(state).length === 0) return fail('invalid_state', 'Nothing to set.');
      return track(group.name, state, undefined, setOptions?.signal);
    },
    toolsBackend: () => ({
      list: () => registry.devices().map((d) => toEntry(registry, d)),
      groups: () => registry.groups(),
      set: (id, state) => service.set(id, state),
      setGroup: (id, state) => service.setGroup(id, state),
    }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(saveTimer);
      tracker.failAll(
        fail('bridge_offline', 'Hearth is stopping.') as Extract<SetResult, { ok: false }>,
      );
      await client.stop();
      await flush();
      await broker?.close();
    },
  };
  return service;
}

function toEntry(
  registry: DeviceRegistry,
  known: ReturnType<DeviceRegistry['devices']>[number],
): DeviceEntry {
  const view = registry.view(known);
  return {
    id: view.id,
    name: view.name,
    ...(view.room && { room: view.room }),
    model: view.model ?? '',
    vendor: view.vendor ?? '',
    description: view.description ?? '',
    type: view.type,
    availability: view.availability,
    exposesSchema: known.schema,
    state: view.state,
    ...(typeof view.state.last_seen === 'string' || typeof view.state.last_seen === 'number'
      ? { lastSeen: view.state.last_seen }
      : {}),
  };
}
