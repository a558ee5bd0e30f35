import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../support/cluster-fixture.ts';
import { FakeHome, withHome } from '../support/fake-home.ts';
import { userToken } from '../support/hearth-fixture.ts';
import { connectClient } from '../support/ws-client.ts';

let home: FakeHome;
let cluster: TestCluster;
beforeEach(async () => {
  home = new FakeHome();
  // The cluster's profiles need a provider URL; no turn runs here, so nothing listens there.
  cluster = await startTestCluster({
    providerBaseURL: 'http://127.0.0.1:9/v1',
    extensions: [withHome(home)],
  });
});
afterEach(async () => {
  await cluster.stop();
});

describe('devices of the central service, on every gateway', () => {
  it('streams state changes to clients of both gateways and sets through either', async () => {
    await using one = await connectClient(cluster.wsUrls[0]!, userToken);
    await using two = await connectClient(cluster.wsUrls[1]!, userToken);
    for (const client of [one, two]) {
      await client.request({ type: 'devices.subscribe' });
      const snapshot = await client.waitFor((f) => f.type === 'devices.snapshot');
      expect(snapshot.devices[0]).toMatchObject({
        name: 'living_room/lamp',
        state: { state: 'ON' },
      });
    }
    home.emit({
      type: 'device.state',
      deviceId: home.devices[0]!.id,
      name: 'living_room/lamp',
      state: { state: 'OFF' },
      availability: 'online',
      at: new Date().toISOString(),
    });
    for (const client of [one, two]) {
      const event = await client.waitFor((f) => f.type === 'device.state');
      expect(event.state).toEqual({ state: 'OFF' });
    }

    const ack = await two.request({
      type: 'device.set',
      deviceId: 'living_room/lamp',
      state: { state: 'ON' },
    });
    expect(ack.state).toEqual({ state: 'ON' });
    expect(home.sets).toEqual([{ idOrName: home.devices[0]!.id, state: { state: 'ON' } }]);

    home.nextSet = { ok: false, code: 'device_timeout', message: 'nothing confirmed it' };
    await expect(
      one.request({ type: 'device.set', deviceId: 'living_room/lamp', state: { state: 'OFF' } }),
    ).rejects.toMatchObject({ code: 'device_timeout', message: 'nothing confirmed it' });

    // A renamed device reaches the gateways' lists.
    home.devices[0]!.name = 'kitchen/lamp';
    home.emit({ type: 'devices.changed' });
    await two.waitFor(
      (f) => f.type === 'devices.snapshot' && f.devices[0]?.name === 'kitchen/lamp',
    );
  });
});
