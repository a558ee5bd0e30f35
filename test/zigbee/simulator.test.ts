/**
 * The Zigbee2MQTT bridge simulator against a real Mosquitto, watched by a plain MQTT client:
 * what it publishes must be what Zigbee2MQTT 2.x publishes, since the adapter is tested on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHome, type Home } from '../../sim/zigbee/home.ts';
import { startBridgeSimulator, type BridgeSimulator } from '../../sim/zigbee/simulator.ts';
import { startMosquitto, type TestMosquitto } from '../support/mosquitto.ts';
import { observe, type Observer, type Received } from './mqtt-observer.ts';

let broker: TestMosquitto;
let home: Home;
let counter = 0;

beforeAll(async () => {
  broker = await startMosquitto();
  home = await createHome();
});
afterAll(async () => {
  await broker?.stop();
});

/** A simulator on its own base topic (retained topics stay apart) and an observer of it. */
async function setup(
  options: { logFormat?: 'runtime' | 'documented'; devices?: number; availability?: boolean } = {},
): Promise<{ sim: BridgeSimulator; obs: Observer; base: string } & AsyncDisposable> {
  const base = `z2m_test_${++counter}`;
  const obs = await observe(broker.url, [`${base}/#`]);
  const sim = await startBridgeSimulator({
    url: broker.url,
    baseTopic: base,
    home: options.devices ? undefined : await createHome(),
    devices: options.devices,
    logFormat: options.logFormat,
    availability: options.availability,
  });
  await obs.next(`${base}/bridge/groups`);
  return {
    sim,
    obs,
    base,
    [Symbol.asyncDispose]: async () => {
      await sim.stop();
      await obs.close();
    },
  };
}

const on = (topic: string) => (m: Received) => m.topic === topic;

describe('bridge simulator', () => {
  it('publishes retained bridge topics that a new subscriber receives', async () => {
    await using t = await setup();
    await using late = await observe(broker.url, [`${t.base}/bridge/+`]);
    const state = await late.next(`${t.base}/bridge/state`);
    expect(state.retain).toBe(true);
    expect(state.json()).toEqual({ state: 'online' });
    const info = (await late.next(`${t.base}/bridge/info`)).json();
    expect(info).toMatchObject({ version: expect.any(String), permit_join: false });
    expect(info.config.mqtt.base_topic).toBe(t.base);

    const devices = await late.next(`${t.base}/bridge/devices`);
    expect(devices.retain).toBe(true);
    const list = devices.json();
    expect(list).toHaveLength(home.devices.length + 1);
    const coordinator = list.find((d: any) => d.type === 'Coordinator');
    expect(coordinator).toBeDefined();
    expect('definition' in coordinator).toBe(false);
    const lamp = list.find((d: any) => d.friendly_name === 'living_room/lamp');
    expect(lamp).toMatchObject({
      type: 'Router',
      supported: true,
      disabled: false,
      model_id: 'LCT015',
      power_source: 'Mains (single phase)',
      interview_state: 'SUCCESSFUL',
      definition: { source: 'native', model: '9290012573A', vendor: 'Philips', supports_ota: true },
    });
    expect(lamp.ieee_address).toMatch(/^0x[0-9a-f]{16}$/);
    expect(typeof lamp.network_address).toBe('number');
    expect(Object.keys(lamp.endpoints)).toEqual(['11']);
    const light = lamp.definition.exposes.find((e: any) => e.type === 'light');
    expect(light.features.map((f: any) => f.property)).toEqual(
      expect.arrayContaining(['state', 'brightness', 'color_temp', 'color']),
    );
    expect(lamp.definition.exposes.at(-1)).toMatchObject({ property: 'linkquality', access: 1 });
    expect(lamp.definition.options.map((o: any) => o.property)).toContain('transition');

    const groups = (await late.next(`${t.base}/bridge/groups`)).json();
    expect(groups[0]).toMatchObject({ id: 1, friendly_name: 'living_room/lights' });
    expect(groups[0].members).toContainEqual({ ieee_address: lamp.ieee_address, endpoint: 11 });
    expect(groups[0].scenes).toContainEqual({ id: 1, name: 'Evening' });
  });

  it('publishes device state without retain, with the full merged state', async () => {
    await using t = await setup();
    await t.sim.emitState('living_room/climate', { temperature: 23.5, action: 'ignored' });
    const message = await t.obs.next(`${t.base}/living_room/climate`);
    expect(message.retain).toBe(false);
    expect(message.json()).toMatchObject({ temperature: 23.5, humidity: 48.2, linkquality: 120 });
    expect(t.sim.device('living_room/climate').state.action).toBeUndefined();
    await t.sim.emitEvent('device_announce', 'living_room/climate');
    expect((await t.obs.next(`${t.base}/bridge/event`)).json()).toEqual({
      type: 'device_announce',
      data: { friendly_name: 'living_room/climate', ieee_address: '0x00124b0000000004' },
    });
    await using late = await observe(broker.url, [`${t.base}/living_room/climate`]);
    await late.none(() => true, 300);
  });

  it('tick() publishes moved sensor readings; availability is retained when enabled', async () => {
    await using t = await setup({ availability: true });
    const before = t.sim.device('living_room/tv_plug').state.power;
    await t.sim.tick();
    const plug = (await t.obs.next(`${t.base}/living_room/tv_plug`)).json();
    expect(plug.power).not.toBe(before);
    expect(plug.state).toBe('ON');
    await t.obs.next(`${t.base}/hallway/motion`);
    await t.obs.none(on(`${t.base}/living_room/lamp`), 100);
    await using late = await observe(broker.url, [`${t.base}/+/+/availability`]);
    const availability = await late.next(`${t.base}/living_room/lamp/availability`);
    expect(availability.retain).toBe(true);
    expect(availability.json()).toEqual({ state: 'online' });
  });

  it('applies valid /set through the converters and publishes the new state', async () => {
    await using t = await setup();
    const set = (name: string, payload: object) =>
      t.obs.publish(`${t.base}/${name}/set`, JSON.stringify(payload));

    await set('living_room/lamp', { brightness: 77 });
    expect((await t.obs.next(`${t.base}/living_room/lamp`)).json()).toMatchObject({
      state: 'ON',
      brightness: 77,
      linkquality: 120,
    });
    await set('living_room/lamp', { color: { x: 0.2, y: 0.3 } });
    expect((await t.obs.next(`${t.base}/living_room/lamp`)).json()).toMatchObject({
      color: { x: 0.2, y: 0.3 },
      color_mode: 'xy',
      brightness: 77,
    });
    await set('kitchen/ceiling', { color_temp: 'warm' });
    expect((await t.obs.next(`${t.base}/kitchen/ceiling`)).json()).toMatchObject({
      color_temp: 454,
      color_mode: 'color_temp',
    });
    await set('living_room/blind', { position: 40 });
    expect((await t.obs.next(`${t.base}/living_room/blind`)).json()).toMatchObject({
      position: 40,
    });
    await set('hallway/front_door_lock', { state: 'UNLOCK' });
    expect((await t.obs.next(`${t.base}/hallway/front_door_lock`)).json()).toMatchObject({
      state: 'UNLOCK',
      lock_state: 'unlocked',
    });
    await t.obs.publish(`${t.base}/living_room/tv_plug/set/state`, 'OFF');
    expect((await t.obs.next(`${t.base}/living_room/tv_plug`)).json()).toMatchObject({
      state: 'OFF',
      power: 42,
    });
    await t.obs.publish(`${t.base}/living_room/thermostat/set/occupied_heating_setpoint`, '22.5');
    expect((await t.obs.next(`${t.base}/living_room/thermostat`)).json()).toMatchObject({
      occupied_heating_setpoint: 22.5,
    });
  });

  it('logs invalid values on bridge/logging in Zigbee2MQTT wording and publishes no state', async () => {
    await using t = await setup();
    const logging = `${t.base}/bridge/logging`;
    await t.obs.publish(`${t.base}/living_room/lamp/set`, '{"brightness":"abc"}');
    expect((await t.obs.next(logging)).json()).toEqual({
      level: 'error',
      message:
        `z2m: Publish 'set' 'brightness' to 'living_room/lamp' failed: 'Error: Brightness value ` +
        `of message: '{"brightness":"abc"}' invalid, must be a number >= 0 and =< 254'`,
    });
    await t.obs.publish(`${t.base}/hallway/front_door_lock/set`, '{"state":"BANANA"}');
    expect((await t.obs.next(logging)).json().message).toBe(
      `z2m: Publish 'set' 'state' to 'hallway/front_door_lock' failed: ` +
        `'Error: 'BANANA' not allowed, choose between: LOCK,UNLOCK,TOGGLE'`,
    );
    await t.obs.publish(`${t.base}/living_room/lamp/set`, '{"sparkle":1}');
    expect((await t.obs.next(logging)).json().message).toBe(
      `z2m: No converter available for 'sparkle' on 'living_room/lamp': (1)`,
    );
    await t.obs.none((m) => m.topic.endsWith('/living_room/lamp') || m.topic.endsWith('_lock'));
  });

  it('can publish the documented logging form with a namespace', async () => {
    await using t = await setup({ logFormat: 'documented' });
    await t.obs.publish(`${t.base}/living_room/lamp/set`, '{"brightness":300}');
    expect((await t.obs.next(`${t.base}/bridge/logging`)).json()).toEqual({
      level: 'error',
      namespace: 'z2m',
      message: expect.stringMatching(
        /^Publish 'set' 'brightness' to 'living_room\/lamp' failed: 'Error: /,
      ),
    });
  });

  it('answers /get with the current state as an ordinary publish', async () => {
    await using t = await setup();
    await t.obs.publish(`${t.base}/living_room/lamp/get`, '{"state":""}');
    const message = await t.obs.next(`${t.base}/living_room/lamp`);
    expect(message.retain).toBe(false);
    expect(message.json()).toMatchObject({ state: 'ON', brightness: 180, linkquality: 120 });
    // Only readable properties have a converter for /get; Zigbee2MQTT logs the others.
    await t.obs.publish(`${t.base}/hallway/motion/get`, '{"occupancy":""}');
    expect((await t.obs.next(`${t.base}/bridge/logging`)).json().message).toBe(
      `z2m: No converter available for 'occupancy' on 'hallway/motion': ("")`,
    );
    await t.obs.none(on(`${t.base}/hallway/motion`));
  });

  it('forced failures are logged, silenced devices answer nothing', async () => {
    await using t = await setup();
    t.sim.failNext(
      'living_room/lamp',
      'Command 0x00124b0000000001/11 genOnOff.off failed (Timeout)',
    );
    await t.obs.publish(`${t.base}/living_room/lamp/set`, '{"state":"OFF"}');
    expect((await t.obs.next(`${t.base}/bridge/logging`)).json().message).toBe(
      `z2m: Publish 'set' 'state' to 'living_room/lamp' failed: ` +
        `'Error: Command 0x00124b0000000001/11 genOnOff.off failed (Timeout)'`,
    );
    t.sim.silence('kitchen/ceiling');
    await t.obs.publish(`${t.base}/kitchen/ceiling/set`, '{"state":"OFF"}');
    await t.obs.publish(`${t.base}/kitchen/ceiling/set`, '{"brightness":"x"}');
    await t.obs.none((m) => m.topic.endsWith('/kitchen/ceiling') || m.topic.endsWith('/logging'));
    // The lamp still works after its forced failure.
    await t.obs.publish(`${t.base}/living_room/lamp/set`, '{"state":"OFF"}');
    expect((await t.obs.next(`${t.base}/living_room/lamp`)).json().state).toBe('OFF');
  });

  it('a group /set publishes the group state and each member state', async () => {
    await using t = await setup();
    await t.obs.publish(`${t.base}/living_room/lights/set`, '{"state":"OFF"}');
    const group = await t.obs.next(`${t.base}/living_room/lights`);
    expect(group.json()).toMatchObject({ state: 'OFF' });
    expect((await t.obs.next(`${t.base}/living_room/lamp`)).json().state).toBe('OFF');
    expect((await t.obs.next(`${t.base}/living_room/floor_lamp`)).json().state).toBe('OFF');
  });

  it('renames a device: response with transaction, retained devices, then plain state', async () => {
    await using t = await setup();
    await t.obs.publish(
      `${t.base}/bridge/request/device/rename`,
      JSON.stringify({ from: 'bedroom/remote', to: 'bedroom/dimmer', transaction: 'tx-1' }),
    );
    const devices = await t.obs.take(
      (m) => m.topic === `${t.base}/bridge/devices` && m.text.includes('bedroom/dimmer'),
    );
    expect(devices.retain).toBe(false); // live delivery of a retained publish has retain unset
    expect(devices.json().map((d: any) => d.friendly_name)).not.toContain('bedroom/remote');
    const state = await t.obs.next(`${t.base}/bedroom/dimmer`);
    expect(state.json()).toMatchObject({ battery: 100 });
    const cleared = await t.obs.next(`${t.base}/bedroom/remote`);
    expect(cleared.text).toBe('');
    const response = await t.obs.next(`${t.base}/bridge/response/device/rename`);
    // Order as Zigbee2MQTT: clear the old name, retained devices, state, then the response.
    const order = [cleared, devices, state, response].map((m) => t.obs.messages.indexOf(m));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(response.json()).toEqual({
      data: { from: 'bedroom/remote', to: 'bedroom/dimmer', homeassistant_rename: false },
      status: 'ok',
      transaction: 'tx-1',
    });
    await t.obs.publish(
      `${t.base}/bridge/request/device/rename`,
      JSON.stringify({ from: 'nope', to: 'x', transaction: 2 }),
    );
    expect((await t.obs.next(`${t.base}/bridge/response/device/rename`)).json()).toEqual({
      data: {},
      status: 'error',
      error: "Device 'nope' does not exist",
      transaction: 2,
    });
  });

  it('permit_join answers and shows in bridge/info', async () => {
    await using t = await setup();
    await t.obs.publish(`${t.base}/bridge/request/permit_join`, '{"time":60,"transaction":5}');
    const info = await t.obs.take((m) => on(`${t.base}/bridge/info`)(m) && m.json().permit_join);
    expect(info.json().permit_join_end).toBeGreaterThan(Date.now());
    expect((await t.obs.next(`${t.base}/bridge/response/permit_join`)).json()).toEqual({
      data: { time: 60 },
      status: 'ok',
      transaction: 5,
    });
  });

  it('goes offline (retained), ignores requests, and comes back online', async () => {
    await using t = await setup();
    await t.sim.goOffline();
    const offline = await t.obs.take(
      (m) => on(`${t.base}/bridge/state`)(m) && m.text.includes('offline'),
    );
    expect(offline.json()).toEqual({ state: 'offline' });
    await using late = await observe(broker.url, [`${t.base}/bridge/state`]);
    expect((await late.next(`${t.base}/bridge/state`)).json()).toEqual({ state: 'offline' });
    await t.obs.publish(`${t.base}/living_room/lamp/set`, '{"state":"OFF"}');
    await t.obs.none(on(`${t.base}/living_room/lamp`));
    await t.sim.goOnline();
    await t.obs.take((m) => on(`${t.base}/bridge/state`)(m) && m.text.includes('online'));
    await t.obs.publish(`${t.base}/living_room/lamp/set`, '{"state":"OFF"}');
    expect((await t.obs.next(`${t.base}/living_room/lamp`)).json().state).toBe('OFF');
  });

  it('a crash makes the broker publish the last will', async () => {
    const t = await setup();
    try {
      await t.sim.crash();
      const will = await t.obs.take(
        (m) => on(`${t.base}/bridge/state`)(m) && m.text.includes('offline'),
      );
      expect(will.json()).toEqual({ state: 'offline' });
    } finally {
      await t.obs.close();
    }
  });

  it('republishes retained bridge topics after a broker restart', async () => {
    await using t = await setup();
    await broker.restart();
    await using late = await observe(broker.url, [
      `${t.base}/bridge/devices`,
      `${t.base}/living_room/lamp`,
    ]);
    const devices = await late.next(`${t.base}/bridge/devices`, 8000);
    expect(devices.json()).toHaveLength(home.devices.length + 1);
    // Resubscribed too: a /set after the restart is applied.
    await late.publish(`${t.base}/living_room/lamp/set`, '{"brightness":5}');
    expect((await late.next(`${t.base}/living_room/lamp`)).json().brightness).toBe(5);
  });

  it('a 500-device home publishes a valid bridge/devices and streams state', async () => {
    await using t = await setup({ devices: 500 });
    const devices = t.obs.messages.find(on(`${t.base}/bridge/devices`))?.json();
    expect(devices).toHaveLength(501);
    expect(new Set(devices.map((d: any) => d.ieee_address)).size).toBe(501);
    expect(new Set(devices.map((d: any) => d.friendly_name)).size).toBe(501);
    for (const d of devices.slice(1)) {
      expect(d.definition.exposes.at(-1).property).toBe('linkquality');
    }
    const isState = (m: Received) => !m.topic.includes('/bridge/');
    const started = performance.now();
    const stop = t.sim.startStateStream(1000);
    try {
      while (t.obs.messages.filter(isState).length < 500 && performance.now() - started < 5000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      stop();
    }
    const states = t.obs.messages.filter(isState);
    expect(states.length).toBeGreaterThanOrEqual(500);
    expect(new Set(states.map((m) => m.topic)).size).toBe(500);
    expect(states[0]?.retain).toBe(false);
  });
});
