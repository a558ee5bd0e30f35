/** Memory of the current process, optionally after full garbage collections (--expose-gc). */
import { setTimeout as sleep } from 'node:timers/promises';

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  gc: boolean;
}

export async function processSample(collect: boolean): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && gc) {
    // Several rounds, with turns of the event loop between them so that finalisers run.
    for (let i = 0; i < 4; i++) {
      gc();
      await sleep(50);
    }
  }
  const usage = process.memoryUsage();
  return {
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    gc: collect && gc !== undefined,
  };
}
