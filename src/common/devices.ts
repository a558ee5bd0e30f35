/**
 * What the rest of Hearth sees of a home's devices, whatever bridge holds them (Zigbee2MQTT
 * today): the gateway's `devices.*` frames, the REST API and the model's device tools all use
 * these shapes. Device ids are stable across renames (a Zigbee device's IEEE address); names
 * are what people call them (`living_room/lamp`).
 */
import { ErrorCode, HearthError } from './errors.ts';
export type Availability = 'online' | 'offline' | 'unknown';

export interface DeviceView {
  id: string;
  name: string;
  /** The part of the name before its last `/`, when there is one. */
  room?: string;
  type: string;
  model?: string;
  vendor?: string;
  description?: string;
  supported: boolean;
  disabled: boolean;
  availability: Availability;
  /** The last known state, merged from every update; empty until the device reports. */
  state: Record<string, unknown>;
  /** When the last state arrived (ISO 8601). */
  stateAt?: string;
  /** JSON Schema of what `set` accepts for this device (only settable properties). */
  settable: Record<string, unknown>;
}

export interface GroupView {
  id: number;
  name: string;
  /** Ids of the member devices. */
  members: string[];
  scenes: Array<{ id: number; name: string }>;
}

export interface BridgeView {
  online: boolean;
  version?: string;
}

export type DeviceEvent =
  | {
      type: 'device.state';
      deviceId: string;
      name: string;
      state: Record<string, unknown>;
      availability: Availability;
      at: string;
    }
  /** Devices or groups were added, removed or renamed: read the list again. */
  | { type: 'devices.changed' }
  | { type: 'bridge.state'; online: boolean };

export const setFailureCodes = [
  'unknown_device',
  'invalid_state',
  'bridge_offline',
  'device_failed',
  'device_timeout',
] as const;
export type SetFailureCode = (typeof setFailureCodes)[number];

/** A set is a success only when the device's own report confirms it. */
export type SetResult =
  | { ok: true; state: Record<string, unknown> }
  | { ok: false; code: SetFailureCode; message: string };

export interface DeviceService {
  list(): DeviceView[];
  /** By id or by name (names compare case-insensitively). */
  get(idOrName: string): DeviceView | undefined;
  groups(): GroupView[];
  bridge(): BridgeView;
  onEvent(listener: (event: DeviceEvent) => void): () => void;
  set(idOrName: string, state: Record<string, unknown>): Promise<SetResult>;
}

const errorCodeOfFailure: Record<SetFailureCode, ErrorCode> = {
  unknown_device: ErrorCode.unknownDevice,
  invalid_state: ErrorCode.invalidState,
  bridge_offline: ErrorCode.unavailable,
  device_failed: ErrorCode.deviceFailed,
  device_timeout: ErrorCode.deviceTimeout,
};

/** A failed set as the error a client gets (WebSocket `error` frame or REST answer). */
export function setFailureError(failure: Extract<SetResult, { ok: false }>): HearthError {
  return new HearthError(errorCodeOfFailure[failure.code], failure.message);
}
