/**
 * Zigbee devices as tools for the model: list them, read one, set one, and drive groups and
 * scenes. Every request is checked against the device's schema (from its exposes) before the
 * backend publishes anything, and a set that the backend does not confirm is an error for the
 * model, never a success. Results are compact JSON text: small local models read them too.
 */
import { ErrorCode } from '../../common/errors.ts';
import { validateSet, type ExposesSchema, type JsonSchema } from './exposes-schema.ts';

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

const maxListed = 40;
const keyStateLimit = 8;
const sensorKeys = [
  'temperature',
  'local_temperature',
  'humidity',
  'occupancy',
  'presence',
  'contact',
  'water_leak',
  'smoke',
  'illuminance',
  'power',
  'lock_state',
  'battery',
];
const stopWords = new Set(['a', 'an', 'the', 'my', 'in', 'on', 'of', 'and', 'please', 'all']);
const kindWords: Record<string, string> = {
  light: 'light lamp bulb lights lamps',
  switch: 'switch plug socket outlet relay',
  fan: 'fan',
  cover: 'cover blind blinds shade curtain shutter',
  lock: 'lock door',
  climate: 'thermostat heating heater radiator trv climate',
};

/**
 * The tools for the devices (and, when the backend has groups and `setGroup`, for groups and
 * scenes). Cheap: call it on every turn so that the group tools follow the bridge.
 */
export function createDeviceTools(backend: DeviceToolsBackend): DeviceTool[] {
  const tools: DeviceTool[] = [
    {
      name: 'list_devices',
      description:
        'List the Zigbee devices of the home: name, room, what can be set and key state. ' +
        'Filter by room and/or words such as "lamp" or "thermostat".',
      inputSchema: objectSchema({
        query: { type: 'string', description: 'Words to look for in names and descriptions' },
        room: { type: 'string', description: 'Room name, such as "Living room"' },
      }),
      call: (args) => Promise.resolve(listDevices(backend.list(), args)),
    },
    {
      name: 'get_device_state',
      description:
        'Current state of one device and the values each of its settable properties accepts.',
      inputSchema: objectSchema({ device: deviceArg }, ['device']),
      call: (args) => Promise.resolve(getDeviceState(backend.list(), args)),
    },
    {
      name: 'set_device_state',
      description:
        'Change a device: e.g. {"device": "Living room/Lamp", "state": {"state": "OFF"}} or ' +
        '{"state": {"brightness": 128, "transition": 2}}. Use get_device_state to see what it accepts.',
      inputSchema: objectSchema({ device: deviceArg, state: stateArg }, ['device', 'state']),
      call: (args, { signal }) => setDeviceState(backend, args, signal),
    },
  ];
  const setGroup = backend.setGroup?.bind(backend);
  if (setGroup && backend.groups().length > 0) {
    tools.push(
      {
        name: 'set_group_state',
        description: 'Change every device of a Zigbee group at once, e.g. {"state": "OFF"}.',
        inputSchema: objectSchema({ group: groupArg, state: stateArg }, ['group', 'state']),
        call: (args, { signal }) => setGroupState(backend, setGroup, args, signal),
      },
      {
        name: 'recall_scene',
        description: 'Recall a scene stored in a Zigbee group.',
        inputSchema: objectSchema(
          { group: groupArg, scene: { type: 'string', description: 'Scene name or number' } },
          ['group', 'scene'],
        ),
        call: (args, { signal }) => recallScene(backend, setGroup, args, signal),
      },
    );
  }
  return tools;
}

const deviceArg = { type: 'string', description: 'Friendly name (e.g. "Kitchen/Lamp") or id' };
const groupArg = { type: 'string', description: 'Group name or id' };
const stateArg = {
  type: 'object',
  description: 'Properties to set and their values, e.g. {"state": "ON", "brightness": 200}',
};

function objectSchema(properties: Record<string, unknown>, required: string[] = []) {
  return { type: 'object', properties, required, additionalProperties: false };
}

/** The room a device is in: its own, or the friendly name's part before the last `/`. */
export function roomOf(device: Pick<DeviceEntry, 'name' | 'room'>): string | undefined {
  if (device.room !== undefined && device.room !== '') return device.room;
  const slash = device.name.lastIndexOf('/');
  return slash > 0 ? device.name.slice(0, slash) : undefined;
}

function listDevices(devices: readonly DeviceEntry[], args: Record<string, unknown>) {
  const room = text(args.room)?.toLowerCase();
  let found = room
    ? devices.filter((d) => roomOf(d)?.toLowerCase().includes(room) === true)
    : [...devices];
  if (room && found.length === 0) {
    const rooms = [...new Set(devices.map(roomOf).filter((r) => r !== undefined))];
    return result({ devices: [], message: `No room matches "${args.room as string}"`, rooms });
  }
  const words = wordsOf(text(args.query) ?? '').filter((w) => !stopWords.has(w));
  if (words.length > 0) {
    // The devices that match the most words win: "kitchen lamp" is the lamp in the kitchen.
    const scored = found.map((d) => {
      const hay = wordsOf(haystack(d));
      return { d, score: words.filter((w) => hay.some((h) => h.startsWith(w))).length };
    });
    const best = Math.max(0, ...scored.map((s) => s.score));
    found = scored.filter((s) => s.score === best && best > 0).map((s) => s.d);
    if (found.length === 0) {
      return result({ devices: [], message: 'No device matches; try without a query' });
    }
  }
  const listed = found.slice(0, maxListed).map((d) => ({
    name: d.name,
    room: roomOf(d),
    kind: d.exposesSchema.kinds.join(',') || undefined,
    can: Object.keys(settableOf(d)).join(', ') || undefined,
    state: keyState(d),
    ...(d.availability === 'offline' ? { offline: true } : {}),
  }));
  const more = found.length - listed.length;
  return result({
    devices: listed,
    ...(more > 0 ? { more: `${more} more; narrow with room or query` } : {}),
  });
}

function wordsOf(value: string): string[] {
  return value
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function haystack(d: DeviceEntry): string {
  const kinds = d.exposesSchema.kinds.map((k) => kindWords[k] ?? k).join(' ');
  return `${d.name} ${roomOf(d) ?? ''} ${d.description} ${d.model} ${d.vendor} ${kinds}`.toLowerCase();
}

function keyState(d: DeviceEntry): Record<string, unknown> {
  const keys = [...Object.keys(settableOf(d)), ...sensorKeys];
  const state: Record<string, unknown> = {};
  for (const key of keys) {
    const value = d.state[key];
    if (Object.keys(state).length >= keyStateLimit) break;
    if (value !== undefined && value !== null && typeof value !== 'object') state[key] = value;
  }
  return state;
}

function getDeviceState(devices: readonly DeviceEntry[], args: Record<string, unknown>) {
  const found = resolve(devices, args.device, 'device');
  if ('error' in found) return found.error;
  const d = found.item;
  const settable = Object.keys(settableOf(d));
  return result({
    name: d.name,
    id: d.id,
    room: roomOf(d),
    model: d.model,
    vendor: d.vendor,
    description: d.description,
    availability: d.availability,
    lastSeen: d.lastSeen,
    state: d.state,
    settable: Object.fromEntries(settable.map((p) => [p, d.exposesSchema.describe[p] ?? ''])),
  });
}

async function setDeviceState(
  backend: DeviceToolsBackend,
  args: Record<string, unknown>,
  signal: AbortSignal,
): Promise<DeviceToolResult> {
  const found = resolve(backend.list(), args.device, 'device');
  if ('error' in found) return found.error;
  const d = found.item;
  const checked = check(d.name, d.exposesSchema.settable, args.state, d.exposesSchema.describe);
  if ('error' in checked) return checked.error;
  const { state } = checked;
  return applied(d.name, state, signal, () => backend.set(d.id, state));
}

async function setGroupState(
  backend: DeviceToolsBackend,
  setGroup: NonNullable<DeviceToolsBackend['setGroup']>,
  args: Record<string, unknown>,
  signal: AbortSignal,
): Promise<DeviceToolResult> {
  const found = resolve(backend.groups(), args.group, 'group');
  if ('error' in found) return found.error;
  const group = found.item;
  // A group accepts what its members accept: check against the union of their schemas.
  const members = backend.list().filter((d) => group.members.includes(d.id));
  const properties: Record<string, JsonSchema> = {};
  for (const m of members) Object.assign(properties, { ...settableOf(m), ...properties });
  const schema = { type: 'object', properties, additionalProperties: false, minProperties: 1 };
  const checked = check(`group ${group.name}`, schema, args.state);
  if ('error' in checked) return checked.error;
  const { state } = checked;
  return applied(group.name, state, signal, () => setGroup(group.id, state));
}

async function recallScene(
  backend: DeviceToolsBackend,
  setGroup: NonNullable<DeviceToolsBackend['setGroup']>,
  args: Record<string, unknown>,
  signal: AbortSignal,
): Promise<DeviceToolResult> {
  const found = resolve(backend.groups(), args.group, 'group');
  if ('error' in found) return found.error;
  const group = found.item;
  const wanted = (
    typeof args.scene === 'number' ? String(args.scene) : (text(args.scene) ?? '')
  ).toLowerCase();
  const scene = group.scenes.find(
    (s) => String(s.id) === wanted || s.name?.toLowerCase() === wanted,
  );
  if (!scene) {
    const scenes = group.scenes.map((s) => s.name ?? String(s.id));
    return failure(ErrorCode.notFound, `Group ${group.name} has no scene "${wanted}"`, { scenes });
  }
  return applied(group.name, { scene_recall: scene.id }, signal, () =>
    setGroup(group.id, { scene_recall: scene.id }),
  );
}

/** Normalises and validates a requested state; an invalid one is explained to the model. */
function check(
  target: string,
  schema: JsonSchema,
  raw: unknown,
  describe?: Record<string, string>,
): { state: Record<string, unknown> } | { error: DeviceToolResult } {
  const state = normaliseState(schema, raw);
  const outcome = validateSet(schema, state);
  if (outcome.ok) return { state: state as Record<string, unknown> };
  const message = `Cannot set ${target}: ${outcome.errors.join('; ')}`;
  const properties = Object.keys(schema.properties ?? {});
  const settable = describe && Object.fromEntries(properties.map((p) => [p, describe[p] ?? '']));
  return { error: failure(ErrorCode.invalidState, message, settable ? { settable } : {}) };
}

/** Runs a set and reports it: only a confirmed set is a success. */
async function applied(
  target: string,
  state: Record<string, unknown>,
  signal: AbortSignal,
  set: () => Promise<DeviceSetResult>,
): Promise<DeviceToolResult> {
  if (signal.aborted) return failure(ErrorCode.interrupted, 'The turn was cancelled');
  let outcome: DeviceSetResult;
  try {
    outcome = await set();
  } catch (error) {
    return failure(ErrorCode.deviceFailed, `Setting ${target} failed: ${(error as Error).message}`);
  }
  if (!outcome.ok) return failure(outcome.code, `Setting ${target} failed: ${outcome.message}`);
  const confirmed: Record<string, unknown> = {};
  for (const key of Object.keys(state)) {
    if (outcome.state[key] !== undefined) confirmed[key] = outcome.state[key];
  }
  return result({
    ok: true,
    target,
    state: Object.keys(confirmed).length > 0 ? confirmed : outcome.state,
  });
}

function settableOf(d: DeviceEntry): Record<string, JsonSchema> {
  return (d.exposesSchema.settable.properties ?? {}) as Record<string, JsonSchema>;
}

type Resolved<T> = { item: T } | { error: DeviceToolResult };

/**
 * Finds a device or group by id or friendly name, ignoring case; then by the name's last
 * part ("Lamp" for "Kitchen/Lamp") or a unique partial match. Unknown names get suggestions.
 */
function resolve<T extends { id: string | number; name: string }>(
  items: readonly T[],
  wanted: unknown,
  what: 'device' | 'group',
): Resolved<T> {
  const query = (typeof wanted === 'number' ? String(wanted) : (text(wanted) ?? '')).toLowerCase();
  const notFound = what === 'device' ? ErrorCode.unknownDevice : ErrorCode.notFound;
  if (query === '') return { error: failure(ErrorCode.badRequest, `Name the ${what}`) };
  const name = (t: T) => t.name.toLowerCase();
  const last = (t: T) => name(t).slice(name(t).lastIndexOf('/') + 1);
  const squash = (s: string) => s.replace(/[^\p{L}\p{N}]+/gu, '');
  const tiers: Array<(t: T) => boolean> = [
    (t) => String(t.id).toLowerCase() === query || name(t) === query,
    (t) => squash(name(t)) === squash(query),
    (t) => last(t) === query,
    (t) => name(t).includes(query),
  ];
  for (const matches of tiers) {
    const found = items.filter(matches);
    if (found.length === 1 && found[0]) return { item: found[0] };
    if (found.length > 1) {
      const names = found.slice(0, 10).map((t) => t.name);
      return {
        error: failure(notFound, `"${query}" matches several ${what}s`, { candidates: names }),
      };
    }
  }
  const suggestions = items
    .map((t) => ({
      name: t.name,
      distance: Math.min(distance(name(t), query), distance(last(t), query)),
    }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 3)
    .map((s) => s.name);
  const hint = what === 'device' ? ' (list_devices shows them all)' : '';
  return {
    error: failure(notFound, `No ${what} "${query}"${hint}`, { didYouMean: suggestions }),
  };
}

/** Levenshtein distance, for suggestions among a home's few hundred names. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/**
 * Forgives what small models often get wrong before validating: the state as JSON text or a
 * bare value for `state`, property names in another case, "off" for "OFF", "128" for 128.
 */
function normaliseState(schema: JsonSchema, raw: unknown): unknown {
  let state = raw;
  if (typeof state === 'string') {
    try {
      state = JSON.parse(state) as unknown;
    } catch {
      // A bare word such as "off" is meant for the `state` property.
    }
  }
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    return properties.state && (typeof state === 'string' || typeof state === 'boolean')
      ? normaliseState(schema, { state })
      : state;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state)) {
    const property =
      key in properties
        ? key
        : (Object.keys(properties).find((p) => p.toLowerCase() === key.toLowerCase()) ?? key);
    out[property] = normaliseValue(properties[property], value);
  }
  return out;
}

function normaliseValue(schema: JsonSchema | undefined, value: unknown): unknown {
  if (schema === undefined || typeof value !== 'string') return value;
  const alternatives = [schema, ...((schema.oneOf ?? []) as JsonSchema[])];
  const enums = alternatives.flatMap((s): unknown[] => (Array.isArray(s.enum) ? s.enum : []));
  if (enums.includes(value)) return value;
  const same = enums.find((e) => typeof e === 'string' && e.toLowerCase() === value.toLowerCase());
  if (same !== undefined) return same;
  const numeric = alternatives.some((s) => s.type === 'number' || s.type === 'integer');
  const number = Number(value);
  return numeric && value.trim() !== '' && Number.isFinite(number) ? number : value;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function result(value: unknown): DeviceToolResult {
  return { content: JSON.stringify(value) };
}

function failure(
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): DeviceToolResult {
  return { content: JSON.stringify({ ok: false, error: code, message, ...extra }), isError: true };
}
