/**
 * The Zigbee2MQTT adapter against a real Mosquitto and a hand-driven bridge peer: what it
 * learns, how it re-reads state (paced), how sets are confirmed or fail, and how it survives a
 * broker crash and a bridge that goes offline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDeviceStore } from '../../src/adapters/zigbee/device-store.ts';
import { startMosquitto, type TestMosquitto } from '../support/mosquitto.ts';
import { device, sensorExposes, startFakeBridge, type FakeBridge } from './adapter-fake-bridge.ts';
import { start, waitUntil } from './adapter-support.ts';

let broker: TestMosquitto;
let counter = 0;

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

const home = [
  device(1, 'living_room/lamp'),
  device(2, 'kitchen/sensor', sensorExposes),
  device(3, 'hall'),
];

async function setup(
  options: { devices?: Array<Record<string, unknown>>; adapter?: Record<string, unknown> } = {},
): Promise<{ bridge: FakeBridge; base: string; input: Record<string, unknown> }> {
  const base = `z2m_adapter_${++counter}`;
  const bridge = await startFakeBridge({
    url: broker.url,
    base,
    devices: options.devices ?? home,
    groups: [
      {
        id: 1,
        friendly_name: 'downstairs',
        members: [{ ieee_address: '0x00158d0000000001', endpoint: 1 }],
        scenes: [{ id: 2, name: 'Evening' }],
      },
    ],
  });
  const input = {
    mqttURL: broker.url,
    baseTopic: base,
    setTimeoutMs: 1000,
    getsPerSecond: 200,
    ...options.adapter,
  };
  return { bridge, base, input };
}

describe('zigbee adapter over mosquitto', () => {
  it('learns devices, groups and the bridge, and reads every readable property once', async () => {
    const { bridge, input } = await setup();
    await using _bridge = bridge;
    await using z = await start(input);
    // The bridge's state and its device list are separate retained topics: either may come first.
    await waitUntil(
      () => z.service.list().length === 3 && z.service.bridge().online,
      5000,
      'devices and the bridge online',
    );
    expect(z.service.bridge()).toEqual({ online: true, version: '2.6.0' });
    const lamp = z.service.get('living_room/lamp');
    expect(lamp).toMatchObject({
      id: '0x00158d0000000001',
      room: 'living_room',
      model: 'TEST-1',
      vendor: 'Tester',
      type: 'Router',
      supported: true,
    });
    expect(z.service.get('0x00158d0000000001')?.name).toBe('living_room/lamp');
    expect(z.service.get('LIVING_ROOM/LAMP')?.id).toBe('0x00158d0000000001');
    expect(z.service.list().some((d) => d.type === 'Coordinator')).toBe(false);
    expect(z.service.groups()).toEqual([
      {
        id: 1,
        name: 'downstairs',
        members: ['0x00158d0000000001'],
        scenes: [{ id: 2, name: 'Evening' }],
      },
    ]);
    const get = await bridge.waitFor((r) => r.kind === 'get' && r.name === 'kitchen/sensor');
    expect(get.payload).toEqual({ temperature: '' });
    const lampGet = await bridge.waitFor((r) => r.kind === 'get' && r.name === 'living_room/lamp');
    expect(Object.keys(lampGet.payload).sort()).toEqual(['brightness', 'state']);
    await waitUntil(() => z.service.get('hall')?.stateAt, 3000, 'state from the get');
    expect(bridge.requests.filter((r) => r.kind === 'get')).toHaveLength(3);
  });

  it('reads the 1.x bare-string bridge state', async () => {
    const { bridge, input, base } = await setup();
    await using b = bridge;
    await bridge.setOnline(false, { legacyState: true });
    await using z = await start(input);
    await waitUntil(() => z.service.list().length === 3, 5000, 'devices');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(z.service.bridge().online).toBe(false);
    expect(z.service.get('hall')?.availability).toBe('offline');
    await b.publish(`${base}/bridge/state`, 'online', true);
    await waitUntil(() => z.service.bridge().online, 3000, 'online');
  });

  it('merges partial state updates and emits device.state with the time', async () => {
    const { bridge, input } = await setup();
    await using b = bridge;
    await using z = await start(input);
    await waitUntil(() => z.service.get('hall')?.stateAt, 5000, 'first state');
    await b.publishState('hall', { state: 'ON', brightness: 10 });
    await b.publish(`${input.baseTopic as string}/hall`, JSON.stringify({ brightness: 99 }));
    await waitUntil(() => z.service.get('hall')?.state.brightness === 99, 3000, 'merged');
    expect(z.service.get('hall')?.state).toMatchObject({
      state: 'ON',
      brightness: 99,
      linkquality: 100,
    });
    const last = z.events.filter((e) => e.type === 'device.state').at(-1);
    expect(last).toMatchObject({
      type: 'device.state',
      deviceId: '0x00158d0000000003',
      name: 'hall',
    });
    expect(Date.parse((last as { at: string }).at)).toBeGreaterThan(Date.now() - 5000);
  });

  it('ignores bad payloads without crashing', async () => {
    const { bridge, input, base } = await setup();
    await using b = bridge;
    await using z = await start(input);
    await waitUntil(() => z.service.list().length === 3, 5000, 'devices');
    await b.publish(`${base}/bridge/devices`, '{not json');
    await b.publish(
      `${base}/bridge/devices`,
      JSON.stringify([{ nonsense: true }, device(1, 'living_room/lamp')]),
    );
    await b.publish(`${base}/bridge/groups`, '"x"');
    await b.publish(`${base}/hall`, '[1,2]');
    await b.publish(`${base}/bridge/logging`, 'garbage');
    await waitUntil(() => z.service.list().length === 1, 3000, 'the one good device');
    expect(z.service.list()[0]?.name).toBe('living_room/lamp');
    expect(z.service.bridge().online).toBe(true);
  });

  it('spreads the /get re-read over time instead of a burst', async () => {
    const devices = Array.from({ length: 40 }, (_, i) => device(100 + i, `room/light_${i}`));
    const { bridge, input } = await setup({ devices, adapter: { getsPerSecond: 50 } });
    await using b = bridge;
    await using z = await start(input);
    await waitUntil(
      () => b.requests.filter((r) => r.kind === 'get').length === 40,
      5000,
      '40 gets',
    );
    const times = b.requests.filter((r) => r.kind === 'get').map((r) => r.at);
    const first = times[0] ?? 0;
    const windows = new Map<number, number>();
    for (const t of times)
      windows.set(
        Math.floor((t - first) / 100),
        (windows.get(Math.floor((t - first) / 100)) ?? 0) + 1,
      );
    // 50 per second is 5 per 100 ms. Receipt times come in pairs about 43 ms apart (Nagle
    // on mosquitto's side, whose `set_tcp_nodelay` is off), so allow slack; a burst would put
    // all 40 in one window.
    expect(Math.max(...windows.values())).toBeLessThanOrEqual(10);
    expect((times.at(-1) ?? 0) - first).toBeGreaterThanOrEqual(700);
    expect(z.service.list()).toHaveLength(40);
  });

  it('confirms a set only when the state shows it', async () => {
    const { bridge, input } = await setup();
    await using b = bridge;
    await using z = await start(input);
    await waitUntil(() => z.service.bridge().online && z.service.get('hall'), 5000, 'ready');
    const result = await z.service.set('0x00158d0000000003', {
      state: 'ON',
      brightness: 200,
      transition: 1,
    });
    expect(result).toMatchObject({ ok: true, state: { state: 'ON', brightness: 200 } });
    const sent = await b.waitFor((r) => r.kind === 'set');
    expect(sent).toMatchObject({
      name: 'hall',
      payload: { state: 'ON', brightness: 200, transition: 1 },
    });
    expect(z.service.get('hall')?.state.brightness).toBe(200);
  });

  it('reports a set that Zigbee2MQTT logs as failed', async () => {
    const { bridge, input } = await setup();
    await using b = bridge;
    await using z = await start(input);
    await waitUntil(
      () => z.service.bridge().online && z.service.get('living_room/lamp'),
      5000,
      'ready',
    );
    b.reply.set('living_room/lamp', 'fail');
    const result = await z.service.set('living_room/lamp', { state: 'OFF' });
    // device_failed, not device_timeout: the log line ended it, not the 5 s timer.
    expect(result).toMatchObject({ ok: false, code: 'device_failed' });
    expect((result as { message: string }).message).toContain('Timeout');
  });

  it('times out a set that nothing confirms, and refuses bad input before publishing', async () => {
    const { bridge, input } = await setup({ adapter: { setTimeoutMs: 400 } });
    await using b = bridge;
    await using z = await start(input);
    await waitUntil(() => z.service.bridge().online && z.service.get('hall'), 5000, 'ready');
    b.reply.set('hall', 'silent');
    const started = Date.now();
    expect(await z.service.set('hall', { state: 'ON' })).toMatchObject({
      ok: false,
      code: 'device_timeout',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    // A stale publish with other values does not confirm either.
    b.reply.set('hall', 'confirm');
    await b.publishState('hall', { state: 'OFF' });
    b.reply.set('hall', 'silent');
    const pending = z.service.set('hall', { state: 'ON' });
    await b.publishState('hall', { brightness: 3 });
    expect(await pending).toMatchObject({ ok: false, code: 'device_timeout' });

    const before = b.requests.filter((r) => r.kind === 'set').length;
    expect(await z.service.set('hall', { state: 'MAYBE' })).toMatchObject({
      ok: false,
      code: 'invalid_state',
    });
    expect(await z.service.set('hall', { colour: 'red' })).toMatchObject({
      ok: false,
      code: 'invalid_state',
    });
    expect(await z.service.set('nowhere', { state: 'ON' })).toMatchObject({
      ok: false,
      code: 'unknown_device',
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.requests.filter((r) => r.kind === 'set').length).toBe(before);
  });

  it('stops waiting for a set when the caller aborts', async () => {
    const { bridge, input } = await setup();
    await using b = bridge;
    await using z = await start(input);
    await waitUntil(() => z.service.bridge().online && z.service.get('hall'), 5000, 'ready');
    b.reply.set('hall', 'silent');
    const controller = new AbortController();
    const pending = z.service.set('hall', { state: 'ON' }, { signal: controller.signal });
    await b.waitFor((r) => r.kind === 'set');
    controller.abort(new Error('user went away'));
    await expect(pending).rejects.toThrow('user went away');
  });

  it('shows every device unavailable while the bridge is offline, and re-reads when it returns', async () => {
    const { bridge, input } = await setup();
    await using b = bridge;
    await using z = await start(input);
    await waitUntil(
      () => b.requests.filter((r) => r.kind === 'get').length === 3,
      5000,
      'first reads',
    );
    await b.publish(`${input.baseTopic as string}/hall/availability`, '{"state":"online"}', true);
    await waitUntil(() => z.service.get('hall')?.availability === 'online', 3000, 'hall online');
    expect(z.service.get('kitchen/sensor')?.availability).toBe('unknown');

    await b.setOnline(false);
    await waitUntil(() => !z.service.bridge().online, 3000, 'bridge offline');
    expect(z.service.list().every((d) => d.availability === 'offline')).toBe(true);
    expect(z.events).toContainEqual({ type: 'bridge.state', online: false });
    expect(await z.service.set('hall', { state: 'ON' })).toMatchObject({
      ok: false,
      code: 'bridge_offline',
    });

    await b.setOnline(true);
    await waitUntil(() => b.requests.filter((r) => r.kind === 'get').length === 6, 3000, 're-read');
    expect(z.service.get('hall')?.availability).toBe('online');
  });

  it('reconnects after a broker crash, resubscribes and re-reads every device', async () => {
    const { bridge, input, base } = await setup();
    await using b = bridge;
    await using z = await start({ ...input });
    await waitUntil(
      () => b.requests.filter((r) => r.kind === 'get').length === 3,
      5000,
      'first reads',
    );
    let sawOffline = false;
    await broker.restart({
      whileDown: async () => {
        await waitUntil(() => !z.service.bridge().online, 3000, 'offline on broker loss');
        sawOffline = z.service.list().every((d) => d.availability === 'offline');
      },
    });
    expect(sawOffline).toBe(true);
    // The broker lost every retained message; the bridge reconnects and publishes them again.
    await waitUntil(() => b.client.connected, 5000, 'bridge reconnected');
    await b.publishBridge();
    await waitUntil(
      () => b.requests.filter((r) => r.kind === 'get').length >= 6,
      8000,
      're-read after restart',
    );
    expect(z.service.bridge().online).toBe(true);
    // Subscribed again: live state reaches the adapter.
    await b.publish(`${base}/hall`, JSON.stringify({ state: 'ON', brightness: 42 }));
    await waitUntil(
      () => z.service.get('hall')?.state.brightness === 42,
      3000,
      'state after restart',
    );
    expect(await z.service.set('hall', { brightness: 77 })).toMatchObject({ ok: true });
  });

  it('learns a rename from the bridge response even when the retained list never arrives live', async () => {
    const { bridge, input, base } = await setup();
    await using b = bridge;
    await using z = await start(input);
    await waitUntil(() => z.service.get('hall')?.stateAt, 5000, 'ready');
    await b.publish(
      `${base}/bridge/response/device/rename`,
      JSON.stringify({
        data: { from: 'hall', to: 'hallway/light', homeassistant_rename: false },
        status: 'ok',
      }),
    );
    await waitUntil(() => z.service.get('hallway/light'), 3000, 'renamed');
    expect(z.service.get('0x00158d0000000003')?.name).toBe('hallway/light');
    expect(z.service.get('hallway/light')?.state.linkquality).toBe(100);
    expect(z.events).toContainEqual({ type: 'devices.changed' });
  });

  it('lists stored devices before the bridge answers and saves what it learns', async () => {
    const store = new MemoryDeviceStore();
    {
      const { bridge, input } = await setup();
      await using b = bridge;
      await using z = await start(input, { store, saveEveryMs: 50 });
      await waitUntil(() => z.service.get('hall')?.stateAt, 5000, 'state');
      await b.publishState('hall', { state: 'ON', brightness: 5 });
      await waitUntil(
        () => store.states.get('0x00158d0000000003')?.state.brightness === 5,
        3000,
        'saved',
      );
    }
    expect(store.devices.map((d) => d.name).sort()).toEqual([
      'hall',
      'kitchen/sensor',
      'living_room/lamp',
    ]);
    await using z = await start(
      { mqttURL: 'mqtt://127.0.0.1:9', baseTopic: 'nothing_here' },
      { store },
    );
    const hall = z.service.get('hall');
    expect(hall).toMatchObject({ id: '0x00158d0000000003', state: { state: 'ON', brightness: 5 } });
    expect(z.service.bridge().online).toBe(false);
    expect(await z.service.set('hall', { state: 'OFF' })).toMatchObject({
      ok: false,
      code: 'bridge_offline',
    });
  });
});
