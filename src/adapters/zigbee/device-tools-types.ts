/**
 * The shapes the Zigbee device tools work with: the tools themselves (structurally the
 * router's `Tool`, since adapters may not import the router), the devices and groups the
 * backend knows, and the backend interface the Zigbee adapter implements.
 */
import type { ExposesSchema, JsonSchema } from './exposes-schema.ts';

/** Same shape as the router's `ToolResult` (adapters may not import the router). */
export interface DeviceToolResult {
  content: string;
  isError?: boolean;
}

/** Same shape as the router's `Tool`. */
export interface DeviceTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  call(args: Record<string, unknown>, context: { signal: AbortSignal }): Promise<DeviceToolResult>;
}

/** A device as the backend knows it now. */
export interface DeviceEntry {
  /** Stable id (the IEEE address). */
  id: string;
  /** Zigbee2MQTT friendly name; `Room/Name` by convention. */
  name: string;
  /** Defaults to the friendly name's part before the last `/`. */
  room?: string;
  model: string;
  vendor: string;
  description: string;
  type: string;
  availability: 'online' | 'offline' | 'unknown';
  exposesSchema: ExposesSchema;
  state: Record<string, unknown>;
  lastSeen?: string | number;
}

export interface GroupEntry {
  id: number | string;
  name: string;
  /** Member device ids. */
  members: readonly string[];
  scenes: ReadonlyArray<{ id: number; name?: string }>;
}

export type DeviceSetResult =
  { ok: true; state: Record<string, unknown> } | { ok: false; code: string; message: string };

/** What the tools need; the Zigbee adapter implements it. */
export interface DeviceToolsBackend {
  list(): readonly DeviceEntry[];
  groups(): readonly GroupEntry[];
  /** Publishes to `<device>/set` and resolves once the device's state confirms it, or fails. */
  set(id: string, state: Record<string, unknown>): Promise<DeviceSetResult>;
  /** The same for a group; without it no group tools are offered. */
  setGroup?(id: GroupEntry['id'], state: Record<string, unknown>): Promise<DeviceSetResult>;
}

/** The JSON Schemas of a device's settable properties, keyed by property. */
export function settableOf(d: DeviceEntry): Record<string, JsonSchema> {
  return (d.exposesSchema.settable.properties ?? {}) as Record<string, JsonSchema>;
}
