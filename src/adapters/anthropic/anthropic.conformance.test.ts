import {
  runChatProviderConformance,
  type ConformanceReply,
} from '../../../test/conformance/chat-provider-suite.ts';
import {
  httpError,
  startAnthropicDouble,
  text,
  toolUse,
  type ScriptedReply,
} from '../../../test/doubles/anthropic-double.ts';
import { AnthropicChatProvider } from './anthropic-provider.ts';

const apiKey = 'sk-ant-conformance-0001';

/** The suite's neutral scripts in the double's terms. */
function toReply(reply: ConformanceReply): ScriptedReply {
  switch (reply.kind) {
    case 'text':
      return {
        type: 'message',
        blocks: [text(...reply.chunks)],
        ...(reply.delayMs !== undefined && { delayMs: reply.delayMs }),
        ...(reply.usage && { inputTokens: reply.usage.input, outputTokens: [reply.usage.output] }),
      };
    case 'tool_calls':
      return {
        type: 'message',
        blocks: [
          ...(reply.text === undefined ? [] : [text(reply.text)]),
          ...reply.calls.map((call) => toolUse(call.id, call.name, call.arguments)),
        ],
        ...(reply.usage && { inputTokens: reply.usage.input, outputTokens: [reply.usage.output] }),
      };
    case 'mid_stream_error':
      return {
        type: 'mid-stream-error',
        blocks: [text(...reply.chunks)],
        error: { type: 'overloaded_error', message: reply.message },
      };
    case 'http_error':
      if (reply.status === 401) return httpError(401);
      // retry-after-ms keeps the SDK's one retry fast; retry-after is what the message names.
      return httpError(429, {
        ...(reply.retryAfterSeconds !== undefined && {
          'retry-after': String(reply.retryAfterSeconds),
        }),
        'retry-after-ms': '10',
      });
  }
}

runChatProviderConformance('anthropic', async () => {
  const double = await startAnthropicDouble({ apiKey });
  const provider = new AnthropicChatProvider({
    id: 'anthropic-test',
    baseURL: double.baseURL,
    apiKey,
    timeoutMs: 5000,
  });
  return {
    provider,
    model: 'claude-test',
    rawArguments: true,
    script: (reply) => double.enqueue(toReply(reply)),
    requestBodies: () => double.requests.map((request) => request.body),
    clientClosedEarly: () => double.clientClosedEarly(),
    [Symbol.asyncDispose]: () => double.close(),
  };
});
