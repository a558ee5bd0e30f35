/**
 * The shared chat provider conformance suite, run against the OpenAI double through the real
 * `openai` SDK: once as OpenAI itself, once as an OpenAI-compatible local server.
 */
import {
  runChatProviderConformance,
  type ConformanceHarness,
  type ConformanceReply,
} from '../../../test/conformance/chat-provider-suite.ts';
import {
  httpError,
  openAIError,
  startOpenAIDouble,
  type ScriptedReply,
  type StreamOptions,
} from '../../../test/doubles/openai-double.ts';
import { OpenAIChatProvider, type OpenAIChatProviderOptions } from './openai-provider.ts';

interface Flavour {
  provider: Partial<OpenAIChatProviderOptions>;
  /** How the double streams, on top of the script. */
  stream: StreamOptions;
  /** Send tool calls whole in one chunk, as llama.cpp and vLLM do, instead of in fragments. */
  wholeCalls: boolean;
}

const openai: Flavour = { provider: {}, stream: {}, wholeCalls: false };
const compatible: Flavour = {
  provider: { apiKey: undefined, maxTokensField: 'max_tokens' },
  stream: { usageStyle: 'choices-null' },
  wholeCalls: true,
};

/** Splits a text into two chunks, so that a single string still streams as several deltas. */
const inTwo = (text: string): string[] => {
  const half = Math.ceil(text.length / 2);
  return [text.slice(0, half), text.slice(half)].filter(Boolean);
};

function toScriptedReply(reply: ConformanceReply, flavour: Flavour): ScriptedReply {
  const usage = (counts?: { input: number; output: number }) =>
    counts && { usage: { prompt_tokens: counts.input, completion_tokens: counts.output } };
  switch (reply.kind) {
    case 'text':
      return {
        type: 'text',
        chunks: reply.chunks,
        ...flavour.stream,
        ...(reply.delayMs !== undefined && { delayMs: reply.delayMs }),
        ...usage(reply.usage),
      };
    case 'tool_calls':
      return {
        type: 'tool-calls',
        calls: reply.calls,
        ...(reply.text !== undefined && { text: inTwo(reply.text) }),
        ...(flavour.wholeCalls && { whole: true }),
        ...flavour.stream,
        ...usage(reply.usage),
      };
    case 'mid_stream_error':
      return {
        type: 'mid-stream-error',
        chunks: reply.chunks,
        error: openAIError(reply.message, 'server_error'),
      };
    case 'http_error':
      // `retry-after-ms` keeps the SDK's one retry fast; `retry-after` is what Hearth reports.
      return httpError(
        reply.status,
        reply.retryAfterSeconds === undefined
          ? undefined
          : { 'retry-after': String(reply.retryAfterSeconds), 'retry-after-ms': '5' },
      );
  }
}

function harnessFor(flavour: Flavour): () => Promise<ConformanceHarness> {
  return async () => {
    const double = await startOpenAIDouble();
    const provider = new OpenAIChatProvider({
      id: 'conformance',
      baseURL: double.baseURL,
      apiKey: 'sk-test-key-0001',
      timeoutMs: 5000,
      ...flavour.provider,
    });
    return {
      provider,
      script: (reply) => double.enqueue(toScriptedReply(reply, flavour)),
      requestBodies: () => double.requests.map((request) => request.body as unknown),
      clientClosedEarly: () => double.clientClosedEarly(),
      model: 'gpt-test',
      rawArguments: true,
      [Symbol.asyncDispose]: () => double.close(),
    };
  };
}

runChatProviderConformance('openai', harnessFor(openai));
runChatProviderConformance('openai-compatible', harnessFor(compatible));
