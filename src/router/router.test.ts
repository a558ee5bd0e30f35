import { describe, expect, it } from 'vitest';
import type { ChatProvider, ChatRequest, ProviderEvent } from '../adapters/provider.ts';
import { configSchema } from '../common/config/schema.ts';
import { createLogger } from '../common/logger.ts';
import type { TurnEvent } from '../common/protocol.ts';
import { SqliteConversationStore } from '../mcp/service/store/conversation-store.ts';
import { openDatabase } from '../mcp/service/store/database.ts';
import { localTurnStore } from '../mcp/service/store/local-turn-store.ts';
import { conversationSnapshot } from './snapshot.ts';
import { ProfileResolver } from './profiles.ts';
import { Router } from './router.ts';
import { ToolCatalogue } from './tools/catalogue.ts';
import { textOf } from './history.ts';

/** A provider in memory: yields the scripted events, honouring the abort signal. */
class ScriptedProvider implements ChatProvider {
  readonly id = 'scripted';
  readonly requests: ChatRequest[] = [];
  readonly events: ProviderEvent[];
  constructor(events: ProviderEvent[]) {
    this.events = events;
  }
  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderEvent> {
    this.requests.push(request);
    for (const event of this.events) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      signal.throwIfAborted();
      yield event;
    }
  }
}

/**
 * A provider whose events come in reads, as from a network: each read after a timer, its
 * events back to back (as an SDK yields what one read held); then `failure`, if given.
 */
function readsProvider(reads: ProviderEvent[][], failure?: Error): ChatProvider {
  return {
    id: 'p',
    async *stream() {
      for (const read of reads) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield* read;
      }
      if (failure) throw failure;
    },
  };
}

const text = (...pieces: string[]): ProviderEvent[] =>
  pieces.map((piece) => ({ type: 'text', text: piece }));

/** Accepts and starts a turn, and waits until it has ended. */
async function runTurn(router: Router): Promise<{ conversationId: string }> {
  const turn = await router.accept({ content });
  turn.start();
  while (router.runningTurns > 0) await new Promise((resolve) => setTimeout(resolve, 2));
  return turn;
}

function setup(
  provider: ChatProvider,
  store = new SqliteConversationStore(openDatabase({ memory: true })),
  /** Makes the sink throw for the events it returns true for (storage failing in the hub). */
  failEmit: (event: TurnEvent) => boolean = () => false,
) {
  const config = configSchema.parse({
    providers: { p: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1' } },
    profiles: {
      main: { provider: 'p', model: 'm', system: 'Be brief.', temperature: 0.3, maxTokens: 99 },
    },
  });
  const events: Array<TurnEvent & { conversationId: string }> = [];
  const router = new Router({
    store: localTurnStore(store),
    tools: new ToolCatalogue([]),
    sink: {
      emit: (conversationId, event) => {
        if (failEmit(event)) throw new Error('disk full');
        events.push({ ...event, conversationId });
      },
    },
    profiles: new ProfileResolver({
      config: () => config,
      providers: () => new Map([['p', provider]]),
    }),
    media: { put: () => Promise.reject(new Error('no media in this test')) },
    logger: createLogger({ level: 'silent' }),
    checkpointMs: 5,
  });
  return { router, events, store };
}

const content = [{ type: 'text' as const, text: 'hello' }];

describe('Router', () => {
  it('starts one turn when two requests for a conversation arrive together', async () => {
    const provider = new ScriptedProvider([
      { type: 'text', text: 'Hi' },
      { type: 'finish', reason: 'stop' },
    ]);
    const { router, store } = setup(provider);
    const first = await router.accept({ content });
    first.start();
    await router.shutdown();
    const { router: second } = setup(provider, store);
    const results = await Promise.allSettled([
      second.accept({ conversationId: first.conversationId, content }),
      second.accept({ conversationId: first.conversationId, content }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(results[1]).toMatchObject({ reason: { code: 'busy' } });
    // User and reply of the first turn, then of the one second turn.
    expect(store.listMessages(first.conversationId)).toHaveLength(4);
  });

  it('builds the request from the profile and ends with turn.done', async () => {
    const provider = new ScriptedProvider([
      { type: 'text', text: 'Hi' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 1 } },
      { type: 'finish', reason: 'length' },
    ]);
    const { router, events, store } = setup(provider);
    const turn = await router.accept({ content });
    turn.start();
    await router.shutdown();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(provider.requests[0]).toEqual({
      model: 'm',
      temperature: 0.3,
      maxTokens: 99,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello' },
      ],
    });
    expect(events.map((e) => e.type)).toEqual(['turn.started', 'turn.error']);
    expect(store.listMessages(turn.conversationId)[1]?.status).toBe('interrupted');
  });

  it('checkpoints partial text while streaming', async () => {
    const provider = new ScriptedProvider(
      Array.from({ length: 40 }, () => ({ type: 'text' as const, text: 'x' })),
    );
    const { router, store } = setup(provider);
    const turn = await router.accept({ content });
    turn.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const partial = store.listMessages(turn.conversationId)[1];
    expect(partial?.status).toBe('streaming');
    expect(textOf(partial?.content ?? []).length).toBeGreaterThan(0);
    expect(
      textOf(conversationSnapshot(store, router, turn.conversationId)?.messages[1]?.content ?? [])
        .length,
    ).toBeGreaterThanOrEqual(textOf(partial?.content ?? []).length ?? 0);
    expect(router.cancel(turn.turnId)).toBe(true);
    expect(router.cancel('t_missing')).toBe(false);
  });

  it('joins text that arrives together into one delta and keeps it when the stream fails', async () => {
    const provider = readsProvider(
      [text('Hel', 'lo, ', 'wor', 'l'), text('d', '!')],
      new Error('connection reset'),
    );
    const { router, events, store } = setup(provider);
    const turn = await runTurn(router);
    const deltas = events.filter((e) => e.type === 'text.delta');
    // The first text at once, then what arrived with it, then the next read's text.
    expect(deltas.map((e) => e.text)).toEqual(['Hel', 'lo, worl', 'd!']);
    expect(events.at(-1)).toMatchObject({ type: 'turn.error' });
    const reply = store.listMessages(turn.conversationId)[1];
    expect(reply?.status).toBe('failed');
    expect(textOf(reply?.content ?? [])).toBe('Hello, world!');
  });

  it('ends the turn with the error when a joined delta cannot be emitted', async () => {
    const provider = readsProvider([
      text('first ', 'lost ', 'text'),
      [...text('never shown'), { type: 'finish', reason: 'stop' }],
    ]);
    const fail = (event: TurnEvent) => event.type === 'text.delta' && event.text === 'lost text';
    const { router, events, store } = setup(provider, undefined, fail);
    const turn = await runTurn(router);
    expect(events.filter((e) => e.type === 'text.delta').map((e) => e.text)).toEqual(['first ']);
    expect(events.at(-1)).toMatchObject({ type: 'turn.error' });
    const reply = store.listMessages(turn.conversationId)[1];
    expect(reply?.status).toBe('failed');
    expect(textOf(reply?.content ?? [])).toBe('first ');
  });

  it('still ends the turn for clients when storage fails while ending it', async () => {
    const real = new SqliteConversationStore(openDatabase({ memory: true }));
    const failing = new Proxy(real, {
      get(target, property) {
        if (property === 'updateMessage') {
          return () => {
            throw new Error('disk full');
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
    const { router, events } = setup(new ScriptedProvider([{ type: 'text', text: 'a' }]), failing);
    (await router.accept({ content })).start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(events.at(-1)).toMatchObject({ type: 'turn.error', code: 'internal' });
    expect(router.runningTurns).toBe(0);
  });

  it('aborts the already started provider request when storing the turn fails', async () => {
    let seen: AbortSignal | undefined;
    const provider: ChatProvider = {
      id: 'p',
      async *stream(_request, signal) {
        seen = signal;
        await new Promise((resolve) => setTimeout(resolve, 5));
        yield { type: 'text', text: 'never read' };
      },
    };
    const real = new SqliteConversationStore(openDatabase({ memory: true }));
    const failing = new Proxy(real, {
      get(target, property) {
        if (property === 'writeTurn') {
          return () => {
            throw new Error('disk full');
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
    const { router } = setup(provider, failing);
    await expect(router.accept({ content })).rejects.toThrow(/disk full/);
    expect(seen?.aborted).toBe(true);
    expect(router.runningTurns).toBe(0);
    expect(router.isBusy('any')).toBe(false);
  });

  it('refuses new turns once shutting down', async () => {
    const { router } = setup(new ScriptedProvider([]));
    await router.shutdown();
    await expect(router.accept({ content })).rejects.toThrow(/shutting down/);
  });
});
