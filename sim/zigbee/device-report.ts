/**
 * What a real device reports back after some commands whose converters return no optimistic
 * state: a lock reports its lock state, a cover reports where it moved. Zigbee2MQTT publishes
 * those reports as ordinary state, so the simulator does the same. Any other command or write
 * for a property the device already publishes is reported back with the requested value.
 */
import type { SentCommand } from './zh-fakes.ts';

type Json = Record<string, unknown>;

export function deviceReport(
  sent: readonly SentCommand[],
  requested: Json,
  current: Json,
): Json | undefined {
  if (sent.length === 0) return undefined;
  let report: Json | undefined;
  for (const { cluster, command } of sent) {
    const next = reportFor(cluster, command);
    if (next) report = { ...report, ...next };
  }
  if (report) return report;
  const known = Object.entries(requested).filter(([key]) => key in current);
  return known.length > 0 ? Object.fromEntries(known) : undefined;
}

function reportFor(cluster: string, command: string): Json | undefined {
  if (cluster === 'closuresDoorLock') {
    if (command === 'lockDoor') return { state: 'LOCK', lock_state: 'locked' };
    if (command === 'unlockDoor') return { state: 'UNLOCK', lock_state: 'unlocked' };
  }
  if (cluster === 'closuresWindowCovering') {
    if (command === 'upOpen') return { state: 'OPEN', position: 100 };
    if (command === 'downClose') return { state: 'CLOSE', position: 0 };
  }
  return undefined;
}
