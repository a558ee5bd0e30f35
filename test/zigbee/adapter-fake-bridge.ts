/**
 * A small hand-driven Zigbee2MQTT peer for the adapter tests: a real MQTT.js client on a real
 * broker that publishes the retained bridge topics for a few hand-written devices, records
 * every `/get` and `/set` it receives (with the time), and answers them the way Zigbee2MQTT
 * does: state on `<name>`, failures only on `bridge/logging`, or nothing at all.
 */
import { connectAsync, type MqttClient } from 'mqtt';

export type Reply = 'confirm' | 'fail' | 'silent';

export interface Request {
  name: string;
  kind: 'get' | 'set';
  payload: Record<string, unknown>;
  at: number;
}

export interface FakeBridge extends AsyncDisposable {
  client: MqttClient;
  requests: Request[];
  state: Map<string, Record<string, unknown>>;
  /** How the next requests to `name` are answered (default `confirm`). */
  reply: Map<string, Reply>;
  publishBridge(options?: { legacyState?: boolean }): Promise<void>;
  setOnline(online: boolean, options?: { legacyState?: boolean }): Promise<void>;
  publishState(name: string, state: Record<string, unknown>): Promise<void>;
  publish(topic: string, payload: string, retain?: boolean): Promise<void>;
  waitFor(match: (r: Request) => boolean, timeoutMs?: number): Promise<Request>;
  close(): Promise<void>;
}

export const lightExposes = [
  {
    type: 'light',
    features: [
      {
        type: 'binary',
        name: 'state',
        property: 'state',
        access: 7,
        value_on: 'ON',
        value_off: 'OFF',
        value_toggle: 'TOGGLE',
      },
      {
        type: 'numeric',
        name: 'brightness',
        property: 'brightness',
        access: 7,
        value_min: 0,
        value_max: 254,
      },
    ],
  },
  {
    type: 'numeric',
    name: 'linkquality',
    property: 'linkquality',
    access: 1,
    value_min: 0,
    value_max: 255,
  },
];

export const sensorExposes = [
  { type: 'numeric', name: 'temperature', property: 'temperature', access: 5, unit: '°C' },
  { type: 'numeric', name: 'linkquality', property: 'linkquality', access: 1 },
];

export function device(
  index: number,
  name: string,
  exposes: unknown[] = lightExposes,
): Record<string, unknown> {
  return {
    ieee_address: `0x00158d00000${String(index).padStart(5, '0')}`,
    type: 'Router',
    network_address: index,
    supported: true,
    friendly_name: name,
    disabled: false,
    definition: {
      model: 'TEST-1',
      vendor: 'Tester',
      description: 'Test device',
      exposes,
      options: [],
      source: 'native',
      supports_ota: false,
    },
    power_source: 'Mains (single phase)',
    interview_state: 'SUCCESSFUL',
  };
}

export const coordinator = {
  ieee_address: '0x00124b0000000000',
  type: 'Coordinator',
  network_address: 0,
  supported: true,
  friendly_name: 'Coordinator',
  disabled: false,
};

export async function startFakeBridge(options: {
  url: string;
  base: string;
  devices: Array<Record<string, unknown>>;
  groups?: Array<Record<string, unknown>>;
}): Promise<FakeBridge> {
  const { base } = options;
  const client = await connectAsync(options.url, {
    clientId: `fake_z2m_${Math.random().toString(36).slice(2)}`,
    reconnectPeriod: 200,
    will: {
      topic: `${base}/bridge/state`,
      payload: Buffer.from('{"state":"offline"}'),
      retain: true,
      qos: 1,
    },
  });
  const requests: Request[] = [];
  const state = new Map<string, Record<string, unknown>>();
  const reply = new Map<string, Reply>();
  const waiters = new Set<() => void>();
  const names = (): string[] => options.devices.map((d) => String(d.friendly_name));
  const publish = async (topic: string, payload: string, retain = false): Promise<void> => {
    await client.publishAsync(topic, payload, { retain, qos: 1 });
  };
  const publishState = async (name: string, partial: Record<string, unknown>): Promise<void> => {
    const merged = { ...(state.get(name) ?? { linkquality: 100 }), ...partial };
    state.set(name, merged);
    await publish(`${base}/${name}`, JSON.stringify(merged));
  };

  client.on('message', (topic, payload) => {
    const rest = topic.slice(base.length + 1);
    const match = /^(.+)\/(get|set)$/.exec(rest);
    if (!match?.[1] || !names().includes(match[1])) return;
    const name = match[1];
    const kind = match[2] as 'get' | 'set';
    const body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    requests.push({ name, kind, payload: body, at: Date.now() });
    for (const wake of waiters) wake();
    const how = reply.get(name) ?? 'confirm';
    if (how === 'silent') return;
    if (how === 'fail' && kind === 'set') {
      const key = Object.keys(body)[0] ?? 'state';
      void publish(
        `${base}/bridge/logging`,
        JSON.stringify({
          level: 'error',
          message: `z2m: Publish 'set' '${key}' to '${name}' failed: 'Error: Timeout'`,
        }),
      );
      return;
    }
    const { transition: _ignored, ...wanted } = body;
    void publishState(name, kind === 'set' ? wanted : {});
  });
  await client.subscribeAsync([
    `${base}/+/get`,
    `${base}/+/set`,
    `${base}/+/+/get`,
    `${base}/+/+/set`,
  ]);

  const publishBridge = async (o: { legacyState?: boolean } = {}): Promise<void> => {
    await publish(
      `${base}/bridge/info`,
      JSON.stringify({ version: '2.6.0', permit_join: false, extra: 1 }),
      true,
    );
    await publish(
      `${base}/bridge/devices`,
      JSON.stringify([coordinator, ...options.devices]),
      true,
    );
    await publish(`${base}/bridge/groups`, JSON.stringify(options.groups ?? []), true);
    await publish(`${base}/bridge/state`, o.legacyState ? 'online' : '{"state":"online"}', true);
  };
  await publishBridge();

  const close = async (): Promise<void> => {
    await client.endAsync(true);
  };
  return {
    client,
    requests,
    state,
    reply,
    publishBridge,
    setOnline: (online, o = {}) => {
      const word = online ? 'online' : 'offline';
      return publish(
        `${base}/bridge/state`,
        o.legacyState ? word : JSON.stringify({ state: word }),
        true,
      );
    },
    publishState,
    publish,
    waitFor: (match, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = requests.find(match);
          if (!hit) return false;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(hit);
          return true;
        };
        const wake = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`no matching request within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(wake);
      }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
