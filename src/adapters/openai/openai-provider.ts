/**
 * Chat through the OpenAI Chat Completions API with the official SDK; also serves the
 * OpenAI-compatible local servers (llama.cpp, vLLM, LM Studio) given their `baseURL`.
 */
import OpenAI, { type ClientOptions } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import type {
  ChatProvider,
  ChatRequest,
  ProviderEvent,
  ProviderFinishReason,
} from '../provider.ts';

/** Local servers ignore the key but the SDK wants one to build its `authorization` header. */
const placeholderKey = 'not-needed';
const maxUpstreamMessageLength = 500;

export interface OpenAIChatProviderOptions {
  /** Hearth's provider id, used in error messages. */
  id: string;
  /** Defaults to `https://api.openai.com/v1`; OPENAI_BASE_URL in the environment is ignored. */
  baseURL?: string;
  /** Undefined for keyless local servers. */
  apiKey: string | undefined;
  /** Milliseconds to wait for the response headers of one attempt (one retry may follow). */
  timeoutMs: number;
  /**
   * Which request field carries `ChatRequest.maxTokens`. OpenAI deprecated `max_tokens` for
   * `max_completion_tokens` (the default), but many local servers only know `max_tokens`.
   */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
  /** A fetch to use instead of the global one. */
  fetch?: ClientOptions['fetch'];
}

/**
 * A ChatProvider over `POST /chat/completions` with `stream: true`.
 *
 * Events: `text` per non-empty content delta (refusal deltas are yielded as text too, so the
 * user sees why the model declined), `usage` whenever a chunk carries usage (asked for with
 * `stream_options.include_usage`, tolerated when missing or unasked), and one `finish` once the
 * stream has ended. A stream that ends without a finish reason fails as `provider_error`.
 */
export class OpenAIChatProvider implements ChatProvider {
  readonly id: string;
  readonly #client: OpenAI;
  readonly #apiKey: string | undefined;
  readonly #maxTokensField: 'max_completion_tokens' | 'max_tokens';
  readonly #timeoutMs: number;

  constructor(options: OpenAIChatProviderOptions) {
    this.id = options.id;
    this.#apiKey = options.apiKey;
    this.#maxTokensField = options.maxTokensField ?? 'max_completion_tokens';
    this.#timeoutMs = options.timeoutMs;
    this.#client = new OpenAI({
      apiKey: options.apiKey ?? placeholderKey,
      // Explicit values so OPENAI_* variables in the environment never redirect or tag requests.
      baseURL: options.baseURL ?? 'https://api.openai.com/v1',
      organization: null,
      project: null,
      timeout: options.timeoutMs,
      maxRetries: 1,
      ...(options.fetch && { fetch: options.fetch }),
    });
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderEvent> {
    const body: ChatCompletionCreateParamsStreaming = {
      model: request.model,
      messages: request.messages.map((message) => ({
        role: message.role,
        content: message.content,
      })),
      stream: true,
      stream_options: { include_usage: true },
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(request.maxTokens !== undefined && { [this.#maxTokensField]: request.maxTokens }),
    };
    let finish: ProviderFinishReason | undefined;
    try {
      const chunks = await this.#client.chat.completions.create(body, { signal });
      for await (const chunk of chunks) {
        // Local servers send `choices: null` on the usage chunk, against the SDK's types.
        for (const choice of (chunk.choices as ChatCompletionChunk.Choice[] | null) ?? []) {
          if (choice.index !== 0) continue;
          const text = (choice.delta?.content ?? '') + (choice.delta?.refusal ?? '');
          if (text !== '') yield { type: 'text', text };
          if (choice.finish_reason) finish = mapFinishReason(choice.finish_reason);
        }
        if (chunk.usage) {
          yield {
            type: 'usage',
            usage: {
              inputTokens: chunk.usage.prompt_tokens ?? 0,
              outputTokens: chunk.usage.completion_tokens ?? 0,
            },
          };
        }
      }
    } catch (error) {
      signal.throwIfAborted();
      throw this.#toHearthError(error);
    }
    // The SDK ends an aborted stream quietly instead of throwing.
    signal.throwIfAborted();
    if (finish === undefined) {
      throw new HearthError(
        ErrorCode.providerError,
        `Provider "${this.id}" ended its reply before finishing it.`,
      );
    }
    yield { type: 'finish', reason: finish };
  }

  #toHearthError(error: unknown): HearthError {
    if (error instanceof HearthError) return error;
    const who = `Provider "${this.id}"`;
    const make = (code: ErrorCode, message: string) =>
      new HearthError(code, message, { cause: error });
    if (error instanceof OpenAI.APIConnectionTimeoutError) {
      return make(
        ErrorCode.providerUnavailable,
        `${who} did not answer within ${this.#timeoutMs} ms.`,
      );
    }
    if (error instanceof OpenAI.APIConnectionError) {
      return make(
        ErrorCode.providerUnavailable,
        `${who} could not be reached: ${this.#upstream(error.message)}`,
      );
    }
    if (error instanceof OpenAI.APIError) {
      const status = error.status as number | undefined;
      if (status === undefined) {
        return make(
          ErrorCode.providerError,
          `${who} failed mid-reply: ${this.#upstream(error.message)}`,
        );
      }
      // Auth errors can echo part of the key, so their upstream message is not repeated.
      if (status === 401 || status === 403) {
        return make(
          ErrorCode.providerAuth,
          `${who} rejected its credentials (HTTP ${status}); check its API key.`,
        );
      }
      if (status === 429) {
        const wait = retryAfterSeconds(error.headers as Headers | undefined);
        const hint = wait === undefined ? '' : ` Retry after ${wait} s.`;
        return make(
          ErrorCode.providerRateLimited,
          `${who} is rate limiting requests (HTTP 429).${hint}`,
        );
      }
      const code = status >= 500 ? ErrorCode.providerUnavailable : ErrorCode.providerError;
      return make(code, `${who} answered HTTP ${status}: ${this.#upstream(error.message)}`);
    }
    // undici reports a connection dropped mid-body as TypeError('terminated').
    if (error instanceof TypeError) {
      return make(
        ErrorCode.providerUnavailable,
        `${who} dropped the connection: ${this.#upstream(error.message)}`,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return make(ErrorCode.providerError, `${who} failed: ${this.#upstream(message)}`);
  }

  /** An upstream message made safe to show: no key, no long dumps. */
  #upstream(message: string): string {
    let safe = message.replace(/^\d{3} /, '');
    if (this.#apiKey) safe = safe.replaceAll(this.#apiKey, '[redacted]');
    safe = safe.replace(/\bsk-[\w*-]{6,}/g, 'sk-[redacted]');
    return safe.length > maxUpstreamMessageLength
      ? `${safe.slice(0, maxUpstreamMessageLength)}…`
      : safe;
  }
}

function mapFinishReason(reason: string): ProviderFinishReason {
  switch (reason) {
    case 'length':
    case 'tool_calls':
    case 'content_filter':
      return reason;
    case 'function_call':
      return 'tool_calls';
    default:
      // `stop`, and whatever else a local server invents for a natural end.
      return 'stop';
  }
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
