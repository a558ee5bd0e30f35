/**
 * Chat through Ollama's native `/api/chat` with the official `ollama` package.
 *
 * Package facts this adapter works around (ollama 0.6.4):
 * - `chat()` takes no AbortSignal, no timeout and no retries; its stream's `abort()` only
 *   aborts a controller of its own. So every call gets a fresh client whose `fetch` adds the
 *   caller's signal and a response-headers timeout to the package's own signal.
 * - Its HTTP errors (`ResponseError`, not exported) keep the status but not the headers, so the
 *   same `fetch` wrapper keeps the last response's headers to read `retry-after`.
 * - A shared client would keep every stream that ended in an error in `ongoingStreamedRequests`
 *   forever; a client per call leaves nothing behind.
 * - A `{"error": ...}` line mid-stream becomes a plain `Error` carrying only the message.
 */
import {
  Ollama,
  type AbortableAsyncIterator,
  type ChatRequest as OllamaRequest,
  type ChatResponse,
  type Message,
  type Tool,
} from 'ollama';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import type {
  ChatMessage,
  ChatProvider,
  ChatRequest,
  ProviderEvent,
  ProviderFinishReason,
} from '../provider.ts';

const maxUpstreamMessageLength = 500;
const unfinishedStream = 'Did not receive done or success response in stream.';

export interface OllamaChatProviderOptions {
  /** Hearth's provider id, used in error messages. */
  id: string;
  /** Ollama's host, such as `http://127.0.0.1:11434` (no `/api`, no `/v1`). */
  baseURL: string;
  /** Sent as `authorization: Bearer` for an Ollama behind a proxy; Ollama itself needs none. */
  apiKey?: string;
  /** Milliseconds to wait for the response headers (a model still loading counts as waiting). */
  timeoutMs: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

/** An Ollama message with the fields Ollama ≥0.12 knows and the package's types lack. */
type WireMessage = Omit<Message, 'tool_calls'> & {
  tool_call_id?: string;
  tool_calls?: Array<{ id?: string; function: { name: string; arguments: object } }>;
};

/**
 * A ChatProvider over `POST /api/chat` with `stream: true`.
 *
 * Events: `text` per non-empty `message.content`; `message.thinking` is not shown (Hearth has
 * no event for it, and the answer follows it as content); one `tool_call` per entry of
 * `message.tool_calls` (Ollama sends each call whole), with its arguments object as JSON text;
 * at the `done` line one `usage` (`prompt_eval_count`, `eval_count`) and then one `finish`:
 * `tool_calls` once any call came, else `length` for `done_reason:"length"`, else `stop`.
 */
export class OllamaChatProvider implements ChatProvider {
  readonly id: string;
  readonly #host: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  /** Numbers the ids made up for calls that came without one (older Ollama versions). */
  #madeUpIds = 0;

  constructor(options: OllamaChatProviderOptions) {
    this.id = options.id;
    this.#host = options.baseURL;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderEvent> {
    const body: OllamaRequest & { stream: true } = {
      model: request.model,
      messages: request.messages.map(toWireMessage),
      stream: true,
      ...(request.tools?.length && {
        tools: request.tools.map((tool): Tool => ({
          type: 'function',
          function: {
            name: tool.name,
            description: tool.description,
            parameters: tool.inputSchema,
          },
        })),
      }),
      ...((request.temperature !== undefined ||
        request.maxTokens !== undefined ||
        request.contextTokens !== undefined) && {
        options: {
          ...(request.temperature !== undefined && { temperature: request.temperature }),
          ...(request.maxTokens !== undefined && { num_predict: request.maxTokens }),
          // Without it Ollama runs its default window and drops what does not fit, silently.
          ...(request.contextTokens !== undefined && { num_ctx: request.contextTokens }),
        },
      }),
    };
    const call = { timedOut: false, headers: undefined as Headers | undefined };
    const client = new Ollama({
      host: this.#host,
      fetch: this.#fetchFor(signal, call),
      ...(this.#apiKey !== undefined && { headers: { authorization: `Bearer ${this.#apiKey}` } }),
    });
    let finish: ProviderFinishReason | undefined;
    let sawToolCall = false;
    let streaming = false;
    let chunks: AbortableAsyncIterator<ChatResponse> | undefined;
    try {
      chunks = await client.chat(body);
      streaming = true;
      for await (const chunk of chunks) {
        const message = chunk.message as WireMessage | undefined;
        if (message?.content) yield { type: 'text', text: message.content };
        const toolCalls: unknown = message?.tool_calls;
        for (const toolCall of Array.isArray(toolCalls) ? toolCalls : []) {
          sawToolCall = true;
          yield { type: 'tool_call', call: this.#toolCall(toolCall) };
        }
        if (chunk.done) {
          yield {
            type: 'usage',
            usage: {
              inputTokens: chunk.prompt_eval_count ?? 0,
              outputTokens: chunk.eval_count ?? 0,
            },
          };
          finish = sawToolCall ? 'tool_calls' : chunk.done_reason === 'length' ? 'length' : 'stop';
        }
      }
    } catch (error) {
      signal.throwIfAborted();
      throw this.#toHearthError(error, { ...call, model: request.model, streaming });
    } finally {
      // Also when the consumer stops early: the package would leave the response open.
      if (finish === undefined) chunks?.abort();
    }
    signal.throwIfAborted();
    if (finish === undefined) throw this.#unfinished();
    yield { type: 'finish', reason: finish };
  }

  /** A fetch that also obeys `signal` and gives up when no headers came within the timeout. */
  #fetchFor(
    signal: AbortSignal,
    call: { timedOut: boolean; headers: Headers | undefined },
  ): typeof fetch {
    return async (input, init) => {
      const headersTimeout = new AbortController();
      const timer = setTimeout(() => {
        call.timedOut = true;
        headersTimeout.abort(new DOMException('No response headers in time.', 'TimeoutError'));
      }, this.#timeoutMs);
      const signals = [signal, headersTimeout.signal, ...(init?.signal ? [init.signal] : [])];
      try {
        const response = await this.#fetch(input, { ...init, signal: AbortSignal.any(signals) });
        call.headers = response.headers;
        return response;
      } finally {
        clearTimeout(timer);
      }
    };
  }

  #toolCall(toolCall: unknown): { id: string; name: string; arguments: string } {
    const raw = toolCall as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
    const id = typeof raw.id === 'string' && raw.id !== '' ? raw.id : `call_${++this.#madeUpIds}`;
    const name = typeof raw.function?.name === 'string' ? raw.function.name : '';
    return { id, name, arguments: argumentsText(raw.function?.arguments) };
  }

  #unfinished(): HearthError {
    return new HearthError(
      ErrorCode.providerError,
      `Provider "${this.id}" ended its reply before finishing it.`,
    );
  }

  #toHearthError(
    error: unknown,
    call: { timedOut: boolean; headers: Headers | undefined; model: string; streaming: boolean },
  ): HearthError {
    if (error instanceof HearthError) return error;
    const who = `Provider "${this.id}"`;
    const make = (code: ErrorCode, message: string) =>
      new HearthError(code, message, { cause: error });
    if (call.timedOut) {
      return make(
        ErrorCode.providerUnavailable,
        `${who} did not answer within ${this.#timeoutMs} ms.`,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    const status = responseStatus(error);
    if (status !== undefined) {
      // Auth errors can echo part of the key, so their upstream message is not repeated.
      if (status === 401 || status === 403) {
        return make(
          ErrorCode.providerAuth,
          `${who} rejected its credentials (HTTP ${status}); check its API key.`,
        );
      }
      if (status === 429) {
        const wait = retryAfterSeconds(call.headers);
        const hint = wait === undefined ? '' : ` Retry after ${wait} s.`;
        return make(
          ErrorCode.providerRateLimited,
          `${who} is rate limiting requests (HTTP 429).${hint}`,
        );
      }
      if (status === 404 && message.includes(call.model)) {
        return make(
          ErrorCode.providerError,
          `${who} has no model "${call.model}" (HTTP 404: ${this.#upstream(message)}); pull it with \`ollama pull ${call.model}\` or pick another.`,
        );
      }
      const code = status >= 500 ? ErrorCode.providerUnavailable : ErrorCode.providerError;
      return make(code, `${who} answered HTTP ${status}: ${this.#upstream(message)}`);
    }
    // undici: TypeError('fetch failed') when nothing answers, ('terminated') when dropped.
    if (error instanceof TypeError) {
      return call.streaming
        ? make(
            ErrorCode.providerUnavailable,
            `${who} dropped the connection: ${this.#upstream(message)}`,
          )
        : make(
            ErrorCode.providerUnavailable,
            `${who} could not be reached: ${this.#upstream(causeCode(error) ?? message)}`,
          );
    }
    if (message === unfinishedStream) return this.#unfinished();
    if (call.streaming) {
      // The package turns an `{"error": ...}` line into a plain Error with that text.
      return make(ErrorCode.providerError, `${who} failed mid-reply: ${this.#upstream(message)}`);
    }
    return make(ErrorCode.providerError, `${who} failed: ${this.#upstream(message)}`);
  }

  /** An upstream message made safe to show: no key, no long dumps. */
  #upstream(message: string): string {
    const safe = this.#apiKey ? message.replaceAll(this.#apiKey, '[redacted]') : message;
    return safe.length > maxUpstreamMessageLength
      ? `${safe.slice(0, maxUpstreamMessageLength)}…`
      : safe;
  }
}

function toWireMessage(message: ChatMessage): WireMessage {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length && {
          tool_calls: message.toolCalls.map((call) => ({
            id: call.id,
            function: { name: call.name, arguments: argumentsObject(call.arguments) },
          })),
        }),
      };
    case 'tool':
      // Ollama has no error flag on tool results; the model reads it from the text.
      return {
        role: 'tool',
        content: message.isError ? `Error: ${message.content}` : message.content,
        tool_name: message.name,
        tool_call_id: message.toolCallId,
      };
  }
}

/**
 * A call's arguments as the object Ollama wants back. Ollama rejects a request whose arguments
 * are not an object, so text that does not parse to one (a small model's broken JSON, which was
 * reported to it when the call failed) is sent as `{}`.
 */
function argumentsObject(text: string): object {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    // Falls through to `{}`.
  }
  return {};
}

/**
 * A call's arguments as JSON text. Ollama sends an object; a string (from a proxy or an odd
 * server) that holds JSON is passed through as is, and any other string is JSON-encoded, so the
 * text always parses and validation reports the wrong type instead of a parse failure.
 */
function argumentsText(value: unknown): string {
  if (value === undefined) return '{}';
  if (typeof value === 'string') {
    try {
      JSON.parse(value);
      return value;
    } catch {
      return JSON.stringify(value);
    }
  }
  return JSON.stringify(value);
}

/** The HTTP status of the package's `ResponseError` (a class it does not export). */
function responseStatus(error: unknown): number | undefined {
  if (!(error instanceof Error) || error.name !== 'ResponseError') return undefined;
  const status = (error as Error & { status_code?: unknown }).status_code;
  return typeof status === 'number' ? status : undefined;
}

/** The system error code under undici's `fetch failed`, such as ECONNREFUSED. */
function causeCode(error: Error): string | undefined {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Seconds from a `retry-after` header (delta seconds or an HTTP date), if there is one. */
function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
