/**
 * The scripted replies of the OpenAI double and the exact wire payloads they become
 * (see /work/shared/reference/provider-streams.md).
 */

/** The `error` object of OpenAI's error bodies and mid-stream error events. */
export interface OpenAIErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** What streamed replies (text or tool calls) share: how they end, pace and report usage. */
export interface StreamOptions {
  /** Default `stop` for text, `tool_calls` for tool calls. */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';
  /** Pause before every event after the first (a slow stream). */
  delayMs?: number;
  /** Default: one prompt token per word of every message, one completion token per chunk. */
  usage?: { prompt_tokens: number; completion_tokens: number };
  /**
   * How usage is reported. `openai` (default): a `choices:[]` chunk only when
   * `stream_options.include_usage` was asked; `missing`: never; `choices-null`: as `openai` but
   * with `choices:null`; `unasked`: on the finish chunk, whether asked or not.
   */
  usageStyle?: 'openai' | 'missing' | 'choices-null' | 'unasked';
  /** Add llama.cpp's `timings` object to the finish and usage chunks. */
  timings?: boolean;
  /**
   * Stop right after the content (or tool call) chunks, with no finish chunk, usage or `[DONE]`:
   * `end` closes the response cleanly, `reset` destroys the socket (a dropped connection).
   */
  cut?: 'end' | 'reset';
}

/**
 * A streamed reply: first delta `{role:"assistant", content:""}`, one chunk per entry of
 * `chunks`, a `delta:{}` chunk carrying `finishReason`, the usage chunk, then `data: [DONE]`.
 */
export interface TextReply extends StreamOptions {
  type: 'text';
  chunks: readonly string[];
  /** Stream the chunks as `delta.refusal` instead of `delta.content`. */
  asRefusal?: boolean;
}

/** One call of a ToolCallsReply; `arguments` is sent as it is, broken JSON included. */
export interface ScriptedToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * A streamed reply that calls tools, as OpenAI streams it: content chunks if there is `text`
 * (after a `{role:"assistant", content:""}` delta); then for each call a first chunk
 * `tool_calls:[{index, id, type:"function", function:{name, arguments:""}}]` followed by its
 * arguments in fragments `tool_calls:[{index, function:{arguments}}]`; a `delta:{}` chunk with
 * finish_reason `tool_calls`; the usage chunk; `[DONE]`. Without text, the first call chunk
 * carries `role:"assistant", content:null`, as OpenAI sends it. The other fields script the
 * local-server variants.
 */
export interface ToolCallsReply extends StreamOptions {
  type: 'tool-calls';
  /** Content chunks streamed before the calls. */
  text?: readonly string[];
  calls: readonly ScriptedToolCall[];
  /** How many fragments each call's arguments are split into (default 3; fewer if shorter). */
  fragments?: number;
  /** Alternate the chunks of parallel calls (head 0, head 1, fragment 0, fragment 1, ...). */
  interleave?: boolean;
  /** Send each call in one chunk, name and whole arguments together (as many local servers do). */
  whole?: boolean;
  /** Leave `id` out of the call chunks. */
  omitIds?: boolean;
  /** Leave `index` out of the call chunks. */
  omitIndex?: boolean;
  /** Put the finish reason on the last call chunk instead of a separate `delta:{}` chunk. */
  finishOnLastChunk?: boolean;
}

/** Streams `chunks` as a text reply, then `data: {"error": ...}`, and ends the response. */
export interface MidStreamErrorReply {
  type: 'mid-stream-error';
  chunks: readonly string[];
  error: OpenAIErrorObject;
  delayMs?: number;
}

/** Answers `status` with `{"error": ...}` as JSON, plus any extra `headers` (e.g. retry-after). */
export interface HttpErrorReply {
  type: 'http-error';
  status: number;
  error: OpenAIErrorObject;
  headers?: Record<string, string>;
}

/** Never answers; the request stays open until the client gives up (to exercise timeouts). */
export interface HangReply {
  type: 'hang';
}

export type ScriptedReply =
  TextReply | ToolCallsReply | MidStreamErrorReply | HttpErrorReply | HangReply;

/** Builds an OpenAI error object. */
export function openAIError(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): OpenAIErrorObject {
  return { message, type, param, code };
}

const errorsByStatus = {
  400: openAIError("Invalid value for 'model'.", 'invalid_request_error', null, 'model'),
  401: openAIError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),
  429: openAIError('Rate limit reached for requests.', 'requests', 'rate_limit_exceeded'),
  500: openAIError('The server had an error while processing your request.', 'server_error'),
  503: openAIError('The engine is currently overloaded.', 'server_error'),
} as const;

/** A ready-made HTTP error reply with the body OpenAI sends for `status`. */
export function httpError(
  status: keyof typeof errorsByStatus,
  headers?: Record<string, string>,
): HttpErrorReply {
  return { type: 'http-error', status, error: errorsByStatus[status], ...(headers && { headers }) };
}

/** `Echo: <last user message>`, split after each word so it arrives as several chunks. */
export function echoReply(body: any): TextReply {
  const lastUser = [...body.messages].reverse().find((message: any) => message?.role === 'user');
  const text = `Echo: ${typeof lastUser?.content === 'string' ? lastUser.content : ''}`;
  return { type: 'text', chunks: text.match(/\S+\s*|\s+/g) ?? [text] };
}

/** The SSE payloads of a streamed reply to `body`, in wire order (`[DONE]` as a bare string). */
export function replyEvents(
  reply: TextReply | ToolCallsReply | MidStreamErrorReply,
  body: any,
  id: string,
): Array<object | string> {
  const created = Math.floor(Date.now() / 1000);
  const usageAsked = body.stream_options?.include_usage === true;
  const stream = reply.type === 'mid-stream-error' ? undefined : reply;
  const style = stream?.usageStyle ?? 'openai';
  const envelope = { id, object: 'chat.completion.chunk', created, model: body.model };
  // OpenAI sends `usage: null` on every chunk but the usage chunk once usage was asked for.
  const chunk = (delta: object, finishReason: string | null, extra: object = {}): object => ({
    ...envelope,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    ...(usageAsked && style !== 'missing' && { usage: null }),
    ...extra,
  });
  const deltas = reply.type === 'tool-calls' ? toolCallDeltas(reply) : textDeltas(reply);
  const finishReason =
    stream?.finishReason ?? (reply.type === 'tool-calls' ? 'tool_calls' : 'stop');
  const finishOnLast = reply.type === 'tool-calls' && reply.finishOnLastChunk === true;
  const events: Array<object | string> = deltas.map((delta, index) =>
    chunk(delta, finishOnLast && index === deltas.length - 1 ? finishReason : null),
  );
  if (reply.type === 'mid-stream-error') return [...events, { error: reply.error }];
  if (reply.cut) return events;

  const words = (message: any) =>
    String(message?.content ?? '')
      .split(/\s+/)
      .filter(Boolean);
  const counts = reply.usage ?? {
    prompt_tokens: body.messages.flatMap(words).length,
    completion_tokens: deltas.length - 1,
  };
  const usage = { ...counts, total_tokens: counts.prompt_tokens + counts.completion_tokens };
  const timings = reply.timings
    ? {
        timings: {
          prompt_n: counts.prompt_tokens,
          prompt_ms: 12.5,
          predicted_n: counts.completion_tokens,
          predicted_ms: 40.1,
          predicted_per_second: 24.9,
        },
      }
    : {};
  const finishExtra = style === 'unasked' ? { ...timings, usage } : timings;
  if (finishOnLast) Object.assign(events.at(-1) as object, finishExtra);
  else events.push(chunk({}, finishReason, finishExtra));
  if (usageAsked && (style === 'openai' || style === 'choices-null')) {
    events.push({ ...envelope, choices: style === 'openai' ? [] : null, usage, ...timings });
  }
  events.push('[DONE]');
  return events;
}

/** The deltas of a text (or mid-stream error) reply: the role delta, then one per chunk. */
function textDeltas(reply: TextReply | MidStreamErrorReply): object[] {
  const refusal = reply.type === 'text' && reply.asRefusal === true;
  const first = refusal
    ? { role: 'assistant', content: null, refusal: '' }
    : { role: 'assistant', content: '' };
  const field = refusal ? 'refusal' : 'content';
  return [first, ...reply.chunks.map((piece) => ({ [field]: piece }))];
}

/** The deltas of a tool calls reply: any text first, then the calls' heads and fragments. */
function toolCallDeltas(reply: ToolCallsReply): object[] {
  const text = reply.text ?? [];
  const textPart =
    text.length > 0
      ? [{ role: 'assistant', content: '' }, ...text.map((piece) => ({ content: piece }))]
      : [];
  const perCall = reply.calls.map((call, index): object[] => {
    const at = reply.omitIndex ? {} : { index };
    const head = {
      ...at,
      ...(!reply.omitIds && { id: call.id }),
      type: 'function',
      function: { name: call.name, arguments: reply.whole ? call.arguments : '' },
    };
    if (reply.whole) return [head];
    const fragments = splitText(call.arguments, reply.fragments ?? 3);
    return [head, ...fragments.map((piece) => ({ ...at, function: { arguments: piece } }))];
  });
  const ordered = reply.interleave ? roundRobin(perCall) : perCall.flat();
  const callPart: object[] = ordered.map((part) => ({ tool_calls: [part] }));
  const [firstCall, ...restCalls] = callPart;
  if (textPart.length === 0) {
    if (firstCall === undefined) return [{ role: 'assistant', content: '' }];
    return [{ role: 'assistant', content: null, ...firstCall }, ...restCalls];
  }
  return [...textPart, ...callPart];
}

/** `text` cut into at most `parts` pieces of near-equal length, never splitting a code point. */
function splitText(text: string, parts: number): string[] {
  const points = Array.from(text);
  const size = Math.max(1, Math.ceil(points.length / Math.max(1, parts)));
  const pieces: string[] = [];
  for (let at = 0; at < points.length; at += size)
    pieces.push(points.slice(at, at + size).join(''));
  return pieces;
}

/** The first item of every list, then the second of every list, and so on. */
function roundRobin<T>(lists: readonly (readonly T[])[]): T[] {
  const longest = Math.max(0, ...lists.map((list) => list.length));
  const out: T[] = [];
  for (let at = 0; at < longest; at += 1) {
    for (const list of lists) {
      const item = list[at];
      if (item !== undefined) out.push(item);
    }
  }
  return out;
}

/**
 * What OpenAI answers before looking at a request's body: 404 for another URL, 401 for a wrong
 * key (with the key masked, as OpenAI does, so tests can check Hearth never forwards it), or
 * undefined when the request may go on.
 */
export function openAIGate(
  request: {
    method?: string | undefined;
    url?: string | undefined;
    authorization?: string | undefined;
  },
  options: { path: string; apiKey?: string | undefined },
): { status: number; error: OpenAIErrorObject } | undefined {
  if (request.method !== 'POST' || request.url !== options.path) {
    const message = `Unknown request URL: ${request.method} ${request.url}`;
    return { status: 404, error: openAIError(message, 'invalid_request_error', 'unknown_url') };
  }
  if (options.apiKey !== undefined && request.authorization !== `Bearer ${options.apiKey}`) {
    const sent = (request.authorization ?? '').replace(/^Bearer /, '');
    const masked = `${sent.slice(0, 3)}${'*'.repeat(Math.max(0, sent.length - 7))}${sent.slice(-4)}`;
    const message = `Incorrect API key provided: ${masked}.`;
    return { status: 401, error: openAIError(message, 'invalid_request_error', 'invalid_api_key') };
  }
  return undefined;
}
