/**
 * Sensor readings that move: the next value of a device's drifting properties (temperature,
 * power, illuminance...), or its link quality for devices that have none, for `tick()` and the
 * benchmark state stream (`startStream`). A small seeded generator keeps runs repeatable.
 */
import { catalogue } from './catalogue.ts';
import type { JsonObject, SimDevice } from './home.ts';

export function createRandom(seed = 1): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

/** A partial state with every drifting property of `device` moved a little. */
export function driftOf(device: SimDevice, random: () => number): JsonObject {
  const drift = catalogue[device.kind].drift;
  const next: JsonObject = {};
  for (const [property, [min, max]] of Object.entries(drift ?? {})) {
    const current = typeof device.state[property] === 'number' ? device.state[property] : min;
    const step = (max - min) * 0.01 * (random() * 2 - 1);
    next[property] = Math.round(Math.min(max, Math.max(min, current + step)) * 100) / 100;
  }
  const lqi = typeof device.state.linkquality === 'number' ? device.state.linkquality : 120;
  next.linkquality = Math.min(255, Math.max(0, lqi + Math.round(random() * 6 - 3)));
  return next;
}

/** True for devices whose readings change on their own (sensors, meters, thermostats). */
export function drifts(device: SimDevice): boolean {
  return catalogue[device.kind].drift !== undefined;
}

/** Calls `emit` `perSecond` times a second, round-robin over `devices`, in 10 ms batches. */
export function startStream(
  perSecond: number,
  devices: readonly SimDevice[],
  emit: (device: SimDevice) => void,
): () => void {
  const started = performance.now();
  let sent = 0;
  let next = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) * perSecond) / 1000);
    for (; sent < due && devices.length > 0; sent++) {
      const target = devices[next++ % devices.length];
      if (target) emit(target);
    }
  }, 10);
  return () => clearInterval(timer);
}
