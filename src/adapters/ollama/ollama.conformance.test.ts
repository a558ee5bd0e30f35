/**
 * The shared ChatProvider conformance suite, run against the Ollama double through the real
 * `ollama` package.
 */
import {
  runChatProviderConformance,
  type ConformanceReply,
} from '../../../test/conformance/chat-provider-suite.ts';
import {
  httpError,
  startOllamaDouble,
  type ScriptedReply,
} from '../../../test/doubles/ollama-double.ts';
import { OllamaChatProvider } from './ollama-provider.ts';

/** A neutral script in Ollama's wire terms. */
function toOllamaReply(reply: ConformanceReply): ScriptedReply {
  switch (reply.kind) {
    case 'text':
      return {
        type: 'text',
        chunks: reply.chunks,
        ...(reply.delayMs !== undefined && { delayMs: reply.delayMs }),
        ...(reply.usage && {
          usage: { prompt_eval_count: reply.usage.input, eval_count: reply.usage.output },
        }),
      };
    case 'tool_calls':
      return {
        type: 'text',
        chunks: reply.text === undefined ? [] : [reply.text],
        // Ollama sends arguments as an object; text that does not parse goes out as a string,
        // a wrong-typed value the adapter must survive.
        toolCalls: reply.calls.map((call) => ({
          id: call.id,
          name: call.name,
          arguments: parsedOr(call.arguments),
        })),
        ...(reply.usage && {
          usage: { prompt_eval_count: reply.usage.input, eval_count: reply.usage.output },
        }),
      };
    case 'mid_stream_error':
      return { type: 'mid-stream-error', chunks: reply.chunks, error: reply.message };
    case 'http_error':
      return httpError(
        reply.status,
        reply.retryAfterSeconds === undefined
          ? undefined
          : { 'retry-after': String(reply.retryAfterSeconds) },
      );
  }
}

function parsedOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

runChatProviderConformance('ollama', async () => {
  const double = await startOllamaDouble();
  const provider = new OllamaChatProvider({
    id: 'ollama-test',
    baseURL: double.baseURL,
    timeoutMs: 5000,
  });
  return {
    provider,
    model: 'llama3.2',
    rawArguments: false,
    script: (reply) => double.enqueue(toOllamaReply(reply)),
    requestBodies: () =>
      double.requests.filter((request) => request.path === '/api/chat').map(({ body }) => body),
    clientClosedEarly: () => double.clientClosedEarly(),
    [Symbol.asyncDispose]: () => double.close(),
  };
});
