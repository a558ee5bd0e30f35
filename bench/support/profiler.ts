/**
 * CPU profiles of one measured window in a server child, taken with the inspector so that
 * start-up and warm-up stay out of them. Turned on with `BENCH_CPU_PROF=1`; files go to
 * bench/results/profiles/ and `node bench/profile-summary.ts <file>` summarises one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';

let session: Session | undefined;

export const profilingWanted = (): boolean => Boolean(process.env.BENCH_CPU_PROF);

export async function startProfile(): Promise<void> {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
}

/** Stops the profile started last and writes it as `<name>.cpuprofile`; returns the path. */
export async function stopProfile(name: string): Promise<string> {
  if (!session) throw new Error('no profile running');
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  session = undefined;
  const dir = fileURLToPath(new URL('../results/profiles/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = `${dir}${name}.cpuprofile`;
  writeFileSync(path, JSON.stringify(profile));
  return path;
}
