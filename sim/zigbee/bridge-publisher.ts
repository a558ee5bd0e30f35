/**
 * Everything the simulated bridge publishes, under its base topic: retained bridge topics
 * (`bridge/state` with QoS 1, `bridge/info`, `bridge/devices`, `bridge/groups`), optional
 * retained availability, and device state (never retained, as Zigbee2MQTT's default).
 */
import type { MqttClient } from 'mqtt';
import type { SimEntity } from './apply-set.ts';
import { bridgeDevices, bridgeGroups, bridgeInfo, stableJson } from './bridge-payloads.ts';
import type { Home, JsonObject } from './home.ts';

export interface BridgePublisherOptions {
  client: MqttClient;
  base: string;
  home: Home;
  server: string;
  availability: boolean;
  lastSeen: 'disable' | 'epoch' | 'ISO_8601';
}

export interface BridgePublisher {
  publish(
    topic: string,
    payload: string,
    options?: { retain?: boolean; qos?: 0 | 1 },
  ): Promise<void>;
  publishState(entity: SimEntity, extra?: JsonObject): Promise<void>;
  publishInfo(): Promise<void>;
  publishDevices(): Promise<void>;
  publishGroups(): Promise<void>;
  publishAvailability(entity: SimEntity): Promise<void>;
  /** `bridge/state` online and every retained topic, as a starting bridge does. */
  publishBridge(): Promise<void>;
  publishBridgeState(state: 'online' | 'offline'): Promise<void>;
  /** Unix ms when joining closes, or undefined when it is closed; shown in `bridge/info`. */
  permitJoinEnd: number | undefined;
}

export function createBridgePublisher(options: BridgePublisherOptions): BridgePublisher {
  const { client, base, home } = options;
  const publisher: BridgePublisher = {
    permitJoinEnd: undefined,
    async publish(topic, payload, opts) {
      await client.publishAsync(`${base}/${topic}`, payload, {
        retain: opts?.retain ?? false,
        qos: opts?.qos ?? 0,
      });
    },
    async publishState(entity, extra = {}) {
      const payload: JsonObject = { ...entity.state, ...extra };
      if (options.lastSeen === 'epoch') payload.last_seen = Date.now();
      if (options.lastSeen === 'ISO_8601') payload.last_seen = new Date().toISOString();
      await publisher.publish(entity.name, stableJson(payload));
    },
    async publishInfo() {
      const info = bridgeInfo({
        baseTopic: base,
        server: options.server,
        permitJoin: publisher.permitJoinEnd !== undefined,
        permitJoinEnd: publisher.permitJoinEnd,
      });
      await publisher.publish('bridge/info', stableJson(info), { retain: true });
    },
    async publishDevices() {
      await publisher.publish('bridge/devices', stableJson(bridgeDevices(home)), { retain: true });
    },
    async publishGroups() {
      await publisher.publish('bridge/groups', stableJson(bridgeGroups(home)), { retain: true });
    },
    async publishAvailability(entity) {
      if (!options.availability) return;
      await publisher.publish(`${entity.name}/availability`, '{"state":"online"}', {
        retain: true,
      });
    },
    async publishBridgeState(state) {
      await publisher.publish('bridge/state', JSON.stringify({ state }), { retain: true, qos: 1 });
    },
    async publishBridge() {
      await publisher.publishBridgeState('online');
      await publisher.publishInfo();
      await publisher.publishDevices();
      await publisher.publishGroups();
      for (const entity of [...home.devices, ...home.groups]) {
        await publisher.publishAvailability(entity);
      }
    },
  };
  return publisher;
}
