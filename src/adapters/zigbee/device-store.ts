/**
 * Where the adapter keeps what it learned across restarts (the lead implements it on SQLite):
 * the device and group lists and each device's last state, loaded at start so that devices are
 * listed before the bridge answers. `MemoryDeviceStore` is the in-process implementation.
 */
import type { BridgeDevice, BridgeGroup } from './bridge-messages.ts';

export interface StoredState {
  /** The device's IEEE address. */
  id: string;
  state: Record<string, unknown>;
  /** ISO 8601. */
  at: string;
}

export interface StoredDevices {
  devices: BridgeDevice[];
  groups: BridgeGroup[];
  states: StoredState[];
}

export interface DeviceStore {
  load(): Promise<StoredDevices>;
  saveDevices(devices: readonly BridgeDevice[]): Promise<void>;
  saveGroups(groups: readonly BridgeGroup[]): Promise<void>;
  /** Last states, batched (the adapter writes at most about once a second). */
  saveStates(states: readonly StoredState[]): Promise<void>;
}

/** A `DeviceStore` in memory, for tests and for running without a database. */
export class MemoryDeviceStore implements DeviceStore {
  devices: BridgeDevice[] = [];
  groups: BridgeGroup[] = [];
  readonly states = new Map<string, StoredState>();

  load(): Promise<StoredDevices> {
    return Promise.resolve({
      devices: structuredClone(this.devices),
      groups: structuredClone(this.groups),
      states: structuredClone([...this.states.values()]),
    });
  }

  saveDevices(devices: readonly BridgeDevice[]): Promise<void> {
    this.devices = structuredClone([...devices]);
    return Promise.resolve();
  }

  saveGroups(groups: readonly BridgeGroup[]): Promise<void> {
    this.groups = structuredClone([...groups]);
    return Promise.resolve();
  }

  saveStates(states: readonly StoredState[]): Promise<void> {
    for (const state of states) this.states.set(state.id, structuredClone(state));
    return Promise.resolve();
  }
}
