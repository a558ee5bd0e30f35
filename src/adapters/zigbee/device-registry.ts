/**
 * What Hearth knows about the bridge's devices: the list from `bridge/devices` (keyed by IEEE
 * address, so a rename keeps state), groups, the last known state of each device (partial
 * updates merged, with a timestamp), availability per friendly name, and whether the bridge is
 * reachable. While the bridge is offline (or the broker is lost) every device reads as
 * unavailable. Emits Hearth's `DeviceEvent`s.
 */
import type {
  Availability,
  BridgeView,
  DeviceEvent,
  DeviceView,
  GroupView,
} from '../../common/devices.ts';
import type { BridgeDevice, BridgeGroup, OnlineState } from './bridge-messages.ts';
import { exposesToSchema, type ExposesSchema } from './exposes-schema.ts';

interface DeviceRecord {
  device: BridgeDevice;
  schema: ExposesSchema;
  signature: string;
  state: Record<string, unknown>;
  stateAt?: string;
}

/** A device with its derived schema, for the set path and the device tools. */
export interface KnownDevice {
  device: BridgeDevice;
  schema: ExposesSchema;
  state: Record<string, unknown>;
  stateAt?: string;
}

/** The adapter's in-memory picture of the bridge; see the file's comment. */
export class DeviceRegistry {
  readonly #byIeee = new Map<string, DeviceRecord>();
  readonly #ieeeByName = new Map<string, string>();
  readonly #availability = new Map<string, OnlineState>();
  readonly #listeners = new Set<(event: DeviceEvent) => void>();
  readonly #now: () => Date;
  #groups: BridgeGroup[] = [];
  #bridge: OnlineState | 'unknown' = 'unknown';
  #connected = false;
  #everConnected = false;
  #version: string | undefined;

  constructor(options: { now?: () => Date } = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  onEvent(listener: (event: DeviceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Replaces the device list; returns whether anything a client sees changed. */
  setDevices(devices: readonly BridgeDevice[]): boolean {
    const seen = new Set<string>();
    let changed = false;
    for (const device of devices) {
      if (device.type === 'Coordinator') continue;
      seen.add(device.ieee);
      const signature = JSON.stringify(device);
      const old = this.#byIeee.get(device.ieee);
      if (old?.signature === signature) continue;
      changed = true;
      const schema = exposesToSchema(device.exposes, { definitionOptions: device.options });
      this.#byIeee.set(device.ieee, {
        device,
        schema,
        signature,
        state: old?.state ?? {},
        ...(old?.stateAt && { stateAt: old.stateAt }),
      });
    }
    for (const ieee of [...this.#byIeee.keys()]) {
      if (!seen.has(ieee)) {
        this.#byIeee.delete(ieee);
        changed = true;
      }
    }
    if (changed) {
      this.#reindex();
      this.#emit({ type: 'devices.changed' });
    }
    return changed;
  }

  setGroups(groups: readonly BridgeGroup[]): void {
    if (JSON.stringify(groups) === JSON.stringify(this.#groups)) return;
    this.#groups = [...groups];
    this.#emit({ type: 'devices.changed' });
  }

  /** A rename the bridge confirmed (`bridge/response/device/rename`), before the new list. */
  rename(from: string, to: string): void {
    const record = this.#find(from);
    if (record) {
      this.#byIeee.set(record.device.ieee, {
        ...record,
        device: { ...record.device, name: to },
        signature: '',
      });
      this.#reindex();
      this.#emit({ type: 'devices.changed' });
      return;
    }
    const group = this.#groups.find((g) => g.name === from);
    if (group) this.setGroups(this.#groups.map((g) => (g === group ? { ...g, name: to } : g)));
  }

  /** Restores a state saved before a restart, without emitting events. */
  restoreState(ieee: string, state: Record<string, unknown>, at: string): void {
    const record = this.#byIeee.get(ieee);
    if (record) Object.assign(record, { state: { ...state }, stateAt: at });
  }

  /** Merges a state publish of the device called `name`; `undefined` when none is. */
  applyState(name: string, partial: Record<string, unknown>): KnownDevice | undefined {
    const record = this.#exact(name);
    if (!record) return undefined;
    const at = this.#now().toISOString();
    record.state = { ...record.state, ...partial };
    record.stateAt = at;
    this.#emitState(record);
    return record;
  }

  setAvailability(name: string, state: OnlineState | undefined): void {
    if (state === undefined) this.#availability.delete(name);
    else this.#availability.set(name, state);
    const record = this.#exact(name);
    if (record) this.#emitState(record);
  }

  setBridge(state: OnlineState): boolean {
    return this.#updateBridge(() => (this.#bridge = state));
  }

  /** Forgets the bridge's last word (the broker was lost), without an event. */
  forgetBridge(): void {
    this.#bridge = 'unknown';
  }

  /** The broker connection; a lost broker means an unreachable bridge. */
  setConnected(connected: boolean): boolean {
    if (connected) this.#everConnected = true;
    return this.#updateBridge(() => (this.#connected = connected));
  }

  setVersion(version: string | undefined): void {
    this.#version = version;
  }

  bridge(): BridgeView {
    return { online: this.#online(), ...(this.#version && { version: this.#version }) };
  }

  /** By IEEE address or friendly name (exact, then case-insensitive). */
  find(idOrName: string): KnownDevice | undefined {
    return this.#find(idOrName);
  }

  group(idOrName: string | number): BridgeGroup | undefined {
    const key = String(idOrName);
    return (
      this.#groups.find((g) => String(g.id) === key || g.name === key) ??
      this.#groups.find((g) => g.name.toLowerCase() === key.toLowerCase())
    );
  }

  devices(): KnownDevice[] {
    return [...this.#byIeee.values()];
  }

  availabilityOf(name: string): Availability {
    // Before the first connection nothing is known; after it, an unreachable bridge is offline.
    if (!this.#online()) return this.#everConnected ? 'offline' : 'unknown';
    return this.#availability.get(name) ?? 'unknown';
  }

  view(known: KnownDevice): DeviceView {
    const { device, schema, state, stateAt } = known;
    const slash = device.name.lastIndexOf('/');
    return {
      id: device.ieee,
      name: device.name,
      ...(slash > 0 && { room: device.name.slice(0, slash) }),
      type: device.type,
      ...(device.model && { model: device.model }),
      ...(device.vendor && { vendor: device.vendor }),
      ...(device.description && { description: device.description }),
      supported: device.supported,
      disabled: device.disabled,
      availability: this.availabilityOf(device.name),
      state: { ...state },
      ...(stateAt && { stateAt }),
      settable: schema.settable,
    };
  }

  groups(): GroupView[] {
    return this.#groups.map((g) => ({
      id: g.id,
      name: g.name,
      members: [...g.members],
      scenes: g.scenes.map((s) => ({ ...s })),
    }));
  }

  #online(): boolean {
    return this.#connected && this.#bridge === 'online';
  }

  #updateBridge(change: () => void): boolean {
    const before = this.#online();
    change();
    const after = this.#online();
    if (before !== after) this.#emit({ type: 'bridge.state', online: after });
    return before !== after;
  }

  #find(idOrName: string): DeviceRecord | undefined {
    const direct =
      this.#byIeee.get(idOrName) ?? this.#byIeee.get(this.#ieeeByName.get(idOrName) ?? '');
    if (direct) return direct;
    const lower = idOrName.toLowerCase();
    for (const record of this.#byIeee.values()) {
      if (record.device.name.toLowerCase() === lower || record.device.ieee.toLowerCase() === lower)
        return record;
    }
    return undefined;
  }

  #exact(name: string): DeviceRecord | undefined {
    const ieee = this.#ieeeByName.get(name);
    return ieee === undefined ? undefined : this.#byIeee.get(ieee);
  }

  #reindex(): void {
    this.#ieeeByName.clear();
    for (const [ieee, record] of this.#byIeee) this.#ieeeByName.set(record.device.name, ieee);
  }

  #emitState(record: DeviceRecord): void {
    this.#emit({
      type: 'device.state',
      deviceId: record.device.ieee,
      name: record.device.name,
      state: { ...record.state },
      availability: this.availabilityOf(record.device.name),
      at: record.stateAt ?? this.#now().toISOString(),
    });
  }

  #emit(event: DeviceEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
