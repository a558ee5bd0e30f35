import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import {
  httpError,
  overloaded,
  startAnthropicDouble,
  text,
  toolUse,
  type AnthropicDouble,
} from '../../../test/doubles/anthropic-double.ts';
import { drain, texts } from '../../../test/doubles/drain.ts';
import { HearthError } from '../../common/errors.ts';
import type { ChatRequest, ProviderEvent } from '../provider.ts';
import {
  AnthropicChatProvider,
  mapStopReason,
  toInput,
  type AnthropicChatProviderOptions,
} from './anthropic-provider.ts';

const apiKey = 'sk-ant-test-key-0001';
const request: ChatRequest = {
  model: 'claude-test',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'how are you' },
  ],
};
const signal = () => new AbortController().signal;

function providerFor(
  double: AnthropicDouble,
  options: Partial<AnthropicChatProviderOptions> = {},
): AnthropicChatProvider {
  return new AnthropicChatProvider({
    id: 'test',
    baseURL: double.baseURL,
    apiKey,
    timeoutMs: 5000,
    ...options,
  });
}

function expectHearthError(error: unknown, code: string): HearthError {
  expect(error).toBeInstanceOf(HearthError);
  expect((error as HearthError).code).toBe(code);
  return error as HearthError;
}

const usageEvents = (events: ProviderEvent[]) => events.filter((e) => e.type === 'usage');

describe('AnthropicChatProvider against the Anthropic double', () => {
  it('streams text deltas, ignores pings, and reports usage as totals', async () => {
    await using double = await startAnthropicDouble({ apiKey });
    double.enqueue({
      type: 'message',
      blocks: [text('Hello', ', ', 'world')],
      pings: 'everywhere',
      inputTokens: 12,
      outputTokens: [3],
    });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'usage', usage: { inputTokens: 12, outputTokens: 1 } },
      { type: 'text', text: 'Hello' },
      { type: 'text', text: ', ' },
      { type: 'text', text: 'world' },
      { type: 'usage', usage: { inputTokens: 12, outputTokens: 3 } },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('takes message_delta output_tokens as running totals, never adding them up', async () => {
    await using double = await startAnthropicDouble();
    double.enqueue({ type: 'message', blocks: [text('a')], inputTokens: 20, outputTokens: [5, 9] });
    const { events } = await drain(providerFor(double).stream(request, signal()));
    expect(usageEvents(events).map((e) => e.type === 'usage' && e.usage)).toEqual([
      { inputTokens: 20, outputTokens: 1 },
      { inputTokens: 20, outputTokens: 5 },
      { inputTokens: 20, outputTokens: 9 },
    ]);
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });

  it('echoes the last user message when nothing is scripted', async () => {
    await using double = await startAnthropicDouble();
    const { events } = await drain(providerFor(double).stream(request, signal()));
    expect(texts(events).join('')).toBe('Echo: how are you');
    expect(texts(events).length).toBeGreaterThan(1);
  });

  it('sends system on top, max_tokens 4096 by default, the key and anthropic-version', async () => {
    await using double = await startAnthropicDouble({ apiKey });
    const twoSystems: ChatRequest = {
      model: 'claude-test',
      messages: [{ role: 'system', content: 'Be brief.' }, ...request.messages],
    };
    await drain(providerFor(double).stream(twoSystems, signal()));
    const [sent] = double.requests;
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // @anthropic-ai/sdk 1.x sends the key as a bearer token, not as x-api-key.
    expect(sent?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(sent?.body).toEqual({
      model: 'claude-test',
      max_tokens: 4096,
      stream: true,
      system: 'Be brief.\n\nBe brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'how are you' }] }],
    });
  });

  it('sends maxTokens, temperature and tools in Anthropic form', async () => {
    await using double = await startAnthropicDouble();
    const inputSchema = { type: 'object', properties: { city: { type: 'string' } } };
    const tools = [{ name: 'get_weather', description: 'Weather in a city', inputSchema }];
    await drain(
      providerFor(double).stream({ ...request, maxTokens: 50, temperature: 0.2, tools }, signal()),
    );
    expect(double.requests[0]?.body).toMatchObject({
      max_tokens: 50,
      temperature: 0.2,
      tools: [{ name: 'get_weather', description: 'Weather in a city', input_schema: inputSchema }],
    });
  });

  it('merges consecutive tool results into one user message the API accepts', async () => {
    await using double = await startAnthropicDouble();
    double.enqueue({ type: 'message', blocks: [text('Sunny and wet.')] });
    const history: ChatRequest = {
      model: 'claude-test',
      messages: [
        { role: 'user', content: 'Oslo and Lima?' },
        {
          role: 'assistant',
          content: 'Checking.',
          toolCalls: [
            { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
            { id: 'toolu_b', name: 'get_weather', arguments: '{"city": "Li' },
            { id: 'toolu_c', name: 'now', arguments: '' },
          ],
        },
        { role: 'tool', toolCallId: 'toolu_a', name: 'get_weather', content: 'sunny' },
        { role: 'tool', toolCallId: 'toolu_b', name: 'get_weather', content: 'bad', isError: true },
        { role: 'tool', toolCallId: 'toolu_c', name: 'now', content: '' },
        { role: 'user', content: 'Thanks' },
      ],
    };
    const { events, error } = await drain(providerFor(double).stream(history, signal()));
    expect(error).toBeUndefined();
    expect(texts(events)).toEqual(['Sunny and wet.']);
    expect(double.requests[0]?.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Oslo and Lima?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Oslo' } },
          {
            type: 'tool_use',
            id: 'toolu_b',
            name: 'get_weather',
            input: { __raw_arguments: '{"city": "Li' },
          },
          { type: 'tool_use', id: 'toolu_c', name: 'now', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: 'bad', is_error: true },
          { type: 'tool_result', tool_use_id: 'toolu_c' },
          { type: 'text', text: 'Thanks' },
        ],
      },
    ]);
  });

  it('assembles a tool call from input_json_delta fragments, and {} from none', async () => {
    await using double = await startAnthropicDouble();
    double.enqueue({
      type: 'message',
      blocks: [
        text('Let me ', 'look.'),
        toolUse('toolu_1', 'get_weather', '{"city": "Oslo", "units": "metric"}', 5),
        { type: 'tool_use', id: 'toolu_2', name: 'now', fragments: [''] },
      ],
    });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type !== 'usage')).toEqual([
      { type: 'text', text: 'Let me ' },
      { type: 'text', text: 'look.' },
      {
        type: 'tool_call',
        call: {
          id: 'toolu_1',
          name: 'get_weather',
          arguments: '{"city": "Oslo", "units": "metric"}',
        },
      },
      { type: 'tool_call', call: { id: 'toolu_2', name: 'now', arguments: '{}' } },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('maps stop reasons', async () => {
    await using double = await startAnthropicDouble();
    const reasons = ['max_tokens', 'refusal', 'stop_sequence', 'pause_turn'];
    for (const stopReason of reasons) {
      double.enqueue({ type: 'message', blocks: [text('x')], stopReason });
    }
    const finishes = [];
    for (const _ of reasons) {
      finishes.push((await drain(providerFor(double).stream(request, signal()))).events.at(-1));
    }
    expect(finishes.map((e) => e?.type === 'finish' && e.reason)).toEqual([
      'length',
      'content_filter',
      'stop',
      'stop',
    ]);
    expect(mapStopReason('model_context_window_exceeded')).toBe('length');
    expect(mapStopReason('end_turn')).toBe('stop');
    expect(mapStopReason('tool_use')).toBe('tool_calls');
  });

  it('closes the upstream connection when aborted mid-stream and throws the abort', async () => {
    await using double = await startAnthropicDouble();
    double.enqueue({ type: 'message', blocks: [text('one ', 'two ', 'three ')], delayMs: 200 });
    const controller = new AbortController();
    const { events, error } = await drain(
      providerFor(double).stream(request, controller.signal),
      (event) => {
        if (event.type === 'text') controller.abort();
      },
    );
    expect(texts(events)).toEqual(['one ']);
    expect(error).toBe(controller.signal.reason);
    await double.clientClosedEarly();
    expect(double.closedEarly).toBe(1);
  });

  it('closes the upstream connection when the consumer stops iterating', async () => {
    await using double = await startAnthropicDouble();
    double.enqueue({ type: 'message', blocks: [text('one ', 'two ', 'three ')], delayMs: 50 });
    for await (const event of providerFor(double).stream(request, signal())) {
      if (event.type === 'text') break;
    }
    await double.clientClosedEarly();
    expect(double.closedEarly).toBe(1);
  });

  it('throws the abort without calling upstream when already aborted', async () => {
    await using double = await startAnthropicDouble();
    const reason = new Error('turn cancelled');
    const { error } = await drain(providerFor(double).stream(request, AbortSignal.abort(reason)));
    expect(error).toBe(reason);
    expect(double.requests).toHaveLength(0);
  });
});

describe('AnthropicChatProvider errors against the Anthropic double', () => {
  it('maps an overloaded_error mid-stream to provider_unavailable after the text', async () => {
    await using double = await startAnthropicDouble();
    double.enqueue({
      type: 'mid-stream-error',
      blocks: [text('Partial ', 'answer')],
      error: overloaded,
    });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(texts(events)).toEqual(['Partial ', 'answer']);
    const failure = expectHearthError(error, 'provider_unavailable');
    expect(failure.message).toBe('Provider "test" failed mid-reply: Overloaded');
    expect(failure.cause).toBeInstanceOf(Anthropic.APIError);
  });

  it('maps other mid-stream errors to provider_error', async () => {
    await using double = await startAnthropicDouble();
    const error = { type: 'invalid_request_error', message: 'Output blocked by policy.' };
    double.enqueue({ type: 'mid-stream-error', blocks: [text('x')], error });
    const result = await drain(providerFor(double).stream(request, signal()));
    expect(expectHearthError(result.error, 'provider_error').message).toContain('blocked');
  });

  it('maps 401 to provider_auth without retrying or repeating upstream text', async () => {
    await using double = await startAnthropicDouble({ apiKey: 'sk-ant-right-9999' });
    const { error } = await drain(
      providerFor(double, { apiKey: 'sk-ant-wrong-4321' }).stream(request, signal()),
    );
    const failure = expectHearthError(error, 'provider_auth');
    expect(failure.cause).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(failure.message).not.toContain('4321');
    expect(failure.message).not.toContain('invalid x-api-key');
    expect(double.requests).toHaveLength(1);
  });

  it('maps 429 to provider_rate_limited naming retry-after, after one retry', async () => {
    await using double = await startAnthropicDouble();
    const tooMany = httpError(429, { 'retry-after': '7', 'retry-after-ms': '10' });
    double.enqueue(tooMany, tooMany);
    const { error } = await drain(providerFor(double).stream(request, signal()));
    expect(expectHearthError(error, 'provider_rate_limited').message).toContain('Retry after 7 s');
    expect(double.requests).toHaveLength(2);
  });

  it('maps 529 overloaded and 500 to provider_unavailable after one retry', async () => {
    await using double = await startAnthropicDouble();
    const fast = { 'retry-after-ms': '10' };
    double.enqueue(httpError(529, fast), httpError(529, fast), httpError(500, fast));
    const { error } = await drain(providerFor(double).stream(request, signal()));
    expect(expectHearthError(error, 'provider_unavailable').message).toBe(
      'Provider "test" answered HTTP 529: Overloaded',
    );
    double.enqueue({ type: 'message', blocks: [text('recovered')] });
    const second = await drain(providerFor(double).stream(request, signal()));
    expect(texts(second.events)).toEqual(['recovered']);
    expect(double.requests).toHaveLength(4);
  });

  it('maps 400 to provider_error with the upstream message, redacting keys', async () => {
    await using double = await startAnthropicDouble();
    const message = `Bad header ${apiKey} or sk-ant-other-key-77`;
    double.enqueue({
      type: 'http-error',
      status: 400,
      error: { type: 'invalid_request_error', message },
    });
    const { error } = await drain(providerFor(double).stream(request, signal()));
    const failure = expectHearthError(error, 'provider_error');
    expect(failure.message).toBe(
      'Provider "test" answered HTTP 400: Bad header [redacted] or sk-ant-[redacted]',
    );
    expect(double.requests).toHaveLength(1);
  });

  it('fails a stream that ends early: provider_error if clean, unavailable if dropped', async () => {
    await using double = await startAnthropicDouble();
    double.enqueue(
      { type: 'message', blocks: [text('half')], cut: 'end' },
      { type: 'message', blocks: [text('half')], cut: 'reset' },
    );
    const clean = await drain(providerFor(double).stream(request, signal()));
    expect(texts(clean.events)).toEqual(['half']);
    expectHearthError(clean.error, 'provider_error');
    const dropped = await drain(providerFor(double).stream(request, signal()));
    expectHearthError(dropped.error, 'provider_unavailable');
  });

  it('maps a missing answer to provider_unavailable naming the timeout', async () => {
    await using double = await startAnthropicDouble();
    double.enqueue({ type: 'hang' }, { type: 'hang' });
    const provider = providerFor(double, { timeoutMs: 150 });
    const { error } = await drain(provider.stream(request, signal()));
    expect(expectHearthError(error, 'provider_unavailable').message).toContain('150 ms');
  });
});

describe('toInput', () => {
  it('keeps objects, turns empty text into {} and wraps anything else', () => {
    expect(toInput('{"a":1}')).toEqual({ a: 1 });
    expect(toInput('  ')).toEqual({});
    expect(toInput('[1,2]')).toEqual({ __raw_arguments: '[1,2]' });
    expect(toInput('{"a":')).toEqual({ __raw_arguments: '{"a":' });
  });
});
