import { describe, expect, it } from 'vitest';
import type { ChatProvider, ChatRequest, ProviderEvent } from '../adapters/provider.ts';
import { configSchema } from '../common/config/schema.ts';
import { ErrorCode, HearthError } from '../common/errors.ts';
import { createLogger } from '../common/logger.ts';
import type { TurnEvent } from '../common/protocol.ts';
import { SqliteConversationStore } from '../mcp/service/store/conversation-store.ts';
import { openDatabase } from '../mcp/service/store/database.ts';
import { localTurnStore } from '../mcp/service/store/local-turn-store.ts';
import { conversationSnapshot } from './snapshot.ts';
import { providerMessages } from './history.ts';
import { ProfileResolver } from './profiles.ts';
import { Router } from './router.ts';
import { builtinTools } from './tools/builtin/index.ts';
import { ToolCatalogue } from './tools/catalogue.ts';
import type { Tool } from './tools/tool.ts';

type Round = ProviderEvent[] | Error;

/** A provider in memory that answers each call with the next scripted round. */
function scripted(id: string, rounds: Round[]): ChatProvider & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  return {
    id,
    requests,
    async *stream(request, signal) {
      requests.push(structuredClone(request));
      const round = rounds.shift() ?? [
        { type: 'text', text: 'done' },
        { type: 'finish', reason: 'stop' },
      ];
      if (round instanceof Error) throw round;
      for (const event of round) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        signal.throwIfAborted();
        yield event;
      }
    },
  };
}

const call = (id: string, name: string, args: string): ProviderEvent => ({
  type: 'tool_call',
  call: { id, name, arguments: args },
});
const finish = (reason: 'stop' | 'tool_calls'): ProviderEvent => ({ type: 'finish', reason });

const slowTool: Tool = {
  name: 'test__slow',
  description: 'Waits until aborted',
  inputSchema: { type: 'object' },
  call: (_args, { signal }) =>
    new Promise((_resolve, reject) =>
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
    ),
};
const brokenTool: Tool = {
  name: 'test__broken',
  description: 'Always throws',
  inputSchema: { type: 'object' },
  call: () => Promise.reject(new Error('sensor unplugged')),
};

function setup(providers: Record<string, ChatProvider>, profile: Record<string, unknown> = {}) {
  const config = configSchema.parse({
    providers: Object.fromEntries(
      Object.keys(providers).map((id) => [
        id,
        { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1' },
      ]),
    ),
    profiles: {
      main: {
        provider: Object.keys(providers)[0],
        model: 'm',
        tools: ['hearth__*', 'test__*'],
        ...profile,
      },
    },
  });
  const events: TurnEvent[] = [];
  const store = new SqliteConversationStore(openDatabase({ memory: true }));
  const router = new Router({
    store: localTurnStore(store),
    tools: new ToolCatalogue([builtinTools, { tools: () => [slowTool, brokenTool] }]),
    sink: { emit: (_conversationId, event) => events.push(event) },
    profiles: new ProfileResolver({
      config: () => config,
      providers: () => new Map(Object.entries(providers)),
    }),
    media: { put: () => Promise.reject(new Error('no media in this test')) },
    logger: createLogger({ level: 'silent' }),
    checkpointMs: 1000,
  });
  const run = async () => {
    const turn = await router.accept({ content: [{ type: 'text', text: 'go' }] });
    turn.start();
    await new Promise<void>((resolve) => {
      const check = () => (router.runningTurns === 0 ? resolve() : setTimeout(check, 2));
      check();
    });
    return { turn, messages: store.listMessages(turn.conversationId) };
  };
  return { router, events, store, run };
}

describe('the tool loop', () => {
  it('runs two rounds of tools, in parallel within a round, and feeds results back', async () => {
    const model = scripted('p', [
      [
        { type: 'text', text: 'Let me see.' },
        call('a', 'hearth__calculator', '{"expression":"6*7"}'),
        call('b', 'hearth__clock', '{}'),
        finish('tool_calls'),
      ],
      [call('c', 'hearth__calculator', '{"expression":"42+1"}'), finish('tool_calls')],
      [
        { type: 'text', text: 'It is 43.' },
        { type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } },
        finish('stop'),
      ],
    ]);
    const { events, run } = setup({ p: model });
    const { messages } = await run();
    expect(events.map((e) => e.type)).toEqual([
      'turn.started',
      'text.delta',
      'tool.call',
      'tool.call',
      'tool.result',
      'tool.result',
      'tool.call',
      'tool.result',
      'text.delta',
      'turn.done',
    ]);
    expect(events.find((e) => e.type === 'tool.call')).toMatchObject({
      callId: 'a',
      arguments: { expression: '6*7' },
    });
    expect(
      events
        .filter((e) => e.type === 'tool.result')
        .map((e) => (e as { content: string }).content)[0],
    ).toBe('42');
    const third = model.requests[2]!;
    expect(third.messages.slice(-5).map((m) => m.role)).toEqual([
      'assistant',
      'tool',
      'tool',
      'assistant',
      'tool',
    ]);
    expect(third.messages.at(-1)).toMatchObject({ role: 'tool', toolCallId: 'c', content: '43' });
    expect(model.requests[0]!.tools?.map((t) => t.name).sort()).toEqual([
      'hearth__calculator',
      'hearth__clock',
      'test__broken',
      'test__slow',
    ]);
    const reply = messages[1]!;
    expect(reply.status).toBe('complete');
    expect(reply.content.map((p) => p.type)).toEqual([
      'text',
      'tool_call',
      'tool_call',
      'tool_result',
      'tool_result',
      'tool_call',
      'tool_result',
      'text',
    ]);
    // The stored reply rebuilds into exactly what the provider saw in the last round.
    expect(messages.flatMap(providerMessages).slice(1)).toEqual([
      ...third.messages.slice(1),
      { role: 'assistant', content: 'It is 43.' },
    ]);
  });

  it('reports broken arguments, unknown tools and failing tools to the model instead of crashing', async () => {
    const model = scripted('p', [
      [
        call('x', 'hearth__calculator', '{"expression": "1+'),
        call('y', 'nope', '{}'),
        call('z', 'test__broken', '{}'),
        call('w', 'hearth__calculator', '{"expr":1}'),
        finish('tool_calls'),
      ],
    ]);
    const { events, run } = setup({ p: model });
    await run();
    const results = events.filter((e) => e.type === 'tool.result') as Array<{
      callId: string;
      content: string;
      isError: boolean;
    }>;
    expect(Object.fromEntries(results.map((r) => [r.callId, r.isError]))).toEqual({
      x: true,
      y: true,
      z: true,
      w: true,
    });
    const byId = Object.fromEntries(results.map((r) => [r.callId, r.content]));
    expect(byId.x).toMatch(/not valid JSON/);
    expect(byId.y).toMatch(/no tool "nope"/);
    expect(byId.z).toMatch(/sensor unplugged/);
    expect(byId.w).toMatch(/schema.*expression/);
    expect(events.at(-1)).toMatchObject({ type: 'turn.done', finishReason: 'stop' });
  });

  it('stops offering tools after the round limit', async () => {
    const loop = Array.from({ length: 5 }, (_v, i) => [
      call(`k${i}`, 'hearth__clock', '{}'),
      finish('tool_calls'),
    ]);
    const model = scripted('p', loop);
    const { run } = setup({ p: model }, { maxToolRounds: 2 });
    await run();
    expect(model.requests.map((r) => r.tools?.length ?? 0)).toEqual([4, 4, 0]);
  });

  it('offers no tools to a profile without an allow list', async () => {
    const model = scripted('p', []);
    const { run } = setup({ p: model }, { tools: undefined });
    await run();
    expect(model.requests[0]!.tools).toBeUndefined();
  });

  it('cancellation stops a running tool and keeps the reply, without the unanswered call in history', async () => {
    const model = scripted('p', [
      [{ type: 'text', text: 'Waiting.' }, call('s', 'test__slow', '{}'), finish('tool_calls')],
    ]);
    const { router, events, run } = setup({ p: model });
    const done = run();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = events.find((e) => e.type === 'turn.started') as { turnId: string };
    expect(router.cancel(started.turnId)).toBe(true);
    const { messages } = await done;
    expect(events.at(-1)).toMatchObject({ type: 'turn.done', finishReason: 'cancelled' });
    expect(messages[1]?.status).toBe('cancelled');
    expect(messages.flatMap(providerMessages)).toEqual([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: 'Waiting.' },
    ]);
  });
});

describe('tool results and snapshots', () => {
  it('a result is in the reply as soon as its event went out, even while another tool runs', async () => {
    const model = scripted('p', [
      [
        call('fast', 'hearth__calculator', '{"expression":"1+1"}'),
        call('slow', 'test__slow', '{}'),
        finish('tool_calls'),
      ],
    ]);
    const { router, events, store } = setup({ p: model });
    const turn = await router.accept({ content: [{ type: 'text', text: 'go' }] });
    turn.start();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(events.filter((e) => e.type === 'tool.result')).toEqual([
      expect.objectContaining({ callId: 'fast', content: '2' }),
    ]);
    const live = conversationSnapshot(store, router, turn.conversationId)?.messages[1];
    expect(live?.content.map((p) => p.type)).toEqual(['tool_call', 'tool_call', 'tool_result']);
    router.cancel(turn.turnId);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.listMessages(turn.conversationId)[1]).toMatchObject({
      status: 'cancelled',
      content: [
        expect.objectContaining({ id: 'fast' }),
        expect.objectContaining({ id: 'slow' }),
        expect.objectContaining({ callId: 'fast' }),
      ],
    });
    expect(events.filter((e) => e.type === 'tool.result')).toHaveLength(1);
  });
});

describe('fallback', () => {
  it('moves to the next provider when the first fails before any token', async () => {
    const down = scripted('down', [
      new HearthError(ErrorCode.providerUnavailable, 'connection refused'),
    ]);
    const up = scripted('up', [[{ type: 'text', text: 'hi' }, finish('stop')]]);
    const { events, run } = setup(
      { down, up },
      { fallback: [{ provider: 'up', model: 'backup' }] },
    );
    await run();
    expect(up.requests[0]?.model).toBe('backup');
    expect(events.at(-1)).toMatchObject({ type: 'turn.done' });
  });

  it('never falls back after a token was shown, and names every failed provider', async () => {
    const partial = scripted('partial', [[{ type: 'text', text: 'Hal' }]]);
    partial.stream = async function* (request, signal) {
      yield* scripted('x', [[{ type: 'text', text: 'Hal' }]]).stream(request, signal);
      throw new HearthError(ErrorCode.providerError, 'dropped');
    };
    const backup = scripted('backup', []);
    const first = setup({ partial, backup }, { fallback: [{ provider: 'backup', model: 'b' }] });
    await first.run();
    expect(backup.requests).toHaveLength(0);
    expect(first.events.at(-1)).toMatchObject({
      type: 'turn.error',
      code: 'provider_error',
      message: expect.stringMatching(/dropped/),
    });

    const a = scripted('a', [new HearthError(ErrorCode.providerAuth, 'bad key')]);
    const b = scripted('b', [new HearthError(ErrorCode.providerRateLimited, 'slow down')]);
    const second = setup({ a, b }, { fallback: [{ provider: 'b', model: 'mb' }] });
    await second.run();
    expect(second.events.at(-1)).toMatchObject({
      type: 'turn.error',
      code: 'provider_rate_limited',
      message: expect.stringMatching(/a \(m\): bad key \| b \(mb\): slow down/),
    });
  });
});
