import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { inTransaction } from '../store/database.ts';
import type { BridgeDevice, BridgeGroup } from '../../../adapters/zigbee/bridge-messages.ts';
import type {
  DeviceStore,
  StoredDevices,
  StoredState,
} from '../../../adapters/zigbee/device-store.ts';

/**
 * The Zigbee adapter's memory across restarts, in the central service's database (migration
 * 4): the device and group lists as the bridge last described them, keyed by IEEE address and
 * group id, and each device's last state. Every save is one transaction.
 */
export class SqliteDeviceStore implements DeviceStore {
  readonly #db: DatabaseSync;
  readonly #sql: Record<
    | 'devices'
    | 'groups'
    | 'states'
    | 'clearDevices'
    | 'insertDevice'
    | 'clearGroups'
    | 'insertGroup'
    | 'upsertState',
    StatementSync
  >;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = {
      devices: db.prepare('SELECT description FROM zigbee_devices ORDER BY friendly_name'),
      groups: db.prepare('SELECT description FROM zigbee_groups ORDER BY id'),
      states: db.prepare('SELECT ieee_address, state, updated_at FROM zigbee_device_state'),
      clearDevices: db.prepare('DELETE FROM zigbee_devices'),
      insertDevice: db.prepare(
        'INSERT INTO zigbee_devices (ieee_address, friendly_name, description, updated_at) VALUES (?, ?, ?, ?)',
      ),
      clearGroups: db.prepare('DELETE FROM zigbee_groups'),
      insertGroup: db.prepare(
        'INSERT INTO zigbee_groups (id, friendly_name, description, updated_at) VALUES (?, ?, ?, ?)',
      ),
      upsertState: db.prepare(
        `INSERT INTO zigbee_device_state (ieee_address, state, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (ieee_address) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      ),
    };
  }

  load(): Promise<StoredDevices> {
    const parse = <T>(rows: unknown[]): T[] =>
      rows.map((row) => JSON.parse((row as { description: string }).description) as T);
    return Promise.resolve({
      devices: parse<BridgeDevice>(this.#sql.devices.all()),
      groups: parse<BridgeGroup>(this.#sql.groups.all()),
      states: this.#sql.states.all().map((row) => {
        const { ieee_address, state, updated_at } = row as Record<string, string>;
        return {
          id: ieee_address as string,
          state: JSON.parse(state as string) as Record<string, unknown>,
          at: updated_at as string,
        };
      }),
    });
  }

  saveDevices(devices: readonly BridgeDevice[]): Promise<void> {
    const now = new Date().toISOString();
    this.#transaction(() => {
      this.#sql.clearDevices.run();
      for (const device of devices) {
        this.#sql.insertDevice.run(device.ieee, device.name, JSON.stringify(device), now);
      }
    });
    return Promise.resolve();
  }

  saveGroups(groups: readonly BridgeGroup[]): Promise<void> {
    const now = new Date().toISOString();
    this.#transaction(() => {
      this.#sql.clearGroups.run();
      for (const group of groups) {
        this.#sql.insertGroup.run(group.id, group.name, JSON.stringify(group), now);
      }
    });
    return Promise.resolve();
  }

  saveStates(states: readonly StoredState[]): Promise<void> {
    this.#transaction(() => {
      for (const { id, state, at } of states) {
        this.#sql.upsertState.run(id, JSON.stringify(state), at);
      }
    });
    return Promise.resolve();
  }

  #transaction(work: () => void): void {
    inTransaction(this.#db, work);
  }
}
