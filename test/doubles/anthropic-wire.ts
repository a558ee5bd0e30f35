/**
 * The scripted replies of the Anthropic double and the exact wire payloads they become
 * (see /work/shared/reference/provider-streams.md and the `@anthropic-ai/sdk` types).
 */

/** The `error` object of Anthropic's error bodies and mid-stream `event: error` payloads. */
export interface AnthropicErrorObject {
  type: string;
  message: string;
}

/** A text block, streamed as one `text_delta` per chunk. */
export interface TextBlockScript {
  type: 'text';
  chunks: readonly string[];
}

/**
 * A tool_use block: `content_block_start` with `input: {}`, then one `input_json_delta` per
 * fragment (Anthropic opens with an empty fragment; `toolUse()` does too), concatenating to the
 * raw input JSON text, which may be malformed.
 */
export interface ToolUseBlockScript {
  type: 'tool_use';
  id: string;
  name: string;
  fragments: readonly string[];
}

export type BlockScript = TextBlockScript | ToolUseBlockScript;

/** A streamed message: message_start, its blocks, message_delta(s), message_stop. */
export interface MessageReply {
  type: 'message';
  blocks: readonly BlockScript[];
  /** Default `end_turn`, or `tool_use` when a block is a tool_use. */
  stopReason?: string;
  /** message_start's `input_tokens`. Default: one per word of the system prompt and messages. */
  inputTokens?: number;
  /**
   * The running `output_tokens` totals, one `message_delta` each (only the last carries the
   * stop reason). Default: one total, the number of deltas.
   */
  outputTokens?: readonly number[];
  /** Pause before every event after the first (a slow stream). */
  delayMs?: number;
  /** `ping` events: after message_start and between blocks (default), everywhere, or none. */
  pings?: 'some' | 'everywhere' | 'none';
  /** Stop after the blocks, with no message_delta: `end` ends cleanly, `reset` drops the socket. */
  cut?: 'end' | 'reset';
}

/** Streams `blocks` (stopping each), then `event: error` with `error`, and ends the response. */
export interface MidStreamErrorReply {
  type: 'mid-stream-error';
  blocks: readonly BlockScript[];
  error: AnthropicErrorObject;
  delayMs?: number;
}

/** Answers `status` with `{"type":"error","error":...}` as JSON, plus any extra `headers`. */
export interface HttpErrorReply {
  type: 'http-error';
  status: number;
  error: AnthropicErrorObject;
  headers?: Record<string, string>;
}

/** Never answers; the request stays open until the client gives up. */
export interface HangReply {
  type: 'hang';
}

export type ScriptedReply = MessageReply | MidStreamErrorReply | HttpErrorReply | HangReply;

/** A wire event: its SSE name (equal to `data.type`) comes from the payload. */
export type WireEvent = { type: string } & Record<string, unknown>;

const errorsByStatus = {
  400: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  403: { type: 'permission_error', message: 'Your API key does not have permission.' },
  404: { type: 'not_found_error', message: 'model: claude-nope' },
  429: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your limit.' },
  500: { type: 'api_error', message: 'Internal server error' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
} as const;

/**
 * A ready-made HTTP error reply with the body Anthropic sends for `status`. Pass `retry-after`
 * for 429/529 as the API does, with a small `retry-after-ms` (which the SDK prefers) so that
 * its retry stays fast.
 */
export function httpError(
  status: keyof typeof errorsByStatus,
  headers?: Record<string, string>,
): HttpErrorReply {
  return {
    type: 'http-error',
    status,
    error: { ...errorsByStatus[status] },
    ...(headers && { headers }),
  };
}

export const overloaded: AnthropicErrorObject = { type: 'overloaded_error', message: 'Overloaded' };

/** A text block from its chunks. */
export function text(...chunks: string[]): TextBlockScript {
  return { type: 'text', chunks };
}

/** A tool_use block whose `json` arrives as an empty fragment then `pieces` fragments. */
export function toolUse(id: string, name: string, json: string, pieces = 3): ToolUseBlockScript {
  const size = Math.max(1, Math.ceil(json.length / pieces));
  const fragments = [''];
  for (let at = 0; at < json.length; at += size) fragments.push(json.slice(at, at + size));
  return { type: 'tool_use', id, name, fragments };
}

/** The text of a message's content, string or blocks. */
function contentText(content: any): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((block: any) => (block?.type === 'text' ? String(block.text) : '')).join(' ');
}

/** `Echo: <last user text>`, split after each word so it arrives as several deltas. */
export function echoReply(body: any): MessageReply {
  const users = body.messages.filter((message: any) => message?.role === 'user');
  const echo = `Echo: ${contentText(users.at(-1)?.content)}`;
  return { type: 'message', blocks: [text(...(echo.match(/\S+\s*|\s+/g) ?? [echo]))] };
}

/** The payloads of a streamed reply to `body`, in wire order, pings included. */
export function replyEvents(
  reply: MessageReply | MidStreamErrorReply,
  body: any,
  id: string,
): WireEvent[] {
  const message = reply.type === 'message' ? reply : undefined;
  const pings = message?.pings ?? 'some';
  const words = (value: unknown) => contentText(value).split(/\s+/).filter(Boolean).length;
  const inputTokens =
    message?.inputTokens ??
    words(body.system) + body.messages.reduce((sum: number, m: any) => sum + words(m.content), 0);
  const ping = { type: 'ping' };
  const events: WireEvent[] = [
    {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [],
        container: null,
        diagnostics: null,
        stop_reason: null,
        stop_sequence: null,
        stop_details: null,
        usage: {
          input_tokens: inputTokens,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
          output_tokens: 1,
          service_tier: 'standard',
        },
      },
    },
  ];
  if (pings !== 'none') events.push(ping);
  let deltas = 0;
  for (const [index, block] of reply.blocks.entries()) {
    const start =
      block.type === 'text'
        ? { type: 'text', text: '', citations: null }
        : {
            type: 'tool_use',
            id: block.id,
            name: block.name,
            input: {},
            caller: { type: 'direct' },
          };
    events.push({ type: 'content_block_start', index, content_block: start });
    const pieces =
      block.type === 'text'
        ? block.chunks.map((piece) => ({ type: 'text_delta', text: piece }))
        : block.fragments.map((piece) => ({ type: 'input_json_delta', partial_json: piece }));
    for (const delta of pieces) {
      events.push({ type: 'content_block_delta', index, delta });
      if (pings === 'everywhere') events.push(ping);
      deltas += 1;
    }
    events.push({ type: 'content_block_stop', index });
    if (pings === 'some') events.push(ping);
  }
  if (reply.type === 'mid-stream-error') return [...events, { type: 'error', error: reply.error }];
  if (reply.cut) return events;

  const hasTool = reply.blocks.some((block) => block.type === 'tool_use');
  const stopReason = reply.stopReason ?? (hasTool ? 'tool_use' : 'end_turn');
  const totals = reply.outputTokens ?? [Math.max(1, deltas)];
  for (const [at, outputTokens] of totals.entries()) {
    const last = at === totals.length - 1;
    events.push({
      type: 'message_delta',
      delta: {
        stop_reason: last ? stopReason : null,
        stop_sequence: null,
        stop_details: last && stopReason === 'refusal' ? refusalDetails : null,
        container: null,
      },
      usage: { output_tokens: outputTokens },
    });
  }
  events.push({ type: 'message_stop' });
  return events;
}

const refusalDetails = { type: 'refusal', category: null, explanation: null };

/**
 * The 400 message Anthropic gives for a request this double can check, or undefined when it
 * looks valid: model, max_tokens, messages, stream, and every tool_use answered by tool_result
 * blocks at the start of the very next (user) message.
 */
export function invalidRequest(body: any): string | undefined {
  if (typeof body?.model !== 'string') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Field required';
  if (body.stream !== true) return 'This double only streams: send stream: true.';
  const blocks = (m: any): any[] => (Array.isArray(m?.content) ? m.content : []);
  for (const [at, message] of body.messages.entries()) {
    if (message?.role !== 'user' && message?.role !== 'assistant') {
      return `messages.${at}.role: Input should be 'user' or 'assistant'`;
    }
    const ids = blocks(message).flatMap((b) => (b?.type === 'tool_use' ? [b.id] : []));
    if (ids.length > 0 && message.role !== 'assistant') {
      return `messages.${at}: tool_use blocks can only be in assistant messages`;
    }
    if (ids.length === 0) continue;
    const next = body.messages[at + 1];
    const leading: any[] = [];
    for (const block of blocks(next)) {
      if (block?.type !== 'tool_result') break;
      leading.push(block.tool_use_id);
    }
    const missing = ids.filter((id: string) => !leading.includes(id));
    if (next?.role !== 'user' || missing.length > 0) {
      return (
        `messages.${at + 1}: \`tool_use\` ids were found without \`tool_result\` blocks ` +
        `immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a ` +
        'corresponding `tool_result` block in the next message.'
      );
    }
  }
  return undefined;
}
