/**
 * A Zigbee2MQTT 2.x bridge simulator over a real MQTT broker, for tests, benchmarks and demos.
 * It publishes the retained bridge topics, device state (not retained), applies `/set` through
 * the real zigbee-herdsman-converters, reports failures only on `bridge/logging`, answers `/get`
 * and bridge requests, and can be driven by tests (offline, failures, silent devices, sensor
 * updates, a steady stream of state for benchmarks).
 */
import { connectAsync } from 'mqtt';
import { convert, isGroup, type SimEntity } from './apply-set.ts';
import { bridgeEvent, stableJson } from './bridge-payloads.ts';
import { createBridgePublisher } from './bridge-publisher.ts';
import { handleRequest, type RequestContext } from './bridge-requests.ts';
import { createRandom, driftOf, drifts, startStream } from './drift.ts';
import { createHome, type Home, type JsonObject, type SimDevice } from './home.ts';
import { createBridgeLogger, type LogFormat } from './logging.ts';
import { parseGetSet, parsePayload } from './topics.ts';

export interface BridgeSimulatorOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  /** Zigbee2MQTT's `mqtt.base_topic`. Default `zigbee2mqtt`. */
  baseTopic?: string;
  /** A home made with `createHome()`; default: `createHome({ devices })`. */
  home?: Home;
  /** Number of devices when no `home` is given; default the 12-device hand-made home. */
  devices?: number;
  /** Publish retained `<name>/availability` (off by default in Zigbee2MQTT). */
  availability?: boolean;
  /** Adds `last_seen` to state as Zigbee2MQTT's `advanced.last_seen` does. Default `disable`. */
  lastSeen?: 'disable' | 'epoch' | 'ISO_8601';
  /** `bridge/logging` payload form; see logging.ts. Default `runtime`. */
  logFormat?: LogFormat;
  clientId?: string;
}

export interface BridgeSimulator extends AsyncDisposable {
  readonly home: Home;
  readonly baseTopic: string;
  /** A device by friendly name or IEEE address; throws when there is none. */
  device(name: string): SimDevice;
  /** Publishes retained `bridge/state` offline and stops answering anything. */
  goOffline(): Promise<void>;
  /** Back online: republishes every retained bridge topic, as a restarted bridge does. */
  goOnline(): Promise<void>;
  /**
   * The device (or group) reports `partial`: merged into its state and the full state published.
   * `action` is published but not kept, as Zigbee2MQTT does with event properties.
   */
  emitState(name: string, partial: JsonObject): Promise<void>;
  /** Publishes `bridge/event` (not retained) for the device, e.g. `device_announce`. */
  emitEvent(
    type: 'device_joined' | 'device_announce' | 'device_leave',
    name: string,
  ): Promise<void>;
  /** One round of sensor readings: every drifting device publishes a moved reading. */
  tick(): Promise<void>;
  /** The next `/set` to `name` fails with `message`, logged as Zigbee2MQTT logs a radio error. */
  failNext(name: string, message: string): void;
  /** `name` ignores `/set` and `/get` (no state, no log) until called with `false`. */
  silence(name: string, silent?: boolean): void;
  /** Publishes `perSecond` state updates round-robin over all devices; returns the stop. */
  startStateStream(perSecond: number): () => void;
  /** Drops the connection without DISCONNECT, so the broker publishes the last will. */
  crash(): Promise<void>;
  /** Disconnects cleanly (no last will). Safe to call twice. */
  stop(): Promise<void>;
}

export async function startBridgeSimulator(
  options: BridgeSimulatorOptions,
): Promise<BridgeSimulator> {
  const base = options.baseTopic ?? 'zigbee2mqtt';
  const home = options.home ?? (await createHome({ devices: options.devices }));
  const devicesByIeee = new Map(home.devices.map((d) => [d.zh.ieeeAddr, d]));
  const failures = new Map<SimEntity, string>();
  const silenced = new Set<SimEntity>();
  const random = createRandom(7);
  const streams = new Set<() => void>();
  let online = true;
  let stopped = false;
  let permitJoinTimer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  const client = await connectAsync(options.url, {
    clientId: options.clientId ?? `zigbee2mqtt_sim_${process.pid}_${Date.now().toString(36)}`,
    reconnectPeriod: 500,
    will: {
      topic: `${base}/bridge/state`,
      payload: Buffer.from('{"state":"offline"}'),
      retain: true,
      qos: 1,
    },
  });
  const out = createBridgePublisher({
    client,
    base,
    home,
    server: options.url,
    availability: options.availability ?? false,
    lastSeen: options.lastSeen ?? 'disable',
  });
  const log = createBridgeLogger(options.logFormat ?? 'runtime', (payload) =>
    out.publish('bridge/logging', payload),
  );

  const findEntity = (id: string): SimEntity | undefined =>
    home.devices.find((d) => d.name === id || d.zh.ieeeAddr === id) ??
    home.groups.find((g) => g.name === id || String(g.id) === id);
  const entity = (name: string): SimEntity => {
    const found = findEntity(name);
    if (!found) throw new Error(`simulator: no device or group '${name}'`);
    return found;
  };
  const device = (name: string): SimDevice => {
    const found = entity(name);
    if (isGroup(found)) throw new Error(`simulator: '${name}' is a group, not a device`);
    return found;
  };

  const requests: RequestContext = {
    findEntity,
    publish: (topic, payload, opts) => out.publish(topic, payload, opts),
    publishDevices: () => out.publishDevices(),
    publishGroups: () => out.publishGroups(),
    publishState: (target) => out.publishState(target),
    renamed: async (target, from) => {
      if (!options.availability) return;
      await out.publish(`${from}/availability`, '', { retain: true });
      await out.publishAvailability(target);
    },
    setPermitJoin: async (seconds) => {
      clearTimeout(permitJoinTimer);
      out.permitJoinEnd = seconds > 0 ? Date.now() + seconds * 1000 : undefined;
      if (seconds > 0) {
        permitJoinTimer = setTimeout(() => void requests.setPermitJoin(0), seconds * 1000);
        permitJoinTimer.unref();
      }
      await out.publishInfo();
    },
    logError: (message) => log.error(message),
  };

  const getOrSet = async (
    name: string,
    type: 'set' | 'get',
    attribute: string | undefined,
    raw: string,
  ): Promise<void> => {
    const target = findEntity(name);
    if (!target) return log.error(`Entity '${name}' is unknown`);
    if (silenced.has(target)) return;
    const message = parsePayload(raw, attribute);
    if (!message) return log.error(`Invalid message 'undefined', skipping...`);
    const failure = type === 'set' ? failures.get(target) : undefined;
    if (failure !== undefined) {
      failures.delete(target);
      const key = Object.keys(message)[0] ?? 'state';
      return log.error(`Publish 'set' '${key}' to '${target.name}' failed: 'Error: ${failure}'`);
    }
    const outcome = await convert(target, type, message, devicesByIeee);
    for (const error of outcome.errors) await log.error(error);
    for (const [changed, change] of outcome.changes) {
      Object.assign(changed.state, change);
      await out.publishState(changed);
    }
    // A read makes the device report; Zigbee2MQTT publishes that as ordinary state.
    const read = type === 'get' && outcome.errors.length < Object.keys(message).length;
    if (read) await out.publishState(target);
  };

  const onMessage = async (topic: string, payload: Buffer): Promise<void> => {
    if (stopped || !online || !topic.startsWith(`${base}/`)) return;
    const rest = topic.slice(base.length + 1);
    const raw = payload.toString('utf8');
    if (rest.startsWith('bridge/request/')) {
      return handleRequest(requests, rest.slice('bridge/request/'.length), raw);
    }
    const parsed = parseGetSet(rest);
    if (parsed) await getOrSet(parsed.name, parsed.type, parsed.attribute, raw);
  };
  client.on('message', (topic, payload) => {
    // One message at a time, in arrival order, so that results come out in request order.
    chain = chain
      .then(() => onMessage(topic, payload))
      .catch((error: unknown) => console.error('zigbee simulator:', error));
  });
  // After a reconnect the broker may have lost retained messages (restarted without
  // persistence): publish them again.
  client.on('connect', () => {
    if (online && !stopped) chain = chain.then(() => out.publishBridge()).catch(() => {});
  });
  await client.subscribeAsync(`${base}/#`);
  await out.publishBridge();

  const emitState = async (name: string, partial: JsonObject): Promise<void> => {
    const target = entity(name);
    const { action, ...kept } = partial;
    Object.assign(target.state, kept);
    if (online && !stopped) await out.publishState(target, action === undefined ? {} : { action });
  };
  const endStreams = (): void => {
    for (const stopStream of streams) stopStream();
    streams.clear();
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    endStreams();
    clearTimeout(permitJoinTimer);
    await chain;
    await client.endAsync();
  };

  return {
    home,
    baseTopic: base,
    device,
    goOffline: async () => {
      online = false;
      await out.publishBridgeState('offline');
    },
    goOnline: async () => {
      online = true;
      await out.publishBridge();
    },
    emitState,
    emitEvent: (type, name) =>
      out.publish('bridge/event', stableJson(bridgeEvent(type, device(name)))),
    tick: async () => {
      for (const d of home.devices) if (drifts(d)) await emitState(d.name, driftOf(d, random));
    },
    failNext: (name, message) => void failures.set(entity(name), message),
    silence: (name, silent = true) => {
      if (silent) silenced.add(entity(name));
      else silenced.delete(entity(name));
    },
    startStateStream: (perSecond) => {
      const stopStream = startStream(perSecond, home.devices, (d) => {
        emitState(d.name, driftOf(d, random)).catch(() => {});
      });
      streams.add(stopStream);
      return () => {
        stopStream();
        streams.delete(stopStream);
      };
    },
    crash: async () => {
      stopped = true;
      endStreams();
      clearTimeout(permitJoinTimer);
      client.options.reconnectPeriod = 0;
      client.stream.destroy();
      await client.endAsync(true);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
