/**
 * When a producer of the fan-out benchmark (the raw server, the stamping double, the stamping
 * provider) makes its next delta. Every producer waits through this one function, so that all
 * three pace alike.
 */
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import type { StreamPlan } from './stamping-double.ts';

/**
 * Waits before delta `index` (from 0) of `plan`, whose production began at `startedAt`
 * (`performance.now()`): not at all in burst mode; one turn of the event loop at full speed;
 * paced, until the delta is due, `startedAt + (index + 1) × delayMs`. Paced deltas keep to that
 * schedule however long sending the previous one took (a producer that is late only yields),
 * so the rate is the plan's: a wait after each send would slow a server that sends slowly.
 */
export async function beforeDelta(
  plan: StreamPlan,
  index: number,
  startedAt: number,
): Promise<void> {
  if (plan.burst) return;
  if (plan.delayMs <= 0) {
    await immediate();
    return;
  }
  const wait = startedAt + (index + 1) * plan.delayMs - performance.now();
  if (wait >= 1) await sleep(wait);
  else await immediate();
}
