import { describe, expect, it } from 'vitest';
import type { BridgeDevice } from '../../../adapters/zigbee/bridge-messages.ts';
import { openDatabase } from '../store/database.ts';
import { SqliteDeviceStore } from './sqlite-device-store.ts';

const lamp: BridgeDevice = {
  ieee: '0x0017880100000001',
  name: 'living_room/lamp',
  type: 'Router',
  model: '9290012573A',
  vendor: 'Philips',
  supported: true,
  disabled: false,
  exposes: [{ type: 'light', features: [{ type: 'binary', property: 'state', access: 7 }] }],
  options: [],
};

describe('SqliteDeviceStore', () => {
  it('keeps devices, groups and last states across a reopen, replacing lists whole', async () => {
    const db = openDatabase({ memory: true });
    const store = new SqliteDeviceStore(db);
    expect(await store.load()).toEqual({ devices: [], groups: [], states: [] });

    const plug = { ...lamp, ieee: '0x2', name: 'kitchen/plug' };
    await store.saveDevices([lamp, plug]);
    await store.saveGroups([{ id: 1, name: 'downstairs', members: [lamp.ieee], scenes: [] }]);
    await store.saveStates([{ id: lamp.ieee, state: { state: 'ON' }, at: '2026-11-25T10:00:00Z' }]);
    await store.saveStates([
      { id: lamp.ieee, state: { state: 'OFF', brightness: 3 }, at: '2026-11-25T10:00:01Z' },
    ]);
    // A later list without the plug (it left the network) replaces the earlier one.
    await store.saveDevices([lamp]);

    const again = await new SqliteDeviceStore(db).load();
    expect(again.devices).toEqual([lamp]);
    expect(again.groups).toEqual([{ id: 1, name: 'downstairs', members: [lamp.ieee], scenes: [] }]);
    expect(again.states).toEqual([
      { id: lamp.ieee, state: { state: 'OFF', brightness: 3 }, at: '2026-11-25T10:00:01Z' },
    ]);
    db.close();
  });
});
