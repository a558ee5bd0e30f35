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

/**
 * A streamed reply: first delta `{role:"assistant", content:""}`, one chunk per entry of
 * `chunks`, a `delta:{}` chunk carrying `finishReason`, the usage chunk, then `data: [DONE]`.
 */
export interface TextReply {
  type: 'text';
  chunks: readonly string[];
  /** Default `stop`. */
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
  /** Stream the chunks as `delta.refusal` instead of `delta.content`. */
  asRefusal?: boolean;
  /**
   * Stop right after the content chunks, with no finish chunk, usage or `[DONE]`: `end` closes
   * the response cleanly, `reset` destroys the socket (a dropped connection).
   */
  cut?: 'end' | 'reset';
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

export type ScriptedReply = TextReply | MidStreamErrorReply | HttpErrorReply | HangReply;

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
  reply: TextReply | MidStreamErrorReply,
  body: any,
  id: string,
): Array<object | string> {
  const created = Math.floor(Date.now() / 1000);
  const usageAsked = body.stream_options?.include_usage === true;
  const text = reply.type === 'text' ? reply : undefined;
  const style = text?.usageStyle ?? 'openai';
  const envelope = { id, object: 'chat.completion.chunk', created, model: body.model };
  // OpenAI sends `usage: null` on every chunk but the usage chunk once usage was asked for.
  const chunk = (delta: object, finishReason: string | null, extra: object = {}): object => ({
    ...envelope,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    ...(usageAsked && style !== 'missing' && { usage: null }),
    ...extra,
  });
  const first = text?.asRefusal
    ? { role: 'assistant', content: null, refusal: '' }
    : { role: 'assistant', content: '' };
  const field = text?.asRefusal ? 'refusal' : 'content';
  const events: Array<object | string> = [
    chunk(first, null),
    ...reply.chunks.map((piece) => chunk({ [field]: piece }, null)),
  ];
  if (reply.type === 'mid-stream-error') return [...events, { error: reply.error }];
  if (reply.cut) return events;

  const words = (message: any) =>
    String(message?.content ?? '')
      .split(/\s+/)
      .filter(Boolean);
  const counts = reply.usage ?? {
    prompt_tokens: body.messages.flatMap(words).length,
    completion_tokens: reply.chunks.length,
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
  events.push(
    chunk({}, reply.finishReason ?? 'stop', style === 'unasked' ? { ...timings, usage } : timings),
  );
  if (usageAsked && (style === 'openai' || style === 'choices-null')) {
    events.push({ ...envelope, choices: style === 'openai' ? [] : null, usage, ...timings });
  }
  events.push('[DONE]');
  return events;
}
