import { describe, expect, it } from 'vitest';
import type { ContentPart, MessageView } from '../common/protocol.ts';
import {
  dropEarlier,
  estimateTokens,
  fitHistory,
  limitToolResult,
  replyReserve,
  toolResultBytes,
  toolTokens,
} from './context-budget.ts';
import type { ChatMessage } from '../adapters/provider.ts';

let nextId = 0;
function stored(
  role: 'user' | 'assistant',
  content: ContentPart[] | string,
  status: MessageView['status'] = 'complete',
): MessageView {
  nextId += 1;
  return {
    id: `m${nextId}`,
    turnId: `t${nextId}`,
    role,
    content: typeof content === 'string' ? [{ type: 'text', text: content }] : content,
    status,
    profile: 'p',
    model: null,
    usage: null,
    error: null,
    createdAt: '2026-11-26T00:00:00.000Z',
  };
}

/** A window with room for `tokens` of history: nothing kept for a reply or tools. */
const within = (tokens: number) => ({ tokens, reply: 0, tools: 0 });

/** A text of `tokens` tokens by the estimate (3 ASCII bytes each), less a message's 4. */
const sized = (tokens: number, mark = 'x') => mark + 'x'.repeat((tokens - 4) * 3 - 1);

describe('estimateTokens', () => {
  it('counts a token per 3 bytes of UTF-8, rounding up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abc')).toBe(1);
    expect(estimateTokens('abcd')).toBe(2);
    // Three characters of three bytes each.
    expect(estimateTokens('日本語')).toBe(3);
  });
});

describe('replyReserve', () => {
  it("is the profile's maxTokens, else a quarter of the window up to 4,096", () => {
    expect(replyReserve(8192, 300)).toBe(300);
    expect(replyReserve(8192, undefined)).toBe(2048);
    expect(replyReserve(200_000, undefined)).toBe(4096);
  });
});

describe('toolTokens', () => {
  it('estimates the schemas as sent, and nothing without tools', () => {
    expect(toolTokens([])).toBe(0);
    const tools = [
      { name: 'lights', description: 'Turn lights on', inputSchema: { type: 'object' } },
    ];
    expect(toolTokens(tools)).toBe(estimateTokens(JSON.stringify(tools)));
  });
});

describe('fitHistory', () => {
  it('sends everything when it fits', () => {
    const history = [stored('user', 'hi'), stored('assistant', 'hello'), stored('user', 'again')];
    const fitted = fitHistory('Be brief.', history, within(1000));
    expect(fitted.omitted).toBe(0);
    expect(fitted.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'again' },
    ]);
    expect(fitted.tokens).toBe(4 + 3 + 4 + 1 + 4 + 2 + 4 + 2);
  });

  it('drops whole exchanges, oldest first, and counts the stored messages dropped', () => {
    const history = [
      stored('user', sized(100, '1')),
      stored('assistant', sized(100, 'A')),
      stored('user', sized(100, '2')),
      stored('assistant', sized(100, 'B')),
      stored('user', sized(100, '3')),
    ];
    // The newest (100) and one exchange (200) fit in 350; a second exchange does not.
    const fitted = fitHistory(undefined, history, within(350));
    expect(fitted.messages.map((m) => m.content.slice(0, 1))).toEqual(['2', 'B', '3']);
    expect(fitted.omitted).toBe(2);
    expect(fitted.earlier).toBe(2);
    expect(fitted.tokens).toBe(300);
  });

  it('keeps a tool call with its result, or drops both', () => {
    const toolReply = stored('assistant', [
      { type: 'tool_call', id: 'call_1', name: 'lights', arguments: '{"on":true}' },
      { type: 'tool_result', callId: 'call_1', name: 'lights', content: 'done', isError: false },
      { type: 'text', text: sized(100, 'R') },
    ]);
    const history = [stored('user', sized(100, '1')), toolReply, stored('user', sized(50, '2'))];
    const all = fitHistory(undefined, history, within(1000));
    expect(all.messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
      'user',
    ]);
    const cut = fitHistory(undefined, history, within(200));
    expect(cut.messages.map((m) => m.role)).toEqual(['user']);
    expect(cut.omitted).toBe(2);
  });

  it('never sends a reply that is still streaming, nor counts it', () => {
    const history = [
      stored('user', 'first'),
      stored('assistant', sized(1000), 'streaming'),
      stored('user', 'second'),
    ];
    const fitted = fitHistory(undefined, history, within(100));
    expect(fitted.messages).toEqual([
      { role: 'user', content: 'first' },
      { role: 'user', content: 'second' },
    ]);
    expect(fitted.omitted).toBe(0);
  });

  it('refuses with context_too_long when the system prompt and the newest message do not fit', () => {
    const history = [
      stored('user', 'hi'),
      stored('assistant', 'hello'),
      stored('user', sized(120)),
    ];
    // "Be brief." is 3 tokens and 4 for the message: 127 with the newest message.
    expect(() => fitHistory('Be brief.', history, within(126))).toThrow(
      expect.objectContaining({ code: 'context_too_long' }),
    );
    expect(fitHistory('Be brief.', history, within(127)).messages).toHaveLength(2);
  });

  it("says what the window holds when it refuses: the reply's reserve and the tools", () => {
    const history = [stored('user', sized(100))];
    expect(() => fitHistory(undefined, history, { tokens: 4096, reply: 4000, tools: 50 })).toThrow(
      expect.objectContaining({
        code: 'context_too_long',
        message: expect.stringMatching(
          /window of 4096 .*4000 are kept for the reply \(maxTokens\), 50 for the tools' schemas, which leaves 46/,
        ),
      }),
    );
    expect(fitHistory(undefined, history, { tokens: 4096, reply: 3946, tools: 50 }).tokens).toBe(
      100,
    );
  });

  it('leaves out replies with no question before them', () => {
    const history = [
      stored('assistant', 'orphan'),
      stored('user', 'q'),
      stored('assistant', 'a'),
      stored('user', 'now'),
    ];
    const fitted = fitHistory(undefined, history, within(1000));
    expect(fitted.messages.map((m) => m.content)).toEqual(['q', 'a', 'now']);
    expect(fitted.omitted).toBe(1);
  });
});

describe('limitToolResult', () => {
  it('leaves a result that fits alone, and cuts a longer one between characters, saying so', () => {
    expect(limitToolResult('short', 5)).toBe('short');
    // "日" is 3 bytes: 10 bytes hold three of them, not a third of the fourth.
    const cut = limitToolResult('日本語のテキスト', 10);
    expect(cut).toBe(
      "日本語\n[Hearth cut this result to fit the model's context window: the tool returned 24 " +
        'bytes; the first 9 bytes are above.]',
    );
  });

  it('allows a quarter of the window, at least 1 KiB', () => {
    expect(toolResultBytes({ tokens: 8192, reply: 0, tools: 0 })).toBe(6144);
    expect(toolResultBytes({ tokens: 512, reply: 0, tools: 0 })).toBe(1024);
  });
});

describe('dropEarlier', () => {
  const said = (role: 'user' | 'assistant', tokens: number): ChatMessage => ({
    role,
    content: 'x'.repeat((tokens - 4) * 3),
  });

  it('drops whole exchanges from the start of the earlier part until the request fits', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'sys' }, // 5 tokens
      said('user', 100),
      said('assistant', 100),
      said('user', 100),
      said('assistant', 100),
      said('user', 50), // the turn's message
      { role: 'tool', toolCallId: 'c', name: 'page', content: 'x'.repeat(300) }, // 106
    ];
    // 561 in all: dropping the first exchange (200) is enough for 400.
    expect(dropEarlier(messages, 1, 4, 400)).toEqual({ dropped: 2, tokens: 361 });
    expect(messages).toHaveLength(5);
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'tool']);
  });

  it('never drops beyond the earlier part, even when the request still does not fit', () => {
    const messages: ChatMessage[] = [said('user', 100), said('assistant', 100), said('user', 500)];
    expect(dropEarlier(messages, 0, 2, 100)).toEqual({ dropped: 2, tokens: 500 });
    expect(messages).toHaveLength(1);
    expect(dropEarlier(messages, 0, 0, 100)).toEqual({ dropped: 0, tokens: 500 });
  });
});
