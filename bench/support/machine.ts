/** The machine a benchmark ran on, and how busy it was meanwhile. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

/** Busy and total CPU time of the whole machine so far, in ms (from /proc/stat). */
export function machineCpu(): { busyMs: number; totalMs: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
      fields;
    const tick = 10; // USER_HZ is 100 on Linux.
    const busy = user + nice + system + irq + softirq + steal;
    return { busyMs: busy * tick, totalMs: (busy + idle + iowait) * tick };
  } catch {
    return { busyMs: Number.NaN, totalMs: Number.NaN };
  }
}

export const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number =>
  (b.user - a.user + (b.system - a.system)) / 1000;

/**
 * TCP segments the kernel has retransmitted so far, on every interface (from /proc/net/snmp);
 * undefined where that file is absent. On loopback a retransmission means a segment was
 * dropped, as when a receiving socket's buffer overflowed: its sender then waits for a timer
 * (200 ms at least), which no server's code causes alone.
 */
export function tcpRetransmits(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n');
    const names = lines.find((line) => line.startsWith('Tcp: '))?.split(/\s+/);
    const values = lines.filter((line) => line.startsWith('Tcp: '))[1]?.split(/\s+/);
    const at = names?.indexOf('RetransSegs') ?? -1;
    const value = at === -1 ? undefined : Number(values?.[at]);
    return value === undefined || Number.isNaN(value) ? undefined : value;
  } catch {
    return undefined;
  }
}

/**
 * Binds every thread of process `pid` to CPU `core` (`taskset`); threads it starts later
 * inherit the binding. False where that is not possible (no `taskset`, one core).
 */
export function pinToCore(pid: number, core: number): boolean {
  if (os.cpus().length <= core) return false;
  try {
    execFileSync('taskset', ['-a', '-cp', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Lets every thread of process `pid` run on any CPU again. */
export function unpin(pid: number): void {
  try {
    execFileSync('taskset', ['-a', '-cp', `0-${os.cpus().length - 1}`, String(pid)], {
      stdio: 'ignore',
    });
  } catch {
    // The process may be gone; nothing to undo then.
  }
}
