/**
 * The reading Zigbee device tools: `list_devices` (filtered by room and words, with a compact
 * key state per device) and `get_device_state` (one device's full state and what it accepts).
 */
import { resolve, roomOf } from './device-lookup.ts';
import { result, text } from './device-tools-result.ts';
import { settableOf, type DeviceEntry } from './device-tools-types.ts';

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

/** `list_devices`: the devices of a room and/or matching words, with their key state. */
export function listDevices(devices: readonly DeviceEntry[], args: Record<string, unknown>) {
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

/** `get_device_state`: one device's full state and what each settable property accepts. */
export function getDeviceState(devices: readonly DeviceEntry[], args: Record<string, unknown>) {
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
