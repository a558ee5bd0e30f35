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
 * undefined where that file is absent. On loopback these are mostly segments dropped when a
 * receiving socket's buffer overflowed, resent after a timer or a probe.
 */
export function tcpRetransmits(): number | undefined {
  try {
    // Two `Tcp:` lines: the field names, then their values.
    const [names, values] = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('Tcp: '))
      .map((line) => line.split(/\s+/));
    const value = Number(values?.[names?.indexOf('RetransSegs') ?? -1]);
    return Number.isNaN(value) ? undefined : value;
  } catch {
    return undefined;
  }
}

/** Runs `taskset -a -cp <cpus> <pid>`: every thread of the process, and those it starts later. */
function taskset(pid: number, cpus: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Binds process `pid` to CPU `core`; false where that is not possible (no `taskset`, one core). */
export function pinToCore(pid: number, core: number): boolean {
  return core < os.cpus().length && taskset(pid, String(core));
}

/** Lets process `pid` run on any CPU again (nothing to undo when it is gone). */
export function unpin(pid: number): void {
  taskset(pid, `0-${os.cpus().length - 1}`);
}
