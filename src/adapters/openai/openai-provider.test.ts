import { describe, expect, it } from 'vitest';
import { drain, texts } from '../../../test/doubles/drain.ts';
import { startOpenAIDouble, type OpenAIDouble } from '../../../test/doubles/openai-double.ts';
import type { ChatRequest, ProviderEvent } from '../provider.ts';
import { OpenAIChatProvider, type OpenAIChatProviderOptions } from './openai-provider.ts';

const request: ChatRequest = {
  model: 'gpt-test',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'how are you' },
  ],
};

function providerFor(
  double: OpenAIDouble,
  options: Partial<OpenAIChatProviderOptions> = {},
): OpenAIChatProvider {
  return new OpenAIChatProvider({
    id: 'test',
    baseURL: double.baseURL,
    apiKey: 'sk-test-key-0001',
    timeoutMs: 5000,
    ...options,
  });
}

const signal = () => new AbortController().signal;

describe('OpenAIChatProvider against the OpenAI double', () => {
  it('streams text, then usage, then finish', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({
      type: 'text',
      chunks: ['Hello', ', ', 'world'],
      usage: { prompt_tokens: 7, completion_tokens: 3 },
    });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'text', text: 'Hello' },
      { type: 'text', text: ', ' },
      { type: 'text', text: 'world' },
      { type: 'usage', usage: { inputTokens: 7, outputTokens: 3 } },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('echoes the last user message when nothing is scripted', async () => {
    await using double = await startOpenAIDouble();
    const { events } = await drain(providerFor(double).stream(request, signal()));
    expect(texts(events).join('')).toBe('Echo: how are you');
    expect(texts(events).length).toBeGreaterThan(1);
  });

  it('sends model, messages, include_usage, the key and max_completion_tokens by default', async () => {
    await using double = await startOpenAIDouble({ apiKey: 'sk-test-key-0001' });
    await drain(
      providerFor(double).stream({ ...request, temperature: 0.2, maxTokens: 50 }, signal()),
    );
    const [sent] = double.requests;
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe('Bearer sk-test-key-0001');
    expect(sent?.body).toMatchObject({
      model: 'gpt-test',
      messages: request.messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(sent?.body.temperature).toBe(0.2);
    expect(sent?.body.max_completion_tokens).toBe(50);
    expect(sent?.body).not.toHaveProperty('max_tokens');
  });

  it('sends max_tokens when told to, and leaves unset options out', async () => {
    await using double = await startOpenAIDouble();
    const provider = providerFor(double, { maxTokensField: 'max_tokens', apiKey: undefined });
    await drain(provider.stream({ ...request, maxTokens: 64 }, signal()));
    await drain(provider.stream(request, signal()));
    expect(double.requests[0]?.body.max_tokens).toBe(64);
    expect(double.requests[0]?.body).not.toHaveProperty('max_completion_tokens');
    expect(double.requests[1]?.body).not.toHaveProperty('max_tokens');
    expect(double.requests[1]?.body).not.toHaveProperty('temperature');
    expect(double.requests[0]?.headers.authorization).toBe('Bearer not-needed');
  });

  it('yields each chunk of a slow stream as it arrives', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'text', chunks: ['a', 'b', 'c', 'd'], delayMs: 60 });
    const arrivals: number[] = [];
    const { events } = await drain(providerFor(double).stream(request, signal()), (event) => {
      if (event.type === 'text') arrivals.push(performance.now());
    });
    expect(texts(events)).toEqual(['a', 'b', 'c', 'd']);
    // Three pauses of 60 ms lie between the first and last chunk unless something buffered them.
    expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThan(120);
  });

  it('closes the upstream connection when aborted mid-stream and throws the abort', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'text', chunks: ['one ', 'two ', 'three ', 'four'], delayMs: 200 });
    const controller = new AbortController();
    const { events, error } = await drain(
      providerFor(double).stream(request, controller.signal),
      (event) => {
        if (event.type === 'text') controller.abort();
      },
    );
    expect(texts(events)).toEqual(['one ']);
    expect(error).toBe(controller.signal.reason);
    expect((error as Error).name).toBe('AbortError');
    await expect(withTimeout(double.clientClosedEarly(), 2000)).resolves.toBeUndefined();
    expect(double.closedEarly).toBe(1);
  });

  it('throws the abort without calling upstream when already aborted', async () => {
    await using double = await startOpenAIDouble();
    const reason = new Error('turn cancelled');
    const { error } = await drain(providerFor(double).stream(request, AbortSignal.abort(reason)));
    expect(error).toBe(reason);
    expect(double.requests).toHaveLength(0);
  });

  it('maps finish reasons and yields refusals as text', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue(
      { type: 'text', chunks: ['long'], finishReason: 'length' },
      { type: 'text', chunks: ['call'], finishReason: 'function_call' },
      { type: 'text', chunks: ["I can't ", 'help with that.'], asRefusal: true },
    );
    const provider = providerFor(double);
    expect((await drain(provider.stream(request, signal()))).events.at(-1)).toEqual({
      type: 'finish',
      reason: 'length',
    });
    expect((await drain(provider.stream(request, signal()))).events.at(-1)).toEqual({
      type: 'finish',
      reason: 'tool_calls',
    });
    const refusal = await drain(provider.stream(request, signal()));
    expect(texts(refusal.events)).toEqual(["I can't ", 'help with that.']);
    expect(refusal.events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });
});

describe('OpenAIChatProvider against local-server variants', () => {
  const usage = { prompt_tokens: 5, completion_tokens: 2 };
  const expectedUsage = { type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } };

  it('finishes without a usage event when the server never reports usage', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'text', chunks: ['no ', 'usage'], usageStyle: 'missing' });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(error).toBeUndefined();
    expect(events.some((event) => event.type === 'usage')).toBe(false);
    expect(events).toEqual([
      { type: 'text', text: 'no ' },
      { type: 'text', text: 'usage' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('reads usage from a chunk with choices: null', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'text', chunks: ['hi'], usage, usageStyle: 'choices-null' });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'text', text: 'hi' },
      expectedUsage,
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('reads usage sent on the finish chunk instead of a usage chunk', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'text', chunks: ['hi'], usage, usageStyle: 'unasked' });
    const { events } = await drain(providerFor(double).stream(request, signal()));
    expect(events).toEqual([
      { type: 'text', text: 'hi' },
      expectedUsage,
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it("ignores llama.cpp's timings field", async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'text', chunks: ['fast'], usage, timings: true });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'text', text: 'fast' },
      expectedUsage,
      { type: 'finish', reason: 'stop' },
    ]);
  });
});

describe('OpenAIChatProvider tool calls', () => {
  const weather = { id: 'call_w', name: 'get_weather', arguments: '{"city":"Oslo","unit":"C"}' };
  const time = { id: 'call_t', name: 'get_time', arguments: '{"zone":"Europe/Oslo"}' };
  const toolRequest: ChatRequest = {
    ...request,
    tools: [
      {
        name: 'get_weather',
        description: 'Current weather in a city',
        inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ],
  };
  const toolCalls = (events: readonly ProviderEvent[]) =>
    events.flatMap((event) => (event.type === 'tool_call' ? [event.call] : []));

  it('assembles argument fragments and yields the call whole, after the text, before usage', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({
      type: 'tool-calls',
      text: ['Let me ', 'check.'],
      calls: [weather],
      fragments: 5,
      usage: { prompt_tokens: 9, completion_tokens: 4 },
    });
    const { events, error } = await drain(providerFor(double).stream(toolRequest, signal()));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'text', text: 'Let me ' },
      { type: 'text', text: 'check.' },
      { type: 'tool_call', call: weather },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 4 } },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('yields no call before all of its fragments have arrived', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'tool-calls', calls: [weather], fragments: 4, delayMs: 40 });
    const started = performance.now();
    let yieldedAt = 0;
    const { events } = await drain(providerFor(double).stream(toolRequest, signal()), (event) => {
      if (event.type === 'tool_call') yieldedAt = performance.now();
    });
    expect(toolCalls(events)).toEqual([weather]);
    // Head, four fragments and the finish chunk: five pauses of 40 ms come before the call.
    expect(yieldedAt - started).toBeGreaterThan(150);
  });

  it('separates interleaved parallel calls by index and yields them in index order', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'tool-calls', calls: [weather, time], fragments: 3, interleave: true });
    const { events, error } = await drain(providerFor(double).stream(toolRequest, signal()));
    expect(error).toBeUndefined();
    expect(toolCalls(events)).toEqual([weather, time]);
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'tool_calls' });
  });

  it('passes malformed arguments on untouched', async () => {
    await using double = await startOpenAIDouble();
    const broken = { id: 'call_b', name: 'get_weather', arguments: '{"city": "Os' };
    const odd = { id: 'call_o', name: 'get_weather', arguments: 'not json at all' };
    double.enqueue({ type: 'tool-calls', calls: [broken, odd] });
    const { events, error } = await drain(providerFor(double).stream(toolRequest, signal()));
    expect(error).toBeUndefined();
    expect(toolCalls(events)).toEqual([broken, odd]);
  });

  it('sends tools as function tools and tool turns in the OpenAI format', async () => {
    await using double = await startOpenAIDouble();
    await drain(
      providerFor(double).stream(
        {
          ...toolRequest,
          messages: [
            { role: 'user', content: 'Weather and time in Oslo?' },
            { role: 'assistant', content: '', toolCalls: [weather] },
            { role: 'tool', toolCallId: 'call_w', name: 'get_weather', content: '{"sky":"sun"}' },
            { role: 'assistant', content: 'Now the time.', toolCalls: [time] },
            {
              role: 'tool',
              toolCallId: 'call_t',
              name: 'get_time',
              content: 'Unknown zone',
              isError: true,
            },
            { role: 'assistant', content: 'Sunny, time unknown.' },
          ],
        },
        signal(),
      ),
    );
    const sent = double.requests[0]?.body;
    expect(sent.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ]);
    const asWire = (call: typeof weather) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    });
    expect(sent.messages).toEqual([
      { role: 'user', content: 'Weather and time in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [asWire(weather)] },
      { role: 'tool', tool_call_id: 'call_w', content: '{"sky":"sun"}' },
      { role: 'assistant', content: 'Now the time.', tool_calls: [asWire(time)] },
      { role: 'tool', tool_call_id: 'call_t', content: 'Unknown zone' },
      { role: 'assistant', content: 'Sunny, time unknown.' },
    ]);
  });

  it('leaves tools out when there are none', async () => {
    await using double = await startOpenAIDouble();
    await drain(providerFor(double).stream({ ...request, tools: [] }, signal()));
    expect(double.requests[0]?.body).not.toHaveProperty('tools');
  });
});

describe('OpenAIChatProvider tool calls from local-server variants', () => {
  const weather = { id: 'call_w', name: 'get_weather', arguments: '{"city":"Oslo"}' };
  const time = { id: 'call_t', name: 'get_time', arguments: '{}' };
  const toolCalls = (events: readonly ProviderEvent[]) =>
    events.flatMap((event) => (event.type === 'tool_call' ? [event.call] : []));

  it('takes a call sent whole in one chunk', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'tool-calls', calls: [weather, time], whole: true });
    const { events } = await drain(providerFor(double).stream(request, signal()));
    expect(toolCalls(events)).toEqual([weather, time]);
  });

  it('makes up distinct ids when the server sends none', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'tool-calls', calls: [weather, time], omitIds: true });
    const { events } = await drain(providerFor(double).stream(request, signal()));
    const calls = toolCalls(events);
    expect(calls.map(({ name, arguments: args }) => ({ name, arguments: args }))).toEqual([
      { name: weather.name, arguments: weather.arguments },
      { name: time.name, arguments: time.arguments },
    ]);
    for (const call of calls) expect(call.id).toMatch(/^call_\w+$/);
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);
  });

  it('treats fragments without an index as one call', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'tool-calls', calls: [weather], omitIndex: true, fragments: 4 });
    const { events } = await drain(providerFor(double).stream(request, signal()));
    expect(toolCalls(events)).toEqual([weather]);
  });

  it('tells whole calls without an index apart, with or without ids', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue(
      { type: 'tool-calls', calls: [weather, time], omitIndex: true, whole: true },
      { type: 'tool-calls', calls: [weather, time], omitIndex: true, whole: true, omitIds: true },
    );
    const provider = providerFor(double);
    expect(toolCalls((await drain(provider.stream(request, signal()))).events)).toEqual([
      weather,
      time,
    ]);
    const anonymous = toolCalls((await drain(provider.stream(request, signal()))).events);
    expect(anonymous.map((call) => call.name)).toEqual(['get_weather', 'get_time']);
    expect(anonymous.map((call) => call.arguments)).toEqual([weather.arguments, time.arguments]);
  });

  it('finishes with tool_calls when the server says stop after calling tools', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'tool-calls', calls: [weather], finishReason: 'stop' });
    const { events } = await drain(providerFor(double).stream(request, signal()));
    expect(toolCalls(events)).toEqual([weather]);
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'tool_calls' });
  });

  it('takes the finish reason from the last call chunk, with usage sent unasked', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({
      type: 'tool-calls',
      calls: [weather, time],
      finishOnLastChunk: true,
      usageStyle: 'unasked',
      usage: { prompt_tokens: 3, completion_tokens: 8 },
    });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'tool_call', call: weather },
      { type: 'tool_call', call: time },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 8 } },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
