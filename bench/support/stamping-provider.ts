/**
 * A chat provider that lives in Hearth's own process, for the fan-out benchmark's "Hearth,
 * provider in process" server: it yields the stamping double's deltas (`t:<stamp>`, the clock
 * read as the delta is made) straight to the router, with no HTTP upstream and no SDK, so that
 * the measurement holds Hearth's own path from a delta to every client, as the raw `ws`
 * server's holds its own. The same plans and pacing as the stamping double.
 */
import type { ChatProvider, ChatRequest, ProviderEvent } from '../../src/adapters/provider.ts';
import { beforeDelta } from './pacing.ts';
import type { StreamPlan } from './stamping-double.ts';
import { stamp } from './stats.ts';

const defaultPlan: StreamPlan = { deltas: 10, delayMs: 0 };

export class StampingProvider implements ChatProvider {
  readonly id: string;
  readonly #queue: StreamPlan[] = [];

  constructor(id: string) {
    this.id = id;
  }

  /** Plans for the next turns, in order; an empty queue answers 10 quick deltas. */
  enqueue(plan: StreamPlan): void {
    this.#queue.push(plan);
  }

  async *stream(_request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderEvent> {
    const plan = this.#queue.shift() ?? defaultPlan;
    // Hearth asks for the first event before it stores the turn and acks it (the request to
    // the provider leaves early); the router skips empty text. The plan's clock starts when the
    // round asks again, that is, when Hearth reads the stream: as the raw server's starts when
    // it is ready to send, so neither counts its set-up as production time.
    yield { type: 'text', text: '' };
    const startedAt = performance.now();
    for (let i = 0; i < plan.deltas; i++) {
      // Burst: no yield to the event loop; each delta is made as soon as the router asks.
      await beforeDelta(plan, i, startedAt);
      signal.throwIfAborted();
      yield { type: 'text', text: `t:${stamp()}` };
    }
    yield { type: 'finish', reason: 'stop' };
    yield {
      type: 'usage',
      usage: { inputTokens: 1, outputTokens: plan.deltas },
    };
  }
}
