import { describe, expect, it } from 'vitest';
import type { ChatProvider, ChatRequest, ProviderEvent } from '../adapters/provider.ts';
import { configSchema } from '../common/config/schema.ts';
import { createLogger } from '../common/logger.ts';
import type { TurnEvent } from '../common/protocol.ts';
import { SqliteConversationStore } from '../mcp/service/store/conversation-store.ts';
import { openDatabase } from '../mcp/service/store/database.ts';
import { localTurnStore } from '../mcp/service/store/local-turn-store.ts';
import { ProfileResolver } from './profiles.ts';
import { Router } from './router.ts';
import { ToolCatalogue } from './tools/catalogue.ts';
import type { Tool } from './tools/tool.ts';

/** A tool that returns a whole "page": 1,000 two-byte characters. */
const bigTool: Tool = {
  name: 'test__page',
  description: 'Reads a page',
  inputSchema: { type: 'object' },
  call: () => Promise.resolve({ content: 'é'.repeat(1000) }),
};

/** Asks for the page once per turn (`greedy`: in every round it may), then answers. */
function pageReader(greedy = false): ChatProvider & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  return {
    id: 'p',
    requests,
    async *stream(request) {
      requests.push(structuredClone(request));
      await new Promise((resolve) => setTimeout(resolve, 1));
      const last = request.messages.at(-1);
      const events: ProviderEvent[] =
        last?.role === 'user' || (greedy && request.tools !== undefined)
          ? [
              {
                type: 'tool_call',
                call: { id: `c${requests.length}`, name: 'test__page', arguments: '{}' },
              },
              { type: 'finish', reason: 'tool_calls' },
            ]
          : [
              { type: 'text', text: 'done' },
              { type: 'finish', reason: 'stop' },
            ];
      yield* events;
    },
  };
}

function setup(options: { system?: string; greedy?: boolean } = {}) {
  const provider = pageReader(options.greedy);
  const config = configSchema.parse({
    providers: { p: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1' } },
    // A 2,000-token window: results of at most 1,500 bytes; 500 tokens kept for the reply.
    profiles: {
      main: {
        provider: 'p',
        model: 'm',
        tools: ['test__*'],
        contextTokens: 2000,
        ...(options.system !== undefined && { system: options.system }),
      },
    },
  });
  const events: TurnEvent[] = [];
  const store = new SqliteConversationStore(openDatabase({ memory: true }));
  const router = new Router({
    store: localTurnStore(store),
    tools: new ToolCatalogue([{ tools: () => [bigTool] }]),
    sink: { emit: (_conversationId, event) => events.push(event) },
    profiles: new ProfileResolver({
      config: () => config,
      providers: () => new Map([['p', provider]]),
    }),
    media: { put: () => Promise.reject(new Error('no media in this test')) },
    logger: createLogger({ level: 'silent' }),
    checkpointMs: 1000,
  });
  const send = async (text: string, conversationId?: string) => {
    const turn = await router.accept({
      content: [{ type: 'text', text }],
      ...(conversationId !== undefined && { conversationId }),
    });
    turn.start();
    while (router.runningTurns > 0) await new Promise((resolve) => setTimeout(resolve, 2));
    return turn;
  };
  return { provider, events, store, send };
}

const note =
  "\n[Hearth cut this result to fit the model's context window: the tool returned 2000 bytes;";

describe('tool results and the context window', () => {
  it('cuts a result to a quarter of the window, the same for the model, the clients and storage', async () => {
    const { provider, events, store, send } = setup();
    const turn = await send('read it');
    const sent = provider.requests[1]?.messages.at(-1);
    expect(sent).toMatchObject({ role: 'tool', name: 'test__page' });
    const content = sent?.role === 'tool' ? sent.content : '';
    // 750 characters of two bytes: 1,500 bytes, never half a character.
    expect(content.startsWith(`${'é'.repeat(750)}${note}`)).toBe(true);
    expect(content).toContain('the first 1500 bytes are above.');
    expect(events.find((e) => e.type === 'tool.result')).toMatchObject({ content });
    const stored = store.listMessages(turn.conversationId)[1]?.content;
    expect(stored?.find((part) => part.type === 'tool_result')).toMatchObject({ content });
  });

  it('makes room for the results in a later round by dropping the oldest exchanges', async () => {
    const { provider, send } = setup();
    // About 304 tokens each. The first exchange, its tool result included, fits with the
    // second message before the tool runs, not with the second result as well.
    const first = await send(`A${'a'.repeat(899)}`);
    await send(`B${'b'.repeat(899)}`, first.conversationId);
    const [before, after] = provider.requests
      .slice(2)
      .map((r) => r.messages.map((m) => `${m.role}:${m.content.slice(0, 1)}`));
    expect(before).toEqual(['user:A', 'assistant:', 'tool:é', 'assistant:d', 'user:B']);
    expect(after).toEqual(['user:B', 'assistant:', 'tool:é']);
  });

  it('keeps the system prompt and the new message when it drops earlier exchanges', async () => {
    const { provider, send } = setup({ system: 'Be brief.' });
    const first = await send(`A${'a'.repeat(899)}`);
    await send(`B${'b'.repeat(899)}`, first.conversationId);
    const [before, after] = provider.requests
      .slice(2)
      .map((r) => r.messages.map((m) => `${m.role}:${m.content.slice(0, 1)}`));
    expect(before).toEqual(['system:B', 'user:A', 'assistant:', 'tool:é', 'assistant:d', 'user:B']);
    expect(after).toEqual(['system:B', 'user:B', 'assistant:', 'tool:é']);
  });

  it("ends the turn with context_too_long once the turn's own results no longer fit, keeping them", async () => {
    const { provider, events, store, send } = setup({ greedy: true });
    const turn = await send('read everything');
    // About 565 tokens a round (the call and its cut result): two fit in 1,460, three do not.
    expect(provider.requests).toHaveLength(3);
    expect(provider.requests.every((r) => r.messages[0]?.content === 'read everything')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'turn.error', code: 'context_too_long' });
    const reply = store.listMessages(turn.conversationId)[1];
    expect(reply?.status).toBe('failed');
    expect(reply?.content.filter((part) => part.type === 'tool_result')).toHaveLength(3);
  });
});
