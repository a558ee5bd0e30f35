/**
 * The MQTT side of the adapter: one MQTT.js connection to Zigbee2MQTT's broker, subscribed to
 * `<base>/#`, that feeds the registry and the set tracker and re-reads device state (paced
 * `/get`s) after every (re)connect and every time the bridge comes online. It never relies on
 * the live delivery of a retained republish: renames are learned from the bridge's response,
 * and after device events the retained lists are fetched again by a fresh subscription.
 */
import { connect, type MqttClient } from 'mqtt';
import type { Logger } from '../../common/logger.ts';
import {
  parseBridgeDevices,
  parseBridgeEvent,
  parseBridgeGroups,
  parseBridgeInfo,
  parseBridgeLogging,
  parseBridgeResponse,
  parseDeviceState,
  parseFailedPublish,
  parseOnlineState,
} from './bridge-messages.ts';
import type { DeviceRegistry } from './device-registry.ts';
import { GetQueue } from './get-queue.ts';
import { redactURL } from './config.ts';
import type { SetTracker } from './set-device.ts';

export interface ZigbeeClientOptions {
  url: string;
  baseTopic: string;
  username?: string;
  password?: string;
  clientId?: string;
  getsPerSecond: number;
  registry: DeviceRegistry;
  tracker: SetTracker;
  logger: Logger;
  /** Milliseconds between reconnect attempts. Default 1000. */
  reconnectPeriodMs?: number;
}

const listEvents = new Set(['device_joined', 'device_leave', 'device_interview', 'device_renamed']);

/** One MQTT connection to Zigbee2MQTT's broker; see the file's comment. */
export class ZigbeeClient {
  readonly #options: ZigbeeClientOptions;
  readonly #base: string;
  readonly #client: MqttClient;
  readonly #queue: GetQueue;
  readonly #readSinceConnect = new Set<string>();
  #heardBridgeState = false;
  #listsTimer: NodeJS.Timeout | undefined;

  constructor(options: ZigbeeClientOptions) {
    this.#options = options;
    this.#base = options.baseTopic;
    this.#queue = new GetQueue({
      perSecond: options.getsPerSecond,
      send: (name, payload) => this.publish(`${name}/get`, payload),
    });
    this.#client = connect(options.url, {
      clientId: options.clientId ?? `hearth_${Math.random().toString(36).slice(2, 10)}`,
      ...(options.username !== undefined && { username: options.username }),
      ...(options.password !== undefined && { password: options.password }),
      reconnectPeriod: options.reconnectPeriodMs ?? 1000,
      connectTimeout: 10_000,
      clean: true,
      resubscribe: false,
      queueQoSZero: false,
    });
    this.#client.on('connect', () => void this.#onConnect());
    this.#client.on('close', () => this.#onClose());
    this.#client.on('error', (error) =>
      options.logger.warn({ err: error.message }, 'zigbee: MQTT error'),
    );
    this.#client.on('message', (topic, payload) => {
      try {
        this.#onMessage(topic, payload.toString('utf8'));
      } catch (error) {
        options.logger.error({ err: error, topic }, 'zigbee: message handling failed');
      }
    });
  }

  /** Publishes JSON to `<base>/<topic>`; rejects when the broker is not connected. */
  async publish(topic: string, payload: Record<string, unknown>): Promise<void> {
    if (!this.#client.connected) throw new Error('not connected to the MQTT broker');
    await this.#client.publishAsync(`${this.#base}/${topic}`, JSON.stringify(payload));
  }

  /** Queues a paced re-read of every known device's readable properties. */
  refresh(): void {
    this.#readSinceConnect.clear();
    this.#queueReads();
  }

  get pendingGets(): number {
    return this.#queue.size;
  }

  async stop(): Promise<void> {
    this.#queue.pause();
    clearTimeout(this.#listsTimer);
    await this.#client.endAsync(true);
  }

  async #onConnect(): Promise<void> {
    const { logger, registry } = this.#options;
    // MQTT.js leaves Nagle on: small publishes (a /set) would wait for the broker's delayed ACK.
    const stream = this.#client.stream as { setNoDelay?: (noDelay: boolean) => void };
    stream.setNoDelay?.(true);
    // Before subscribing: the retained bridge/state may arrive before the SUBACK resolves.
    this.#heardBridgeState = false;
    registry.setConnected(true);
    try {
      await this.#client.subscribeAsync(`${this.#base}/#`, { qos: 1 });
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'zigbee: subscribe failed');
      return;
    }
    logger.info({ url: redactURL(this.#options.url) }, 'zigbee: connected to the MQTT broker');
  }

  #onClose(): void {
    this.#queue.pause();
    // Whatever the bridge said before is stale now: wait for its word after the reconnect (a
    // restarted broker has no retained bridge/state until Zigbee2MQTT publishes it again).
    const lost = this.#options.registry.setConnected(false);
    this.#options.registry.forgetBridge();
    if (lost) {
      this.#options.logger.warn('zigbee: lost the MQTT broker');
      this.#options.tracker.failAll({
        ok: false,
        code: 'bridge_offline',
        message: 'The connection to the MQTT broker was lost before the device confirmed.',
      });
    }
  }

  #onMessage(topic: string, text: string): void {
    if (!topic.startsWith(`${this.#base}/`)) return;
    const rest = topic.slice(this.#base.length + 1);
    if (rest.startsWith('bridge/')) return this.#onBridge(rest.slice('bridge/'.length), text);
    const { registry, tracker } = this.#options;
    if (rest.endsWith('/availability')) {
      const name = rest.slice(0, -'/availability'.length);
      // An empty payload clears the retained topic (Zigbee2MQTT does so after a rename).
      return registry.setAvailability(name, text === '' ? undefined : parseOnlineState(text));
    }
    // Empty: a cleared retained topic (Zigbee2MQTT clears the old name after a rename).
    if (text === '') return;
    if (registry.find(rest)?.device.name === rest || registry.group(rest)?.name === rest) {
      const state = parseDeviceState(text);
      if (!state) return this.#bad(topic);
      registry.applyState(rest, state);
      tracker.onState(rest, state);
    }
  }

  #onBridge(path: string, text: string): void {
    const { registry, logger, tracker } = this.#options;
    switch (path) {
      case 'state': {
        const state = parseOnlineState(text);
        if (!state) return text === '' ? undefined : this.#bad(path);
        const first = !this.#heardBridgeState;
        this.#heardBridgeState = true;
        const changed = registry.setBridge(state);
        logger.info({ state }, 'zigbee: bridge state');
        if (state === 'online') {
          this.#queue.resume();
          if (changed || first) this.refresh();
        } else {
          this.#queue.pause();
          if (changed)
            tracker.failAll({
              ok: false,
              code: 'bridge_offline',
              message: 'Zigbee2MQTT went offline.',
            });
        }
        return;
      }
      case 'info': {
        const info = parseBridgeInfo(text);
        if (!info) return this.#bad(path);
        return registry.setVersion(info.version);
      }
      case 'devices': {
        const parsed = parseBridgeDevices(text);
        if (!parsed) return this.#bad(path);
        if (parsed.skipped > 0)
          logger.warn({ skipped: parsed.skipped }, 'zigbee: bad device entries');
        registry.setDevices(parsed.devices);
        return this.#queueReads();
      }
      case 'groups': {
        const parsed = parseBridgeGroups(text);
        if (!parsed) return this.#bad(path);
        return registry.setGroups(parsed.groups);
      }
      case 'event': {
        const event = parseBridgeEvent(text);
        if (!event) return this.#bad(path);
        logger.info({ event: event.type, name: event.name }, 'zigbee: bridge event');
        if (listEvents.has(event.type)) this.#rereadLists();
        return;
      }
      case 'logging': {
        const log = parseBridgeLogging(text);
        if (!log || log.level !== 'error') return;
        const failed = parseFailedPublish(log.message);
        if (failed?.type === 'set') tracker.onFailure(failed.name, failed.key, failed.reason);
        return;
      }
      case 'response/device/rename':
      case 'response/group/rename':
        return this.#onRename(text);
    }
  }

  #onRename(text: string): void {
    const response = parseBridgeResponse(text);
    const data = response?.data as { from?: unknown; to?: unknown } | undefined;
    if (response?.status !== 'ok' || typeof data?.from !== 'string' || typeof data.to !== 'string')
      return;
    this.#options.registry.rename(data.from, data.to);
    this.#rereadLists();
  }

  /** Reads state of devices not read since the last connect (new ones, or all after a refresh). */
  #queueReads(): void {
    const { registry } = this.#options;
    if (!registry.bridge().online) return;
    for (const { device, schema } of registry.devices()) {
      if (device.disabled || this.#readSinceConnect.has(device.ieee)) continue;
      this.#readSinceConnect.add(device.ieee);
      this.#queue.add(device.name, schema.readable);
    }
  }

  /** A fresh subscription makes the broker send the retained lists again. */
  #rereadLists(): void {
    clearTimeout(this.#listsTimer);
    this.#listsTimer = setTimeout(() => {
      const topics = [`${this.#base}/bridge/devices`, `${this.#base}/bridge/groups`];
      this.#client
        .subscribeAsync(topics)
        .then(() => new Promise((resolve) => setTimeout(resolve, 1000)))
        .then(() => this.#client.unsubscribeAsync(topics))
        .catch(() => {});
    }, 250);
  }

  #bad(topic: string): void {
    this.#options.logger.warn({ topic }, 'zigbee: ignored a payload that could not be read');
  }
}
