import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { prepareDefinition, type DefinitionWithExtend } from 'zigbee-herdsman-converters';
import { exposesToSchema, validateSet, type Expose, type JsonSchema } from './exposes-schema.ts';

// Real definitions, serialised as Zigbee2MQTT puts them in bridge/devices.
const require = createRequire(import.meta.url);
const definitions = (
  require('zigbee-herdsman-converters/devices/index') as { default: DefinitionWithExtend[] }
).default;

function serialise(definition: DefinitionWithExtend): { exposes: Expose[]; options: Expose[] } {
  const prepared = prepareDefinition(definition);
  const exposes = Array.isArray(prepared.exposes)
    ? prepared.exposes
    : prepared.exposes({ isDummyDevice: true } as never, {});
  return JSON.parse(JSON.stringify({ exposes, options: prepared.options ?? [] }));
}

function device(model: string, includeConfig = false) {
  const definition = definitions.find((d) => d.model === model);
  if (!definition) throw new Error(`no definition for ${model}`);
  const { exposes, options } = serialise(definition);
  return exposesToSchema(exposes, { definitionOptions: options, includeConfig });
}

const props = (schema: JsonSchema) => schema.properties as Record<string, JsonSchema>;

describe('exposesToSchema with real definitions', () => {
  it('a Hue colour light: state, brightness, colour temperature with presets, colour, transition', () => {
    const hue = device('9290012573A');
    const p = props(hue.settable);
    expect(hue.kinds).toEqual(['light']);
    expect(p.state).toMatchObject({ enum: ['ON', 'OFF', 'TOGGLE'] });
    expect(p.brightness).toMatchObject({ type: 'number', minimum: 0, maximum: 254 });
    expect(p.color_temp).toMatchObject({
      oneOf: [
        { type: 'number', minimum: 153, maximum: 500 },
        { type: 'string', enum: ['coolest', 'cool', 'neutral', 'warm', 'warmest'] },
      ],
    });
    expect(p.transition).toMatchObject({ type: 'number', minimum: 0 });
    expect(p.power_on_behavior).toBeUndefined();
    expect(hue.settable.additionalProperties).toBe(false);
    expect(hue.readable).toEqual(expect.arrayContaining(['state', 'brightness', 'color']));
    expect(hue.describe.color_temp).toContain('(mired)');

    const ok = (state: unknown) => validateSet(hue.settable, state);
    expect(ok({ state: 'ON', brightness: 128, transition: 2, color_temp: 'warm' })).toEqual({
      ok: true,
    });
    for (const color of [
      { x: 0.3, y: 0.4 },
      { hue: 120, saturation: 80 },
      { hue: 200 },
      { r: 255, g: 0, b: 10 },
      { hex: '#00ff00' },
      '#0000ff',
    ]) {
      expect(ok({ color })).toEqual({ ok: true });
    }
    for (const color of [{ x: 2, y: 0 }, { x: 0.3 }, 'red', { r: 300, g: 0, b: 0 }]) {
      expect(ok({ color }).ok).toBe(false);
    }
    expect(ok({ brightness: 255 })).toEqual({
      ok: false,
      errors: ['brightness: 255 is not allowed; expected number 0..254'],
    });
    const temp = ok({ color_temp: 'hot' });
    expect(temp.ok === false && temp.errors[0]).toMatch(/^color_temp: "hot".*153\.\.500.*"warm"/);
  });

  it('hides config properties unless asked', () => {
    const hue = device('9290012573A', true);
    expect(props(hue.settable).power_on_behavior).toMatchObject({
      enum: ['off', 'on', 'toggle', 'previous'],
    });
    expect(hue.describe.power_on_behavior).toBeDefined();
  });

  it('a plug: state settable, power published but not settable', () => {
    const plug = device('TS011F_plug_1');
    expect(plug.kinds).toEqual(['switch']);
    expect(Object.keys(props(plug.settable))).toEqual(['state', 'countdown', 'child_lock']);
    expect(props(plug.settable).countdown).toMatchObject({ type: 'integer', maximum: 43200 });
    expect(plug.published).toContain('power');
    expect(plug.readable).not.toContain('power');
    expect(plug.describe.power).toBe('number (W); Instantaneous measured power; read-only');
    const check = validateSet(plug.settable, { power: 10 });
    expect(check.ok === false && check.errors[0]).toMatch(/^"power" cannot be set.*state/);
    expect(device('E22xx').readable).toContain('power');
  });

  it('a thermostat valve: setpoint range and step, system mode, diagnostic battery read-only', () => {
    const trv = device('SPZB0001');
    const p = props(trv.settable);
    expect(trv.kinds).toEqual(['climate']);
    expect(p.occupied_heating_setpoint).toMatchObject({ minimum: 5, maximum: 30, multipleOf: 0.5 });
    expect(p.system_mode).toMatchObject({ enum: ['off', 'auto', 'heat'] });
    expect(p.trv_mode).toMatchObject({ enum: [1, 2] });
    expect(p.battery).toBeUndefined();
    expect(p.local_temperature).toBeUndefined();
    expect(trv.published).toContain('battery');
    expect(trv.readable).toContain('local_temperature');
    expect(validateSet(trv.settable, { occupied_heating_setpoint: 21.5 })).toEqual({ ok: true });
    expect(validateSet(trv.settable, { local_temperature_calibration: -0.3 })).toEqual({
      ok: true,
    });
    const off = validateSet(trv.settable, { occupied_heating_setpoint: 21.3, system_mode: 'on' });
    expect(off).toEqual({
      ok: false,
      errors: [
        'occupied_heating_setpoint: 21.3 is not allowed; expected number 5..30 step 0.5',
        'system_mode: "on" is not allowed; expected one of "off" | "auto" | "heat"',
      ],
    });
  });

  it('a cover: OPEN/CLOSE/STOP and position 0-100', () => {
    const cover = device('E1757');
    expect(cover.kinds).toEqual(['cover']);
    expect(props(cover.settable).state).toEqual({ enum: ['OPEN', 'CLOSE', 'STOP'] });
    expect(props(cover.settable).position).toMatchObject({ minimum: 0, maximum: 100 });
    expect(validateSet(cover.settable, { position: 40 })).toEqual({ ok: true });
    expect(validateSet(cover.settable, { state: 'ON' }).ok).toBe(false);
  });

  it('a lock: LOCK/UNLOCK, lock_state read-only, pin_code composite keeps boolean values', () => {
    const lock = device('YRD426NRSC');
    const p = props(lock.settable);
    expect(lock.kinds).toEqual(['lock']);
    expect(p.state).toMatchObject({ enum: ['LOCK', 'UNLOCK'] });
    expect(p.lock_state).toBeUndefined();
    expect(lock.published).toContain('lock_state');
    expect(props(p.pin_code!).user_enabled).toMatchObject({ enum: [true, false] });
    expect(validateSet(lock.settable, { pin_code: { user: 1, user_enabled: 'yes' } }).ok).toBe(
      false,
    );
  });

  it('a two-gang switch: state_l1 and state_l2, per-endpoint config hidden', () => {
    const sw = device('BW-SS7_2gang');
    expect(Object.keys(props(sw.settable))).toEqual(['state_l1', 'state_l2']);
    expect(validateSet(sw.settable, { state_l2: 'TOGGLE' })).toEqual({ ok: true });
    expect(validateSet(sw.settable, { state: 'ON' }).ok).toBe(false);
    expect(Object.keys(props(device('BW-SS7_2gang', true).settable))).toContain(
      'power_on_behavior_l1',
    );
  });

  it('a two-channel light strip: endpoint colour gets every colour form', () => {
    const strip = device('ZNDDMK11LM');
    expect(Object.keys(props(strip.settable))).toEqual(
      expect.arrayContaining(['state_l1', 'brightness_l2', 'color_l1', 'transition']),
    );
    expect(validateSet(strip.settable, { color_l1: '#ff0000', state_l2: 'ON' })).toEqual({
      ok: true,
    });
    expect(validateSet(strip.settable, { color_l1: { hue: 10 } }).ok).toBe(false);
  });

  it('a fan with a light: fan_state, fan_mode, and transition for the light', () => {
    const fan = device('99432');
    expect(fan.kinds).toEqual(['fan', 'light']);
    expect(props(fan.settable).fan_mode).toMatchObject({
      enum: ['low', 'medium', 'high', 'on', 'smart'],
    });
    expect(props(fan.settable).fan_state).toMatchObject({ enum: ['ON', 'OFF'] });
    expect(props(fan.settable).transition).toBeDefined();
  });

  it('a schedule: composites and lists become objects and arrays', () => {
    const thermostat = device('BTH-RM230Z');
    const schedule = props(thermostat.settable).weekly_schedule!;
    expect(schedule.type).toBe('object');
    expect(props(schedule).dayofweek).toMatchObject({ type: 'array', minItems: 1, maxItems: 8 });
    expect(props(device('SPZB0001').settable).transition).toBeUndefined();
  });
});

describe('every definition', () => {
  it('gives a valid JSON Schema that Ajv compiles, with plain property names', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const compiled = new Set<string>();
    const surprises = new Set<string>();
    let devices = 0;
    for (const definition of definitions) {
      const { exposes, options } = serialise(definition);
      for (const includeConfig of [false, true]) {
        const schema = exposesToSchema(exposes, { definitionOptions: options, includeConfig });
        for (const name of [...Object.keys(props(schema.settable)), ...schema.published]) {
          if (!/^[a-zA-Z0-9_]+$/.test(name)) surprises.add(name);
        }
        const text = JSON.stringify(schema.settable);
        if (compiled.has(text)) continue;
        compiled.add(text);
        expect(ajv.validateSchema(schema.settable), `${definition.model}`).toBe(true);
        ajv.compile(schema.settable);
      }
      devices++;
    }
    expect(devices).toBeGreaterThan(4000);
    // One real property name has a space in it; the schema keys it as it is.
    expect([...surprises]).toEqual(['ntc status']);
    expect(compiled.size).toBeGreaterThan(1000);
    // About 5 s on an idle 2-core machine, most of it compiling schemas with Ajv.
  }, 120_000);
});
