import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { drain, texts } from '../../../test/doubles/drain.ts';
import {
  httpError,
  openAIError,
  startOpenAIDouble,
  type OpenAIDouble,
} from '../../../test/doubles/openai-double.ts';
import { HearthError } from '../../common/errors.ts';
import type { ChatRequest } from '../provider.ts';
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

function expectHearthError(error: unknown, code: string): HearthError {
  expect(error).toBeInstanceOf(HearthError);
  expect((error as HearthError).code).toBe(code);
  return error as HearthError;
}

describe('OpenAIChatProvider errors against the OpenAI double', () => {
  it('fails with provider_error after the text that came before a mid-stream error', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({
      type: 'mid-stream-error',
      chunks: ['Partial ', 'answer'],
      error: {
        message: 'The model crashed while generating.',
        type: 'server_error',
        param: null,
        code: null,
      },
    });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(texts(events)).toEqual(['Partial ', 'answer']);
    const failure = expectHearthError(error, 'provider_error');
    expect(failure.message).toContain('The model crashed while generating.');
    expect(failure.cause).toBeInstanceOf(OpenAI.APIError);
  });

  it('maps 401 to provider_auth without retrying or repeating the key', async () => {
    await using double = await startOpenAIDouble({ apiKey: 'sk-right-key-9999' });
    const { error } = await drain(
      providerFor(double, { apiKey: 'sk-wrong-key-4321' }).stream(request, signal()),
    );
    const failure = expectHearthError(error, 'provider_auth');
    expect(failure.cause).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(failure.message).not.toContain('4321');
    expect(failure.message).not.toContain('Incorrect API key');
    expect(double.requests).toHaveLength(1);
  });

  it('maps 429 to provider_rate_limited and names the retry-after seconds', async () => {
    await using double = await startOpenAIDouble();
    // retry-after-ms keeps the SDK's single retry fast; retry-after is what the message reports.
    const tooMany = httpError(429, { 'retry-after': '7', 'retry-after-ms': '10' });
    double.enqueue(tooMany, tooMany);
    const { error } = await drain(providerFor(double).stream(request, signal()));
    const failure = expectHearthError(error, 'provider_rate_limited');
    expect(failure.message).toContain('7 s');
    expect(double.requests).toHaveLength(2);
  });

  it('maps 500 to provider_unavailable after exactly one retry', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue(httpError(500), httpError(500));
    const { error } = await drain(providerFor(double).stream(request, signal()));
    const failure = expectHearthError(error, 'provider_unavailable');
    expect(failure.cause).toBeInstanceOf(OpenAI.InternalServerError);
    expect(double.requests).toHaveLength(2);
  });

  it('recovers when the one retry after a 500 succeeds', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue(httpError(500));
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(error).toBeUndefined();
    expect(texts(events).join('')).toBe('Echo: how are you');
    expect(double.requests).toHaveLength(2);
  });

  it('maps other 4xx to provider_error with the upstream message', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue(httpError(400));
    const { error } = await drain(providerFor(double).stream(request, signal()));
    expect(expectHearthError(error, 'provider_error').message).toContain(
      "Invalid value for 'model'.",
    );
    expect(double.requests).toHaveLength(1);
  });

  it('maps a header timeout to provider_unavailable', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'hang' }, { type: 'hang' });
    const { error } = await drain(
      providerFor(double, { timeoutMs: 100 }).stream(request, signal()),
    );
    expect(expectHearthError(error, 'provider_unavailable').message).toContain('100 ms');
    expect(double.requests).toHaveLength(2);
  });

  it('maps a refused connection to provider_unavailable', async () => {
    const double = await startOpenAIDouble();
    await double.close();
    const { error } = await drain(providerFor(double).stream(request, signal()));
    expect(expectHearthError(error, 'provider_unavailable').cause).toBeInstanceOf(
      OpenAI.APIConnectionError,
    );
  });

  it('never repeats the API key that an upstream message contains', async () => {
    await using double = await startOpenAIDouble();
    const message = 'Project of key sk-test-key-0001 has no access to model gpt-test.';
    double.enqueue({
      type: 'http-error',
      status: 404,
      error: openAIError(message, 'invalid_request_error', 'model_not_found'),
    });
    const { error } = await drain(providerFor(double).stream(request, signal()));
    const failure = expectHearthError(error, 'provider_error');
    expect(failure.message).toContain('has no access to model gpt-test');
    expect(failure.message).not.toContain('sk-test-key-0001');
  });

  it('fails with provider_error when the stream ends without a finish reason', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'text', chunks: ['cut ', 'short'], cut: 'end' });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(texts(events)).toEqual(['cut ', 'short']);
    expectHearthError(error, 'provider_error');
  });

  it('drops a half-streamed tool call when the stream ends without a finish reason', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({
      type: 'tool-calls',
      text: ['Checking.'],
      calls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      cut: 'end',
    });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(texts(events)).toEqual(['Checking.']);
    expect(events.some((event) => event.type === 'tool_call')).toBe(false);
    expectHearthError(error, 'provider_error');
  });

  it('drops a half-streamed tool call when the connection drops', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({
      type: 'tool-calls',
      calls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      cut: 'reset',
    });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(events).toEqual([]);
    expectHearthError(error, 'provider_unavailable');
  });

  it('maps a connection dropped mid-stream to provider_unavailable after the text', async () => {
    await using double = await startOpenAIDouble();
    double.enqueue({ type: 'text', chunks: ['dropped ', 'here'], cut: 'reset' });
    const { events, error } = await drain(providerFor(double).stream(request, signal()));
    expect(texts(events)).toEqual(['dropped ', 'here']);
    expectHearthError(error, 'provider_unavailable');
    expect(double.closedEarly).toBe(0);
  });
});
