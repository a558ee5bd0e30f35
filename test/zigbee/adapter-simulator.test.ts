/**
 * End to end: the adapter against the bridge simulator (real zigbee-herdsman-converters
 * definitions) on a real Mosquitto. Sets go through the real converters; failures come back
 * the only way Zigbee2MQTT reports them, on bridge/logging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHome } from '../../sim/zigbee/home.ts';
import { startBridgeSimulator, type BridgeSimulator } from '../../sim/zigbee/simulator.ts';
import { startMosquitto, type TestMosquitto } from '../support/mosquitto.ts';
import { start, waitUntil, type Started } from './adapter-support.ts';

let broker: TestMosquitto;
let counter = 0;

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

async function setup(
  options: { availability?: boolean } = {},
): Promise<{ sim: BridgeSimulator; z: Started; base: string } & AsyncDisposable> {
  const base = `z2m_e2e_${++counter}`;
  const sim = await startBridgeSimulator({
    url: broker.url,
    baseTopic: base,
    home: await createHome(),
    availability: options.availability ?? false,
  });
  const z = await start({
    mqttURL: broker.url,
    baseTopic: base,
    setTimeoutMs: 1500,
    getsPerSecond: 100,
  });
  // Devices with nothing readable (a remote, a contact sensor) only report on their own.
  const readable = (): boolean =>
    z.service
      .toolsBackend()
      .list()
      .every(
        (d) =>
          d.exposesSchema.readable.length === 0 ||
          d.lastSeen !== undefined ||
          d.state.linkquality !== undefined,
      );
  await waitUntil(
    () => z.service.list().length === sim.home.devices.length && readable(),
    8000,
    'every device listed and read',
  );
  return {
    sim,
    z,
    base,
    [Symbol.asyncDispose]: async () => {
      await z.service.stop();
      await sim.stop();
    },
  };
}

describe('zigbee adapter with the bridge simulator', () => {
  it('lists the simulated home with schemas and state read by /get', async () => {
    await using t = await setup({ availability: true });
    const lamp = t.z.service.get('living_room/lamp');
    expect(lamp).toMatchObject({ room: 'living_room', supported: true, availability: 'online' });
    expect(lamp?.state).toHaveProperty('state');
    expect(lamp?.state).toHaveProperty('brightness');
    expect(Object.keys(lamp?.settable.properties ?? {})).toEqual(
      expect.arrayContaining(['state', 'brightness', 'color']),
    );
    expect(t.z.service.groups().map((g) => g.name)).toEqual(['living_room/lights']);
    expect(t.z.service.bridge()).toMatchObject({ online: true, version: expect.any(String) });
  });

  it('turns a light off and on, confirmed by the converters’ own state', async () => {
    await using t = await setup();
    const off = await t.z.service.set('living_room/lamp', { state: 'OFF' });
    expect(off).toMatchObject({ ok: true, state: { state: 'OFF' } });
    const on = await t.z.service.set('living_room/lamp', {
      state: 'ON',
      brightness: 120,
      transition: 1,
    });
    expect(on).toMatchObject({ ok: true, state: { state: 'ON', brightness: 120 } });
    expect(t.sim.device('living_room/lamp').state).toMatchObject({ state: 'ON', brightness: 120 });
    expect(t.z.service.get('living_room/lamp')?.state).toMatchObject({
      state: 'ON',
      brightness: 120,
    });
    const plug = await t.z.service.set('living_room/tv_plug', { state: 'TOGGLE' });
    expect(plug.ok).toBe(true);
  });

  it('confirms sets on covers, locks, thermostats and colours', async () => {
    await using t = await setup();
    const cases: Array<[string, Record<string, unknown>]> = [
      ['living_room/blind', { position: 40 }],
      ['living_room/blind', { state: 'CLOSE' }],
      ['hallway/front_door_lock', { state: 'LOCK' }],
      ['living_room/thermostat', { occupied_heating_setpoint: 21.5 }],
      ['living_room/lamp', { color: { hex: '#ff0000' } }],
      ['living_room/lamp', { color_temp: 'warm' }],
      ['kitchen/ceiling', { color_temp: 300, brightness: 254 }],
    ];
    for (const [name, state] of cases) {
      const result = await t.z.service.set(name, state);
      expect({ name, state, result }).toMatchObject({ result: { ok: true } });
    }
    // 0-254, not 255: refused before anything is published.
    expect(await t.z.service.set('kitchen/ceiling', { brightness: 255 })).toMatchObject({
      ok: false,
      code: 'invalid_state',
    });
  });

  it('reports a radio failure from bridge/logging and a silent device as a timeout', async () => {
    await using t = await setup();
    t.sim.failNext('kitchen/ceiling', 'Delivery failed for 12345');
    const failed = await t.z.service.set('kitchen/ceiling', { state: 'ON' });
    expect(failed).toMatchObject({ ok: false, code: 'device_failed' });
    expect((failed as { message: string }).message).toContain('Delivery failed');
    t.sim.silence('kitchen/ceiling');
    expect(await t.z.service.set('kitchen/ceiling', { state: 'OFF' })).toMatchObject({
      ok: false,
      code: 'device_timeout',
    });
  });

  it('shows devices unavailable while the bridge is offline and re-reads when it is back', async () => {
    await using t = await setup();
    await t.sim.goOffline();
    await waitUntil(() => !t.z.service.bridge().online, 3000, 'offline');
    expect(t.z.service.list().every((d) => d.availability === 'offline')).toBe(true);
    expect(await t.z.service.set('living_room/lamp', { state: 'ON' })).toMatchObject({
      code: 'bridge_offline',
    });
    const before = t.z.service.get('hallway/motion')?.stateAt;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await t.sim.goOnline();
    await waitUntil(() => t.z.service.get('hallway/motion')?.stateAt !== before, 5000, 're-read');
    expect(t.z.service.bridge().online).toBe(true);
  });

  it('follows a rename made through the bridge, keeping the IEEE id and the state', async () => {
    await using t = await setup();
    const id = t.z.service.get('kitchen/kettle_plug')?.id;
    await t.sim.emitState('kitchen/kettle_plug', { state: 'ON' });
    await waitUntil(() => t.z.service.get('kitchen/kettle_plug')?.state.state === 'ON', 3000, 'on');
    const client = (await import('mqtt')).connectAsync(broker.url);
    const mqtt = await client;
    await mqtt.publishAsync(
      `${t.base}/bridge/request/device/rename`,
      JSON.stringify({ from: 'kitchen/kettle_plug', to: 'kitchen/kettle' }),
    );
    await waitUntil(() => t.z.service.get('kitchen/kettle'), 3000, 'renamed');
    await mqtt.endAsync();
    expect(t.z.service.get('kitchen/kettle')).toMatchObject({ id, state: { state: 'ON' } });
    expect(t.z.service.get('kitchen/kettle_plug')).toBeUndefined();
    expect(await t.z.service.set(id ?? '', { state: 'OFF' })).toMatchObject({ ok: true });
  });

  it('sets a group and drives the device tools', async () => {
    await using t = await setup();
    const result = await t.z.service.setGroup('living_room/lights', { state: 'OFF' });
    expect(result).toMatchObject({ ok: true, state: { state: 'OFF' } });
    const backend = t.z.service.toolsBackend();
    const lamp = backend.list().find((d) => d.name === 'living_room/lamp');
    expect(lamp?.exposesSchema.readable).toContain('state');
    expect(backend.groups()[0]?.members).toContain(lamp?.id);
  });
});
