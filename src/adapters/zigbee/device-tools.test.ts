import { createRequire } from 'node:module';
import { beforeEach, describe, expect, it } from 'vitest';
import { prepareDefinition, type DefinitionWithExtend } from 'zigbee-herdsman-converters';
import {
  createDeviceTools,
  type DeviceEntry,
  type DeviceSetResult,
  type DeviceTool,
  type DeviceToolsBackend,
  type GroupEntry,
} from './device-tools.ts';
import { exposesToSchema, type Expose } from './exposes-schema.ts';

const require = createRequire(import.meta.url);
const definitions = (
  require('zigbee-herdsman-converters/devices/index') as { default: DefinitionWithExtend[] }
).default;

/** A device entry from a real definition, its exposes serialised as in bridge/devices. */
function entry(id: string, name: string, model: string, state: Record<string, unknown>) {
  const definition = definitions.find((d) => d.model === model);
  if (!definition) throw new Error(`no definition for ${model}`);
  const prepared = prepareDefinition(definition);
  const exposes = Array.isArray(prepared.exposes)
    ? prepared.exposes
    : prepared.exposes({ isDummyDevice: true } as never, {});
  const json = JSON.parse(JSON.stringify({ exposes, options: prepared.options ?? [] })) as {
    exposes: Expose[];
    options: Expose[];
  };
  return {
    id,
    name,
    model,
    vendor: definition.vendor,
    description: definition.description,
    type: 'Router',
    availability: 'online',
    exposesSchema: exposesToSchema(json.exposes, { definitionOptions: json.options }),
    state,
  } satisfies DeviceEntry;
}

/** An in-memory home: sets apply at once, or fail the way the real adapter reports it. */
class Home implements DeviceToolsBackend {
  devices: DeviceEntry[] = [
    entry('0x01', 'Living room/Lamp', '9290012573A', { state: 'ON', brightness: 200 }),
    entry('0x02', 'Kitchen/Lamp', '9290012573A', { state: 'OFF', brightness: 20 }),
    entry('0x03', 'Hallway/Plug', 'TS011F_plug_1', { state: 'OFF', power: 0, voltage: 230 }),
    entry('0x04', 'Bedroom/Radiator', 'SPZB0001', {
      occupied_heating_setpoint: 20,
      local_temperature: 19.5,
      system_mode: 'heat',
    }),
    entry('0x05', 'Bedroom/Blind', 'E1757', { position: 100, battery: 80 }),
    entry('0x06', 'Front door', 'YRD426NRSC', { state: 'LOCK', lock_state: 'locked' }),
    entry('0x07', 'Kitchen/Counter switch', 'BW-SS7_2gang', { state_l1: 'ON', state_l2: 'OFF' }),
  ];
  groupList: GroupEntry[] = [
    {
      id: 1,
      name: 'Downstairs lights',
      members: ['0x01', '0x02'],
      scenes: [
        { id: 1, name: 'Evening' },
        { id: 2, name: 'Movie' },
      ],
    },
  ];
  calls: Array<[string | number, Record<string, unknown>]> = [];
  failures = new Map<string, DeviceSetResult | Error>();

  list() {
    return this.devices;
  }
  groups() {
    return this.groupList;
  }
  set(id: string, state: Record<string, unknown>): Promise<DeviceSetResult> {
    this.calls.push([id, state]);
    const failure = this.failures.get(id);
    if (failure instanceof Error) return Promise.reject(failure);
    if (failure) return Promise.resolve(failure);
    const device = this.devices.find((d) => d.id === id)!;
    device.state = { ...device.state, ...state };
    return Promise.resolve({ ok: true, state: device.state });
  }
  setGroup(id: number | string, state: Record<string, unknown>): Promise<DeviceSetResult> {
    this.calls.push([id, state]);
    return Promise.resolve({ ok: true, state });
  }
}

let home: Home;
let tools: DeviceTool[];
beforeEach(() => {
  home = new Home();
  tools = createDeviceTools(home);
});

async function call(name: string, args: Record<string, unknown>, signal?: AbortSignal) {
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  const result = await tool.call(args, { signal: signal ?? new AbortController().signal });
  return { ...result, json: JSON.parse(result.content) };
}

describe('createDeviceTools', () => {
  it('offers group tools only with groups and a group setter, under valid names', () => {
    expect(tools.map((t) => t.name)).toEqual([
      'list_devices',
      'get_device_state',
      'set_device_state',
      'set_group_state',
      'recall_scene',
    ]);
    for (const t of tools) expect(t.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    home.groupList = [];
    expect(createDeviceTools(home)).toHaveLength(3);
    const other = new Home();
    const withoutGroupSetter: DeviceToolsBackend = {
      list: () => other.list(),
      groups: () => other.groups(),
      set: (id, state) => other.set(id, state),
    };
    expect(createDeviceTools(withoutGroupSetter)).toHaveLength(3);
  });
});

describe('list_devices', () => {
  it('filters by room (the friendly name before the last slash) with key state', async () => {
    const { json, isError } = await call('list_devices', { room: 'living ROOM' });
    expect(isError).toBeUndefined();
    expect(json.devices).toHaveLength(1);
    expect(json.devices[0]).toMatchObject({
      name: 'Living room/Lamp',
      room: 'Living room',
      kind: 'light',
      state: { state: 'ON', brightness: 200 },
    });
    expect(json.devices[0].can).toContain('brightness');
    const bedroom = await call('list_devices', { room: 'bedroom' });
    expect(bedroom.json.devices.map((d: { name: string }) => d.name)).toEqual([
      'Bedroom/Radiator',
      'Bedroom/Blind',
    ]);
    expect(bedroom.json.devices[0].state).toMatchObject({ local_temperature: 19.5 });
  });

  it('names the known rooms when none matches', async () => {
    const { json } = await call('list_devices', { room: 'garage' });
    expect(json.devices).toEqual([]);
    expect(json.rooms).toEqual(['Living room', 'Kitchen', 'Hallway', 'Bedroom']);
  });

  it('finds devices by words, including what kind of thing they are', async () => {
    const names = async (query: string) =>
      (await call('list_devices', { query })).json.devices.map((d: { name: string }) => d.name);
    expect(await names('lamp')).toEqual(['Living room/Lamp', 'Kitchen/Lamp']);
    expect(await names('thermostat')).toEqual(['Bedroom/Radiator']);
    expect(await names('the blind please')).toEqual(['Bedroom/Blind']);
    expect(await names('front door lock')).toEqual(['Front door']);
    expect(await names('kitchen lamp')).toEqual(['Kitchen/Lamp']);
    expect((await call('list_devices', {})).json.devices).toHaveLength(7);
  });
});

describe('get_device_state', () => {
  it('finds a device by name in any case, by id, or by the last part of its name', async () => {
    const lamp = await call('get_device_state', { device: 'living room/lamp' });
    expect(lamp.json).toMatchObject({ name: 'Living room/Lamp', state: { brightness: 200 } });
    expect(lamp.json.settable.brightness).toBe('number 0..254; Brightness of this light');
    expect((await call('get_device_state', { device: '0x04' })).json.name).toBe('Bedroom/Radiator');
    expect((await call('get_device_state', { device: 'radiator' })).json.name).toBe(
      'Bedroom/Radiator',
    );
  });

  it('says when a name is ambiguous or unknown, with suggestions', async () => {
    const both = await call('get_device_state', { device: 'Lamp' });
    expect(both.isError).toBe(true);
    expect(both.json.candidates).toEqual(['Living room/Lamp', 'Kitchen/Lamp']);
    const typo = await call('get_device_state', { device: 'Livng room/Lmp' });
    expect(typo).toMatchObject({ isError: true, json: { error: 'unknown_device' } });
    expect(typo.json.didYouMean[0]).toBe('Living room/Lamp');
  });
});

describe('set_device_state', () => {
  it('sets a valid state and reports what the device confirmed', async () => {
    const off = await call('set_device_state', {
      device: 'Living room/Lamp',
      state: { state: 'OFF' },
    });
    expect(off.isError).toBeUndefined();
    expect(off.json).toEqual({ ok: true, target: 'Living room/Lamp', state: { state: 'OFF' } });
    expect(home.calls).toEqual([['0x01', { state: 'OFF' }]]);
  });

  it('forgives case, a bare value and numbers as text before validating', async () => {
    await call('set_device_state', { device: 'Hallway/Plug', state: { State: 'on' } });
    await call('set_device_state', { device: 'Hallway/Plug', state: 'off' });
    await call('set_device_state', { device: 'Kitchen/Lamp', state: '{"brightness":"128"}' });
    await call('set_device_state', { device: 'Kitchen/Lamp', state: { color_temp: 'Warm' } });
    expect(home.calls).toEqual([
      ['0x03', { state: 'ON' }],
      ['0x03', { state: 'OFF' }],
      ['0x02', { brightness: 128 }],
      ['0x02', { color_temp: 'warm' }],
    ]);
  });

  it('refuses an invalid state with the property and its range, publishing nothing', async () => {
    const bright = await call('set_device_state', {
      device: 'Living room/Lamp',
      state: { brightness: 300 },
    });
    expect(bright.isError).toBe(true);
    expect(bright.json.error).toBe('invalid_state');
    expect(bright.json.message).toBe(
      'Cannot set Living room/Lamp: brightness: 300 is not allowed; expected number 0..254',
    );
    expect(bright.json.settable.state).toContain('"TOGGLE"');
    const power = await call('set_device_state', { device: 'Hallway/Plug', state: { power: 5 } });
    expect(power.json.message).toMatch(/"power" cannot be set.*settable properties: state/);
    const endpoint = await call('set_device_state', {
      device: 'Kitchen/Counter switch',
      state: { state: 'ON' },
    });
    expect(endpoint.json.message).toContain('state_l1, state_l2');
    const setpoint = await call('set_device_state', {
      device: 'Bedroom/Radiator',
      state: { occupied_heating_setpoint: 35 },
    });
    expect(setpoint.json.message).toContain('expected number 5..30 step 0.5');
    expect(home.calls).toEqual([]);
  });

  it('never reports a failed, timed out or offline set as a success', async () => {
    home.failures.set('0x03', { ok: false, code: 'device_timeout', message: 'no confirmation' });
    home.failures.set('0x05', { ok: false, code: 'unavailable', message: 'device is offline' });
    home.failures.set('0x06', new Error('broker connection lost'));
    const timeout = await call('set_device_state', { device: 'Hallway/Plug', state: 'ON' });
    expect(timeout).toMatchObject({ isError: true, json: { error: 'device_timeout' } });
    expect(timeout.json.message).toBe('Setting Hallway/Plug failed: no confirmation');
    const offline = await call('set_device_state', { device: 'Blind', state: { position: 50 } });
    expect(offline).toMatchObject({ isError: true, json: { error: 'unavailable' } });
    const thrown = await call('set_device_state', { device: 'Front door', state: 'UNLOCK' });
    expect(thrown).toMatchObject({ isError: true, json: { error: 'device_failed' } });
    expect(thrown.json.message).toContain('broker connection lost');
  });

  it('does nothing once the turn is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await call(
      'set_device_state',
      { device: 'Kitchen/Lamp', state: { state: 'ON' } },
      controller.signal,
    );
    expect(result).toMatchObject({ isError: true, json: { error: 'interrupted' } });
    expect(home.calls).toEqual([]);
  });
});

describe('groups and scenes', () => {
  it('sets a group with what its members accept', async () => {
    const ok = await call('set_group_state', {
      group: 'downstairs lights',
      state: { state: 'off', transition: 1 },
    });
    expect(ok.isError).toBeUndefined();
    expect(home.calls).toEqual([[1, { state: 'OFF', transition: 1 }]]);
    const bad = await call('set_group_state', { group: '1', state: { position: 10 } });
    expect(bad.isError).toBe(true);
    expect(bad.json.message).toMatch(/^Cannot set group Downstairs lights: "position" cannot/);
    const unknown = await call('set_group_state', { group: 'Upstairs', state: { state: 'ON' } });
    expect(unknown).toMatchObject({ isError: true, json: { didYouMean: ['Downstairs lights'] } });
  });

  it('recalls a scene by name or number, and lists the scenes when it is unknown', async () => {
    await call('recall_scene', { group: 'Downstairs lights', scene: 'movie' });
    await call('recall_scene', { group: 'Downstairs lights', scene: '1' });
    expect(home.calls).toEqual([
      [1, { scene_recall: 2 }],
      [1, { scene_recall: 1 }],
    ]);
    const missing = await call('recall_scene', { group: 'Downstairs lights', scene: 'party' });
    expect(missing).toMatchObject({ isError: true, json: { scenes: ['Evening', 'Movie'] } });
  });
});
