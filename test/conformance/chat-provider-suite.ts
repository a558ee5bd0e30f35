/**
 * The conformance suite every chat adapter runs against its own wire-faithful test double,
 * through the provider's official SDK. An adapter plugs in with a harness that turns these
 * neutral scripts into its double's wire format.
 */
import { describe, expect, it } from 'vitest';
import type {
  ChatProvider,
  ChatRequest,
  ProviderEvent,
  ToolSpec,
} from '../../src/adapters/provider.ts';

export type ConformanceReply =
  | { kind: 'text'; chunks: string[]; delayMs?: number; usage?: { input: number; output: number } }
  /** Tool calls in one reply; `arguments` is the raw JSON text the model produced (maybe broken). */
  | {
      kind: 'tool_calls';
      text?: string;
      calls: Array<{ id: string; name: string; arguments: string }>;
      usage?: { input: number; output: number };
    }
  | { kind: 'mid_stream_error'; chunks: string[]; message: string }
  | { kind: 'http_error'; status: 401 | 429; retryAfterSeconds?: number };

export interface ConformanceHarness extends AsyncDisposable {
  provider: ChatProvider;
  /** Queues one reply for the next request. */
  script(reply: ConformanceReply): void;
  /** Parsed JSON bodies of the requests the double received, oldest first. */
  requestBodies(): unknown[];
  /** Resolves when the client closes a streaming response before the double finished it. */
  clientClosedEarly(): Promise<void>;
  /** Facts of the wire format the suite cannot know: how the double's model is named, and so on. */
  model: string;
  /**
   * True when the provider can carry a malformed argument text (OpenAI, Anthropic: raw JSON
   * text). Ollama sends arguments as JSON objects, so its harness sends a wrong-typed object.
   */
  rawArguments: boolean;
}

export const weatherTool: ToolSpec = {
  name: 'get_weather',
  description: 'Current weather in a city',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

async function collect(
  provider: ChatProvider,
  request: ChatRequest,
  signal = new AbortController().signal,
): Promise<ProviderEvent[]> {
  const events: ProviderEvent[] = [];
  for await (const event of provider.stream(request, signal)) events.push(event);
  return events;
}

const texts = (events: ProviderEvent[]) =>
  events
    .filter((e): e is Extract<ProviderEvent, { type: 'text' }> => e.type === 'text')
    .map((e) => e.text)
    .join('');

/** Registers the shared suite for one adapter. */
export function runChatProviderConformance(
  name: string,
  makeHarness: () => Promise<ConformanceHarness>,
): void {
  describe(`${name} conformance`, () => {
    const ask = (h: ConformanceHarness, tools?: ToolSpec[]): ChatRequest => ({
      model: h.model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello?' },
      ],
      ...(tools && { tools }),
    });

    it('streams plain text and ends with stop', async () => {
      await using h = await makeHarness();
      h.script({ kind: 'text', chunks: ['Hel', 'lo', ' world'] });
      const events = await collect(h.provider, ask(h));
      expect(texts(events)).toBe('Hello world');
      expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
      expect(events.filter((e) => e.type === 'text').length).toBeGreaterThanOrEqual(2);
    });

    it('reports usage as totals, never added up', async () => {
      await using h = await makeHarness();
      h.script({ kind: 'text', chunks: ['a', 'b'], usage: { input: 12, output: 7 } });
      const events = await collect(h.provider, ask(h));
      const usage = events.filter((e) => e.type === 'usage');
      expect(usage.at(-1)).toEqual({ type: 'usage', usage: { inputTokens: 12, outputTokens: 7 } });
    });

    it('yields a tool call whole, with its arguments text, and finishes with tool_calls', async () => {
      await using h = await makeHarness();
      h.script({
        kind: 'tool_calls',
        calls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      });
      const events = await collect(h.provider, ask(h, [weatherTool]));
      const calls = events.filter((e) => e.type === 'tool_call');
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ call: { name: 'get_weather' } });
      const call = (calls[0] as Extract<ProviderEvent, { type: 'tool_call' }>).call;
      expect(JSON.parse(call.arguments)).toEqual({ city: 'Oslo' });
      expect(call.id).not.toBe('');
      expect(events.at(-1)).toEqual({ type: 'finish', reason: 'tool_calls' });
      const body = JSON.stringify(h.requestBodies().at(-1));
      expect(body).toContain('get_weather');
      expect(body).toContain('Current weather in a city');
    });

    it('yields two parallel tool calls in order', async () => {
      await using h = await makeHarness();
      h.script({
        kind: 'tool_calls',
        text: 'Checking both.',
        calls: [
          { id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          { id: 'call_b', name: 'get_weather', arguments: '{"city":"Lima"}' },
        ],
      });
      const events = await collect(h.provider, ask(h, [weatherTool]));
      const calls = events.flatMap((e) => (e.type === 'tool_call' ? [e.call] : []));
      expect(calls.map((c) => JSON.parse(c.arguments).city)).toEqual(['Oslo', 'Lima']);
      expect(new Set(calls.map((c) => c.id)).size).toBe(2);
      expect(texts(events)).toBe('Checking both.');
    });

    it('passes malformed tool arguments through as text instead of crashing', async () => {
      await using h = await makeHarness();
      h.script({
        kind: 'tool_calls',
        calls: [{ id: 'call_x', name: 'get_weather', arguments: '{"city": "Os' }],
      });
      const events = await collect(h.provider, ask(h, [weatherTool]));
      const call = events.flatMap((e) => (e.type === 'tool_call' ? [e.call] : []))[0];
      expect(call?.name).toBe('get_weather');
      if (h.rawArguments) expect(call?.arguments).toBe('{"city": "Os');
      else expect(() => JSON.parse(call?.arguments ?? '') as unknown).not.toThrow();
    });

    it('sends tool results back in the provider format', async () => {
      await using h = await makeHarness();
      h.script({ kind: 'text', chunks: ['It is sunny.'] });
      const request: ChatRequest = {
        model: h.model,
        tools: [weatherTool],
        messages: [
          { role: 'user', content: 'Weather in Oslo?' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
          },
          { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: '{"sky":"sunny"}' },
        ],
      };
      expect(texts(await collect(h.provider, request))).toBe('It is sunny.');
      const body = JSON.stringify(h.requestBodies().at(-1));
      expect(body).toContain('sunny');
      expect(body).toContain('Oslo');
    });

    it('throws provider_error after the text that came before a mid-stream error', async () => {
      await using h = await makeHarness();
      h.script({ kind: 'mid_stream_error', chunks: ['par', 'tial'], message: 'Overloaded' });
      const seen: ProviderEvent[] = [];
      const failure = await (async () => {
        for await (const event of h.provider.stream(ask(h), new AbortController().signal))
          seen.push(event);
      })().catch((error: unknown) => error);
      expect(texts(seen)).toBe('partial');
      expect(failure).toMatchObject({
        code: expect.stringMatching(/^provider_(error|unavailable)$/),
      });
    });

    it('maps a refused key to provider_auth without echoing upstream text', async () => {
      await using h = await makeHarness();
      h.script({ kind: 'http_error', status: 401 });
      await expect(collect(h.provider, ask(h))).rejects.toMatchObject({ code: 'provider_auth' });
    });

    it('maps rate limiting to provider_rate_limited, naming the wait', async () => {
      await using h = await makeHarness();
      h.script({ kind: 'http_error', status: 429, retryAfterSeconds: 7 });
      h.script({ kind: 'http_error', status: 429, retryAfterSeconds: 7 });
      h.script({ kind: 'http_error', status: 429, retryAfterSeconds: 7 });
      const failure = await collect(h.provider, ask(h)).catch((error: unknown) => error);
      expect(failure).toMatchObject({
        code: 'provider_rate_limited',
        message: expect.stringContaining('7'),
      });
    });

    it('closes the upstream connection when cancelled mid-stream', async () => {
      await using h = await makeHarness();
      h.script({
        kind: 'text',
        chunks: Array.from({ length: 50 }, (_v, i) => `w${i} `),
        delayMs: 20,
      });
      const controller = new AbortController();
      const closed = h.clientClosedEarly();
      const seen: ProviderEvent[] = [];
      const failure = await (async () => {
        for await (const event of h.provider.stream(ask(h), controller.signal)) {
          seen.push(event);
          if (texts(seen).includes('w2 ')) controller.abort('cancelled');
        }
      })().catch((error: unknown) => error);
      await closed;
      expect(controller.signal.aborted).toBe(true);
      expect(failure).toBeDefined();
      expect(texts(seen).length).toBeLessThan(50 * 3);
    });
  });
}
