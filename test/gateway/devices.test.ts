import { afterEach, describe, expect, it } from 'vitest';
import { FakeHome, withHome } from '../support/fake-home.ts';
import {
  adminToken,
  startTestHearth,
  userToken,
  type TestHearth,
} from '../support/hearth-fixture.ts';
import { connectClient } from '../support/ws-client.ts';

let h: TestHearth | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('devices over the WebSocket', () => {
  it('gives subscribers a snapshot, then every state change, to every client alike', async () => {
    const home = new FakeHome();
    h = await startTestHearth({ extensions: [withHome(home)] });
    const a = await connectClient(h.wsUrl, adminToken);
    const b = await connectClient(h.wsUrl, userToken);
    for (const client of [a, b]) {
      await client.request({ type: 'devices.subscribe' });
      const snapshot = await client.waitFor((f) => f.type === 'devices.snapshot');
      expect(snapshot.bridge).toEqual({ online: true, version: '2.14.0' });
      expect(snapshot.devices[0]).toMatchObject({
        name: 'living_room/lamp',
        state: { state: 'ON' },
      });
    }
    home.emit({
      type: 'device.state',
      deviceId: '0x0017880100000001',
      name: 'living_room/lamp',
      state: { state: 'OFF' },
      availability: 'online',
      at: new Date().toISOString(),
    });
    for (const client of [a, b]) {
      const event = await client.waitFor((f) => f.type === 'device.state');
      expect(event).toMatchObject({ deviceId: '0x0017880100000001', state: { state: 'OFF' } });
    }
    // A renamed device: subscribers get a fresh snapshot.
    home.devices[0]!.name = 'living_room/floor_lamp';
    home.emit({ type: 'devices.changed' });
    const again = await a.waitFor(
      (f) => f.type === 'devices.snapshot' && f.devices[0].name === 'living_room/floor_lamp',
    );
    expect(again.devices).toHaveLength(1);
    await a.close();
    await b.close();
  });

  it('acknowledges a set only with the confirmed state and reports failures by code', async () => {
    const home = new FakeHome();
    h = await startTestHearth({ extensions: [withHome(home)] });
    const client = await connectClient(h.wsUrl, userToken);
    const ack = await client.request({
      type: 'device.set',
      deviceId: 'living_room/lamp',
      state: { state: 'OFF' },
    });
    expect(ack).toMatchObject({
      type: 'ack',
      deviceId: 'living_room/lamp',
      state: { state: 'OFF' },
    });
    expect(home.sets).toEqual([{ idOrName: 'living_room/lamp', state: { state: 'OFF' } }]);

    home.nextSet = { ok: false, code: 'device_timeout', message: 'nothing confirmed it in 5 s' };
    await expect(
      client.request({ type: 'device.set', deviceId: 'living_room/lamp', state: { state: 'ON' } }),
    ).rejects.toMatchObject({ code: 'device_timeout', message: 'nothing confirmed it in 5 s' });
    home.nextSet = { ok: false, code: 'bridge_offline', message: 'Zigbee2MQTT is offline' };
    await expect(
      client.request({ type: 'device.set', deviceId: 'x', state: { state: 'ON' } }),
    ).rejects.toMatchObject({ code: 'unavailable' });
    // The connection stays usable after a failed set.
    expect(await client.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    await client.close();
  });

  it('forgets a closed session: later events go only to the ones still there', async () => {
    const home = new FakeHome();
    h = await startTestHearth({ extensions: [withHome(home)] });
    const gone = await connectClient(h.wsUrl, userToken);
    const stays = await connectClient(h.wsUrl, userToken);
    await gone.request({ type: 'devices.subscribe' });
    await stays.request({ type: 'devices.subscribe' });
    await gone.close();
    home.online = false;
    home.emit({ type: 'bridge.state', online: false });
    const snapshot = await stays.waitFor((f) => f.type === 'devices.snapshot' && !f.bridge.online);
    expect(snapshot.devices).toHaveLength(1);
    expect(gone.frames.filter((f) => f.type === 'devices.snapshot')).toHaveLength(1);
    await stays.close();
  });
});

describe('devices over REST', () => {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${(h as TestHearth).url}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' },
    });

  it('lists devices with their last state, gets one by id or name, and sets a state', async () => {
    const home = new FakeHome();
    h = await startTestHearth({ extensions: [withHome(home)] });
    const list = (await (await api('/devices')).json()) as Record<string, any>;
    expect(list).toMatchObject({ configured: true, bridge: { online: true }, groups: [] });
    expect(list.devices[0]).toMatchObject({ id: '0x0017880100000001', state: { brightness: 200 } });
    const byName = await api(`/devices/${encodeURIComponent('living_room/lamp')}`);
    expect(await byName.json()).toMatchObject({ id: '0x0017880100000001' });
    expect((await api('/devices/nope')).status).toBe(404);

    const set = await api('/devices/0x0017880100000001/state', {
      method: 'PUT',
      body: JSON.stringify({ state: 'OFF' }),
    });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ id: '0x0017880100000001', state: { state: 'OFF' } });

    home.nextSet = { ok: false, code: 'device_failed', message: "Publish 'set' failed" };
    const failed = await api('/devices/0x0017880100000001/state', {
      method: 'PUT',
      body: JSON.stringify({ state: 'ON' }),
    });
    expect(failed.status).toBe(502);
    expect(await failed.json()).toEqual({
      error: { code: 'device_failed', message: "Publish 'set' failed" },
    });
  });

  it('answers an empty list, saying devices are not configured, when no bridge is', async () => {
    h = await startTestHearth();
    expect(await (await api('/devices')).json()).toEqual({
      configured: false,
      bridge: null,
      devices: [],
      groups: [],
    });
    const openapi = (await (await api('/openapi.json')).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toContain('/devices/{id}/state');
  });
});
