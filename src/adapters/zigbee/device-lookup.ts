/**
 * Finding the device or group a model names: by id or friendly name ignoring case, then by
 * looser matches, with suggestions for unknown names; and the room a device is in.
 */
import { ErrorCode } from '../../common/errors.ts';
import { failure, text } from './device-tools-result.ts';
import type { DeviceEntry, DeviceToolResult } from './device-tools-types.ts';

/** The room a device is in: its own, or the friendly name's part before the last `/`. */
export function roomOf(device: Pick<DeviceEntry, 'name' | 'room'>): string | undefined {
  if (device.room !== undefined && device.room !== '') return device.room;
  const slash = device.name.lastIndexOf('/');
  return slash > 0 ? device.name.slice(0, slash) : undefined;
}

/** The item found, or the tool result explaining why none (or several) matched. */
export type Resolved<T> = { item: T } | { error: DeviceToolResult };

/**
 * Finds a device or group by id or friendly name, ignoring case; then by the name's last
 * part ("Lamp" for "Kitchen/Lamp") or a unique partial match. Unknown names get suggestions.
 */
export function resolve<T extends { id: string | number; name: string }>(
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
