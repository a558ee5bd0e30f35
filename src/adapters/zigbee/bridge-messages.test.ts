import { describe, expect, it } from 'vitest';
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
import { confirms } from './set-device.ts';

describe('bridge messages', () => {
  it('reads bridge/state and availability in the 2.x and 1.x forms', () => {
    expect(parseOnlineState('{"state":"online"}')).toBe('online');
    expect(parseOnlineState('{"state":"offline","extra":1}')).toBe('offline');
    expect(parseOnlineState('online')).toBe('online');
    expect(parseOnlineState(' offline\n')).toBe('offline');
    expect(parseOnlineState('"online"')).toBe('online');
    expect(parseOnlineState('')).toBeUndefined();
    expect(parseOnlineState('{"state":"dozing"}')).toBeUndefined();
    expect(parseOnlineState('{oops')).toBeUndefined();
  });

  it('reads bridge/devices, skipping bad entries and keeping extra fields out', () => {
    const parsed = parseBridgeDevices(
      JSON.stringify([
        {
          ieee_address: '0x1',
          type: 'Coordinator',
          friendly_name: 'Coordinator',
          network_address: 0,
        },
        {
          ieee_address: '0x2',
          type: 'EndDevice',
          friendly_name: 'hall/sensor',
          supported: false,
          disabled: false,
          power_source: 'Battery',
          interview_state: 'SUCCESSFUL',
          definition: {
            model: 'M1',
            vendor: 'V',
            description: 'Sensor',
            exposes: [{ type: 'numeric', property: 'temperature', access: 5 }],
            options: [],
            icon: 'x.png',
          },
        },
        { friendly_name: 'no ieee' },
        42,
      ]),
    );
    expect(parsed?.skipped).toBe(2);
    expect(parsed?.devices[0]).toMatchObject({ ieee: '0x1', type: 'Coordinator', exposes: [] });
    expect(parsed?.devices[1]).toEqual({
      ieee: '0x2',
      name: 'hall/sensor',
      type: 'EndDevice',
      model: 'M1',
      vendor: 'V',
      description: 'Sensor',
      powerSource: 'Battery',
      supported: false,
      disabled: false,
      exposes: [{ type: 'numeric', property: 'temperature', access: 5 }],
      options: [],
    });
    expect(parseBridgeDevices('{"not":"a list"}')).toBeUndefined();
    expect(parseBridgeDevices('nope')).toBeUndefined();
  });

  it('reads groups, info, events, logging and responses', () => {
    expect(
      parseBridgeGroups(
        JSON.stringify([
          {
            id: 3,
            friendly_name: 'g',
            members: [
              { ieee_address: '0x2', endpoint: 1 },
              { ieee_address: '0x2', endpoint: 2 },
            ],
            scenes: [{ id: 1 }],
          },
          { id: 'x' },
        ]),
      ),
    ).toEqual({
      groups: [{ id: 3, name: 'g', members: ['0x2'], scenes: [{ id: 1, name: 'Scene 1' }] }],
      skipped: 1,
    });
    expect(parseBridgeInfo('{"version":"2.6.0","coordinator":{}}')).toEqual({ version: '2.6.0' });
    expect(
      parseBridgeEvent('{"type":"device_leave","data":{"ieee_address":"0x2","friendly_name":"x"}}'),
    ).toEqual({
      type: 'device_leave',
      name: 'x',
      ieee: '0x2',
    });
    expect(parseBridgeLogging('{"level":"error","message":"boom"}')).toEqual({
      level: 'error',
      message: 'boom',
    });
    expect(parseBridgeLogging('{"level":"error"}')).toBeUndefined();
    expect(
      parseBridgeResponse('{"data":{},"status":"error","error":"no","transaction":1}'),
    ).toEqual({
      status: 'error',
      data: {},
      error: 'no',
    });
    expect(parseDeviceState('{"state":"ON"}')).toEqual({ state: 'ON' });
    expect(parseDeviceState('[1]')).toBeUndefined();
    expect(parseDeviceState('null')).toBeUndefined();
  });

  it('finds the device in a failed-publish log line, with or without the z2m prefix', () => {
    expect(
      parseFailedPublish(
        "z2m: Publish 'set' 'state' to 'living_room/lamp' failed: 'Error: Timeout'",
      ),
    ).toEqual({
      type: 'set',
      key: 'state',
      name: 'living_room/lamp',
      reason: 'Error: Timeout',
    });
    expect(parseFailedPublish("Publish 'get' 'brightness' to 'x' failed: 'Error: y'")?.type).toBe(
      'get',
    );
    expect(parseFailedPublish('Something else happened')).toBeUndefined();
  });
});

describe('set confirmation', () => {
  it('needs the requested values, roughly for numbers, exactly for words', () => {
    const keys = ['state', 'brightness'];
    expect(confirms({ state: 'ON', brightness: 255 }, keys, { state: 'ON', brightness: 254 })).toBe(
      true,
    );
    expect(confirms({ state: 'on', brightness: 100 }, keys, { state: 'ON', brightness: 101 })).toBe(
      true,
    );
    expect(
      confirms({ state: 'ON', brightness: 100 }, keys, { state: 'OFF', brightness: 100 }),
    ).toBe(false);
    expect(confirms({ state: 'ON', brightness: 100 }, keys, { state: 'ON', brightness: 30 })).toBe(
      false,
    );
    expect(confirms({ state: 'ON', brightness: 100 }, keys, { state: 'ON' })).toBe(false);
    expect(confirms({ state: 'TOGGLE' }, ['state'], { state: 'OFF' })).toBe(true);
    expect(confirms({ color: { hex: '#ff0000' } }, ['color'], { color: { x: 0.7, y: 0.3 } })).toBe(
      true,
    );
    expect(confirms({ child_lock: true }, ['child_lock'], { child_lock: false })).toBe(false);
    expect(confirms({ effect: 'blink' }, [], { state: 'ON' })).toBe(true);
  });
});
