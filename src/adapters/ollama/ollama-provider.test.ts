import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { drain, texts } from '../../../test/doubles/drain.ts';
import {
  httpError,
  startOllamaDouble,
  type OllamaDouble,
} from '../../../test/doubles/ollama-double.ts';
import type { ChatRequest, ProviderEvent } from '../provider.ts';
import { discoverOllama } from './discover.ts';
import { OllamaChatProvider, type OllamaChatProviderOptions } from './ollama-provider.ts';

const request: ChatRequest = {
  model: 'llama3.2',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'how are you' },
  ],
};

function providerFor(double: OllamaDouble, options: Partial<OllamaChatProviderOptions> = {}) {
  return new OllamaChatProvider({
    id: 'box',
    baseURL: double.baseURL,
    timeoutMs: 5000,
    ...options,
  });
}

const signal = () => new AbortController().signal;
const calls = (events: ProviderEvent[]) =>
  events.flatMap((event) => (event.type === 'tool_call' ? [event.call] : []));

/** A port on 127.0.0.1 that nothing listens on (it was just freed). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('OllamaChatProvider against the Ollama double', () => {
  it('streams text, then usage from the done line, then finish', async () => {
    await using double = await startOllamaDouble();
    double.enqueue({
      type: 'text',
      chunks: ['Hello', ', ', 'world'],
      usage: { prompt_eval_count: 26, eval_count: 3 },
    });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'text', text: 'Hello' },
      { type: 'text', text: ', ' },
      { type: 'text', text: 'world' },
      { type: 'usage', usage: { inputTokens: 26, outputTokens: 3 } },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('sends model, messages, stream, options and the bearer key; leaves unset options out', async () => {
    await using double = await startOllamaDouble({ apiKey: 'proxy-key-0001' });
    const provider = providerFor(double, { apiKey: 'proxy-key-0001' });
    await drain(provider.stream({ ...request, temperature: 0.2, maxTokens: 50 }, signal()));
    await drain(provider.stream(request, signal()));
    const [first, second] = double.requests;
    expect(first?.path).toBe('/api/chat');
    expect(first?.headers.authorization).toBe('Bearer proxy-key-0001');
    expect(first?.body).toEqual({
      model: 'llama3.2',
      messages: request.messages,
      stream: true,
      options: { temperature: 0.2, num_predict: 50 },
    });
    expect(second?.body).not.toHaveProperty('options');
    expect(second?.body).not.toHaveProperty('tools');
  });

  it("asks for the profile's context window as num_ctx, and leaves Ollama's own alone otherwise", async () => {
    await using double = await startOllamaDouble();
    const provider = providerFor(double);
    await drain(provider.stream({ ...request, contextTokens: 16_384 }, signal()));
    await drain(provider.stream(request, signal()));
    const [sized, plain] = double.requests;
    expect(sized?.body).toMatchObject({ options: { num_ctx: 16_384 } });
    expect(plain?.body).not.toHaveProperty('options');
  });

  it('does not show thinking, only the content after it', async () => {
    await using double = await startOllamaDouble();
    double.enqueue({ type: 'text', thinking: ['Hmm, ', 'a greeting.'], chunks: ['Hi', '!'] });
    const { events } = await drain(providerFor(double).stream(request, signal()));
    expect(texts(events)).toEqual(['Hi', '!']);
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });

  it('finishes with length when done_reason is length', async () => {
    await using double = await startOllamaDouble();
    double.enqueue({ type: 'text', chunks: ['Once upon'], doneReason: 'length' });
    const { events } = await drain(providerFor(double).stream(request, signal()));
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'length' });
  });

  it('yields tool calls that arrive whole with object arguments, keeping or making ids', async () => {
    await using double = await startOllamaDouble();
    const tools = [
      { name: 'get_weather', description: 'Weather', inputSchema: { type: 'object' } },
    ];
    double.enqueue(
      {
        type: 'text',
        chunks: [],
        toolCalls: [
          { id: 'call_k3x9', name: 'get_weather', arguments: { city: 'Oslo', days: 2 } },
          { name: 'get_weather', arguments: { city: 'Lima' } },
        ],
      },
      {
        type: 'text',
        chunks: [],
        toolCallLines: 'each',
        toolCalls: [
          { name: 'get_weather', arguments: '{"city":"Rome"}' },
          { name: 'get_weather', arguments: ['Bern'] },
        ],
        doneReason: 'length',
      },
    );
    const provider = providerFor(double);
    const first = await drain(provider.stream({ ...request, tools }, signal()));
    expect(calls(first.events)).toEqual([
      { id: 'call_k3x9', name: 'get_weather', arguments: '{"city":"Oslo","days":2}' },
      { id: 'call_1', name: 'get_weather', arguments: '{"city":"Lima"}' },
    ]);
    expect(first.events.at(-1)).toEqual({ type: 'finish', reason: 'tool_calls' });
    expect(double.requests[0]?.body.tools).toEqual([
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } },
      },
    ]);
    // Made-up ids never repeat within a provider; string arguments holding JSON pass as is.
    const second = await drain(provider.stream({ ...request, tools }, signal()));
    expect(calls(second.events)).toEqual([
      { id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
      { id: 'call_3', name: 'get_weather', arguments: '["Bern"]' },
    ]);
    expect(second.events.at(-1)).toEqual({ type: 'finish', reason: 'tool_calls' });
  });

  it('sends tool results as role tool with tool_name, and earlier calls with object arguments', async () => {
    await using double = await startOllamaDouble();
    const { error } = await drain(
      providerFor(double).stream(
        {
          model: 'llama3.2',
          messages: [
            { role: 'user', content: 'Weather in Oslo and Lima?' },
            {
              role: 'assistant',
              content: '',
              toolCalls: [
                { id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
                { id: 'call_2', name: 'get_weather', arguments: '{"city": "Li' },
              ],
            },
            { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: 'sunny' },
            {
              role: 'tool',
              toolCallId: 'call_2',
              name: 'get_weather',
              content: 'arguments are not JSON',
              isError: true,
            },
          ],
        },
        signal(),
      ),
    );
    // The double answers 400 as Ollama does if any arguments were not an object.
    expect(error).toBeUndefined();
    expect(double.requests[0]?.body.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          { id: 'call_1', function: { name: 'get_weather', arguments: { city: 'Oslo' } } },
          { id: 'call_2', function: { name: 'get_weather', arguments: {} } },
        ],
      },
      { role: 'tool', content: 'sunny', tool_name: 'get_weather', tool_call_id: 'call_1' },
      {
        role: 'tool',
        content: 'Error: arguments are not JSON',
        tool_name: 'get_weather',
        tool_call_id: 'call_2',
      },
    ]);
  });

  it('fails as provider_error after the text that came before an error line under HTTP 200', async () => {
    await using double = await startOllamaDouble();
    double.enqueue({ type: 'mid-stream-error', chunks: ['par', 'tial'], error: 'out of memory' });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(texts(events)).toEqual(['par', 'tial']);
    expect(error).toMatchObject({
      code: 'provider_error',
      message: 'Provider "box" failed mid-reply: out of memory',
    });
  });

  it('names the missing model on 404', async () => {
    await using double = await startOllamaDouble({ models: ['qwen3:0.6b'] });
    const { error } = await drain(providerFor(double).stream(request, signal()));
    expect(error).toMatchObject({ code: 'provider_error' });
    expect((error as Error).message).toContain('has no model "llama3.2"');
    expect((error as Error).message).toContain('ollama pull llama3.2');
  });

  it.each([
    [httpError(500), 'provider_unavailable', 'HTTP 500: llama runner process has terminated'],
    [httpError(503), 'provider_unavailable', 'HTTP 503: server busy'],
    [httpError(400, undefined, 'invalid options'), 'provider_error', 'HTTP 400: invalid options'],
    [httpError(429), 'provider_rate_limited', 'HTTP 429).'],
    [httpError(429, { 'retry-after': '12' }), 'provider_rate_limited', 'Retry after 12 s.'],
    [{ type: 'text', chunks: ['a'], cut: 'end' }, 'provider_error', 'before finishing it'],
    [{ type: 'text', chunks: ['a'], cut: 'reset' }, 'provider_unavailable', 'dropped the conn'],
  ] as const)('maps %j to %s', async (reply, code, words) => {
    await using double = await startOllamaDouble();
    double.enqueue(reply);
    const { error } = await drain(providerFor(double).stream(request, signal()));
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toContain(words);
  });

  it('maps a proxy refusing the key to provider_auth, and never repeats a key', async () => {
    await using double = await startOllamaDouble({ apiKey: 'right-key' });
    const refused = await drain(
      providerFor(double, { apiKey: 'wrong-key' }).stream(request, signal()),
    );
    expect(refused.error).toMatchObject({ code: 'provider_auth' });
    expect((refused.error as Error).message).not.toContain('wrong-key');
    double.enqueue(httpError(500, undefined, 'upstream said right-key was bad'));
    const echoed = await drain(
      providerFor(double, { apiKey: 'right-key' }).stream(request, signal()),
    );
    expect((echoed.error as Error).message).toContain('upstream said [redacted] was bad');
  });

  it('maps nothing listening to provider_unavailable', async () => {
    const provider = new OllamaChatProvider({
      id: 'box',
      baseURL: `http://127.0.0.1:${await closedPort()}`,
      timeoutMs: 5000,
    });
    const { error } = await drain(provider.stream(request, signal()));
    expect(error).toMatchObject({ code: 'provider_unavailable' });
    expect((error as Error).message).toContain('could not be reached: ECONNREFUSED');
  });

  it('gives up when no headers come within the timeout', async () => {
    await using double = await startOllamaDouble();
    double.enqueue({ type: 'hang' });
    const { error } = await drain(
      providerFor(double, { timeoutMs: 100 }).stream(request, signal()),
    );
    expect(error).toMatchObject({
      code: 'provider_unavailable',
      message: 'Provider "box" did not answer within 100 ms.',
    });
  });

  it('closes the upstream response when the consumer stops reading early', async () => {
    await using double = await startOllamaDouble();
    double.enqueue({ type: 'text', chunks: ['a ', 'b ', 'c ', 'd ', 'e '], delayMs: 30 });
    const closed = double.clientClosedEarly();
    for await (const event of providerFor(double).stream(request, signal())) {
      if (event.type === 'text') break;
    }
    await closed;
    expect(double.closedEarly).toBe(1);
  });

  it('throws the abort reason when aborted before any answer, and on a hung request', async () => {
    await using double = await startOllamaDouble();
    const early = await drain(providerFor(double).stream(request, AbortSignal.abort('stop')));
    expect(early.error).toBe('stop');
    double.enqueue({ type: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort('user stop'), 50);
    const hung = await drain(providerFor(double).stream(request, controller.signal));
    expect(hung.error).toBe('user stop');
  });
});

describe('discoverOllama', () => {
  it('lists the models an Ollama has', async () => {
    await using double = await startOllamaDouble({ models: ['llama3.2', 'qwen3:0.6b'] });
    const models = await discoverOllama({ baseURL: `${double.baseURL}/` });
    expect(models).toEqual(['llama3.2:latest', 'qwen3:0.6b']);
    expect(double.requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
      'GET /api/tags',
    ]);
  });

  it('returns an empty list for an Ollama without models', async () => {
    await using double = await startOllamaDouble({ models: [] });
    expect(await discoverOllama({ baseURL: double.baseURL })).toEqual([]);
  });

  it('returns undefined when nothing listens, nothing answers in time, or it is not Ollama', async () => {
    expect(await discoverOllama({ baseURL: `http://127.0.0.1:${await closedPort()}` })).toBe(
      undefined,
    );
    const silent = createServer().listen(0, '127.0.0.1'); // Accepts, never answers.
    await once(silent, 'listening');
    const { port } = silent.address() as { port: number };
    const started = Date.now();
    expect(await discoverOllama({ baseURL: `http://127.0.0.1:${port}`, timeoutMs: 100 })).toBe(
      undefined,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    silent.close();
    await using double = await startOllamaDouble();
    expect(await discoverOllama({ baseURL: `${double.baseURL}/nowhere` })).toBe(undefined);
    await using guarded = await startOllamaDouble({ apiKey: 'needed' });
    expect(await discoverOllama({ baseURL: guarded.baseURL })).toBe(undefined);
  });
});
