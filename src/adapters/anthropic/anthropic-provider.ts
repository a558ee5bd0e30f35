/**
 * Chat through the Anthropic Messages API with the official `@anthropic-ai/sdk`.
 */
import Anthropic, { type ClientOptions } from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageDeltaUsage,
  MessageParam,
  Tool,
  Usage as AnthropicUsage,
} from '@anthropic-ai/sdk/resources/messages';
import { randomUUID } from 'node:crypto';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import type {
  ChatMessage,
  ChatProvider,
  ChatRequest,
  ProviderEvent,
  ProviderFinishReason,
} from '../provider.ts';

/** Anthropic requires `max_tokens`; this is sent when the request names none. */
export const defaultMaxTokens = 4096;
const maxUpstreamMessageLength = 500;
/** The key under which tool-call arguments that are not a JSON object are sent back. */
export const rawArgumentsKey = '__raw_arguments';

export interface AnthropicChatProviderOptions {
  /** Hearth's provider id, used in error messages. */
  id: string;
  /** Defaults to `https://api.anthropic.com`; ANTHROPIC_BASE_URL in the environment is ignored. */
  baseURL?: string;
  apiKey: string;
  /** Milliseconds to wait for the response headers of one attempt (one retry may follow). */
  timeoutMs: number;
  /** A fetch to use instead of the global one. */
  fetch?: ClientOptions['fetch'];
}

/**
 * A ChatProvider over `POST /v1/messages` with `stream: true`.
 *
 * Request: system messages are joined (blank line between) into the top-level `system`;
 * assistant tool calls become `tool_use` blocks and tool results `tool_result` blocks in a user
 * message, consecutive ones merged into one user message (results first, as the API requires);
 * empty text is left out; `max_tokens` defaults to {@link defaultMaxTokens}.
 *
 * Events: `text` per non-empty text delta; one `tool_call` per tool_use block once its
 * `content_block_stop` arrives (arguments: the concatenated `partial_json`, `{}` when empty);
 * `usage` at message_start and at each message_delta, as totals (input = input + cache tokens,
 * output = the latest running `output_tokens`); one `finish` after the stream ends. Pings,
 * thinking and server-tool blocks are ignored. A stream without a stop reason fails as
 * `provider_error`.
 */
export class AnthropicChatProvider implements ChatProvider {
  readonly id: string;
  readonly #client: Anthropic;
  readonly #apiKey: string;
  readonly #timeoutMs: number;

  constructor(options: AnthropicChatProviderOptions) {
    this.id = options.id;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs;
    this.#client = new Anthropic({
      // An explicit key keeps the SDK from reading ANTHROPIC_API_KEY/AUTH_TOKEN or profiles.
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? 'https://api.anthropic.com',
      timeout: options.timeoutMs,
      maxRetries: 1,
      // The SDK logs to the console (and ANTHROPIC_LOG=debug would dump requests); Hearth
      // reports failures itself, as HearthErrors.
      logLevel: 'off',
      openTelemetry: false,
      ...(options.fetch && { fetch: options.fetch }),
    });
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderEvent> {
    const body = toParams(request);
    const toolBlocks = new Map<number, { id: string; name: string; given: string; json: string }>();
    const input = { base: 0, cacheWrite: 0, cacheRead: 0 };
    let outputTokens = 0;
    const usage = (): ProviderEvent => ({
      type: 'usage',
      usage: { inputTokens: input.base + input.cacheWrite + input.cacheRead, outputTokens },
    });
    let finish: ProviderFinishReason | undefined;
    try {
      const events = await this.#client.messages.create(body, { signal });
      for await (const event of events) {
        switch (event.type) {
          case 'message_start': {
            // Proxies in front of the API may leave usage out, whatever the SDK's types say.
            const start = event.message.usage as AnthropicUsage | undefined;
            if (!start) break;
            readInput(input, start);
            outputTokens = start.output_tokens ?? outputTokens;
            yield usage();
            break;
          }
          case 'content_block_start': {
            const block = event.content_block;
            if (block.type === 'tool_use') {
              const id = block.id || `toolu_hearth_${randomUUID()}`;
              // The input arrives as input_json_delta fragments; `input` is `{}` until then.
              const given = isNonEmptyObject(block.input) ? JSON.stringify(block.input) : '';
              toolBlocks.set(event.index, { id, name: block.name, given, json: '' });
            } else if (block.type === 'text' && block.text !== '') {
              yield { type: 'text', text: block.text };
            }
            break;
          }
          case 'content_block_delta':
            if (event.delta.type === 'text_delta' && event.delta.text !== '') {
              yield { type: 'text', text: event.delta.text };
            } else if (event.delta.type === 'input_json_delta') {
              const block = toolBlocks.get(event.index);
              if (block) block.json += event.delta.partial_json;
            }
            break;
          case 'content_block_stop': {
            const block = toolBlocks.get(event.index);
            if (!block) break;
            toolBlocks.delete(event.index);
            const args = block.json.trim() === '' ? block.given || '{}' : block.json;
            yield { type: 'tool_call', call: { id: block.id, name: block.name, arguments: args } };
            break;
          }
          case 'message_delta':
            if (event.delta.stop_reason) finish = mapStopReason(event.delta.stop_reason);
            if (!(event.usage as MessageDeltaUsage | undefined)) break;
            readInput(input, event.usage);
            // A running total, not an increment: replace, never add.
            outputTokens = event.usage.output_tokens ?? outputTokens;
            yield usage();
            break;
          default:
            // message_stop, and event types newer than this adapter.
            break;
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
    if (error instanceof Anthropic.APIConnectionTimeoutError) {
      return make(
        ErrorCode.providerUnavailable,
        `${who} did not answer within ${this.#timeoutMs} ms.`,
      );
    }
    if (error instanceof Anthropic.APIConnectionError) {
      return make(
        ErrorCode.providerUnavailable,
        `${who} could not be reached: ${this.#upstream(error.message)}`,
      );
    }
    if (error instanceof Anthropic.APIError) {
      const status = error.status as number | undefined;
      // The SDK's own message is "<status> <the whole JSON body>"; the body's message reads better.
      const upstream = this.#upstream(error.apiMessage ?? error.message);
      // Auth errors can echo part of the key, so their upstream message is not repeated.
      const authType = error.type === 'authentication_error' || error.type === 'permission_error';
      if (status === 401 || status === 403 || authType) {
        const http = status === undefined ? '' : ` (HTTP ${status})`;
        return make(
          ErrorCode.providerAuth,
          `${who} rejected its credentials${http}; check its API key.`,
        );
      }
      if (status === 429 || error.type === 'rate_limit_error') {
        const wait = retryAfterSeconds(error.headers as Headers | undefined);
        const hint = wait === undefined ? '' : ` Retry after ${wait} s.`;
        return make(
          ErrorCode.providerRateLimited,
          `${who} is rate limiting requests${status === 429 ? ' (HTTP 429)' : ''}.${hint}`,
        );
      }
      if (status === undefined) {
        // An `event: error` in the middle of a 200 stream, typed like the HTTP errors.
        const transient = error.type === 'overloaded_error' || error.type === 'api_error';
        return make(
          transient ? ErrorCode.providerUnavailable : ErrorCode.providerError,
          `${who} failed mid-reply: ${upstream}`,
        );
      }
      // 529 is Anthropic's "overloaded"; like every 5xx it is worth trying elsewhere.
      const code = status >= 500 ? ErrorCode.providerUnavailable : ErrorCode.providerError;
      return make(code, `${who} answered HTTP ${status}: ${upstream}`);
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
    safe = safe.replace(/\bsk-ant-[\w*-]{4,}/g, 'sk-ant-[redacted]');
    return safe.length > maxUpstreamMessageLength
      ? `${safe.slice(0, maxUpstreamMessageLength)}…`
      : safe;
  }
}

function isNonEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

/** Keeps the input-side counts a usage object reports (message_delta may report none). */
function readInput(
  input: { base: number; cacheWrite: number; cacheRead: number },
  usage: AnthropicUsage | MessageDeltaUsage,
): void {
  input.base = usage.input_tokens ?? input.base;
  input.cacheWrite = usage.cache_creation_input_tokens ?? input.cacheWrite;
  input.cacheRead = usage.cache_read_input_tokens ?? input.cacheRead;
}

/** The Messages API request for `request`. */
export function toParams(request: ChatRequest): MessageCreateParamsStreaming {
  const system = request.messages
    .flatMap((message) => (message.role === 'system' && message.content ? [message.content] : []))
    .join('\n\n');
  const messages: MessageParam[] = [];
  for (const message of request.messages) {
    if (message.role === 'system') continue;
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = toBlocks(message);
    if (blocks.length === 0) continue;
    const last = messages.at(-1);
    if (last?.role !== role || !Array.isArray(last.content)) {
      messages.push({ role, content: blocks });
    } else if (message.role === 'tool') {
      // tool_result blocks must open the user message that follows the tool_use.
      const firstOther = last.content.findIndex((block) => block.type !== 'tool_result');
      last.content.splice(firstOther === -1 ? last.content.length : firstOther, 0, ...blocks);
    } else {
      last.content.push(...blocks);
    }
  }
  const tools = (request.tools ?? []).map((tool): Tool => ({
    name: tool.name,
    description: tool.description,
    input_schema: tool.inputSchema as Tool.InputSchema,
  }));
  return {
    model: request.model,
    max_tokens: request.maxTokens ?? defaultMaxTokens,
    messages,
    stream: true,
    ...(system !== '' && { system }),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(tools.length > 0 && { tools }),
  };
}

function toBlocks(message: Exclude<ChatMessage, { role: 'system' }>): ContentBlockParam[] {
  if (message.role === 'tool') {
    return [
      {
        type: 'tool_result',
        tool_use_id: message.toolCallId,
        ...(message.content !== '' && { content: message.content }),
        ...(message.isError !== undefined && { is_error: message.isError }),
      },
    ];
  }
  const blocks: ContentBlockParam[] = [];
  if (message.content !== '') blocks.push({ type: 'text', text: message.content });
  if (message.role === 'assistant') {
    for (const call of message.toolCalls ?? []) {
      blocks.push({
        type: 'tool_use',
        id: call.id,
        name: call.name,
        input: toInput(call.arguments),
      });
    }
  }
  return blocks;
}

/**
 * The `input` object for a past tool call. Anthropic only accepts a JSON object, so empty
 * arguments become `{}`, and anything else that is not an object (malformed JSON from the
 * model, an array, a bare value) is sent as `{"__raw_arguments": "<the text>"}`: the request
 * stays valid and the model still sees what it actually sent, which the tool result (most
 * likely an "invalid arguments" error) refers to. `{}` alone would misreport the call.
 */
export function toInput(args: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // Falls through to the wrapped text.
  }
  return { [rawArgumentsKey]: args };
}

/**
 * Anthropic's stop reasons in Hearth's words. `pause_turn` (a server tool paused a long turn)
 * has no Hearth counterpart and this adapter runs no server tools, so it ends the turn as
 * `stop`; `model_context_window_exceeded` is a `length`; unknown future reasons are `stop`.
 */
export function mapStopReason(reason: string): ProviderFinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn.
      return 'stop';
  }
}

/** Seconds from `retry-after` (seconds or an HTTP date) or else `retry-after-ms`, if present. */
function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (value) {
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  }
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  return Number.isFinite(ms) ? Math.max(0, Math.ceil(ms / 1000)) : undefined;
}
