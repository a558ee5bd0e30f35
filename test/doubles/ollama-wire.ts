/**
 * The scripted replies of the Ollama double and the exact NDJSON lines they become, as Ollama's
 * Go server marshals them (see /work/shared/reference/provider-streams.md and Ollama's
 * api/types.go: field order, omitempty fields left out, `index` always present on tool calls).
 */

/** A tool call as the double sends it. `arguments` is normally an object; tests may send any value. */
export interface WireToolCall {
  /** Omitted from the wire when undefined (older Ollama versions send no ids). */
  id?: string;
  name: string;
  arguments: unknown;
}

/**
 * A streamed reply: one line per `thinking` entry (`content:""`), one per `chunks` entry, the
 * tool calls whole (`content:""`), then the `done:true` line with `done_reason` and metrics.
 */
export interface TextReply {
  type: 'text';
  chunks: readonly string[];
  /** Thinking text, streamed before the content in `message.thinking`. */
  thinking?: readonly string[];
  toolCalls?: readonly WireToolCall[];
  /** `one` (default): every call in a single line, as Ollama does; `each`: a line per call. */
  toolCallLines?: 'one' | 'each';
  /** Default `stop`. */
  doneReason?: string;
  /** Pause before every line after the first (a slow stream). */
  delayMs?: number;
  /** Default: one prompt token per word of every message, one eval token per line. */
  usage?: { prompt_eval_count: number; eval_count: number };
  /**
   * Stop before the `done` line: `end` closes the response cleanly, `reset` destroys the socket
   * (a dropped connection).
   */
  cut?: 'end' | 'reset';
}

/** Streams `chunks`, then `{"error":"..."}` as one more line under the same HTTP 200. */
export interface MidStreamErrorReply {
  type: 'mid-stream-error';
  chunks: readonly string[];
  error: string;
  delayMs?: number;
}

/** Answers `status` with `{"error":"..."}` (as gin's c.JSON writes it) plus any extra headers. */
export interface HttpErrorReply {
  type: 'http-error';
  status: number;
  error: string;
  headers?: Record<string, string>;
}

/** Never answers; the request stays open until the client gives up (to exercise timeouts). */
export interface HangReply {
  type: 'hang';
}

export type ScriptedReply = TextReply | MidStreamErrorReply | HttpErrorReply | HangReply;

const errorsByStatus = {
  400: 'invalid request',
  // Ollama itself has no auth; this is what a bearer-checking proxy in front of it says.
  401: 'unauthorized',
  403: 'forbidden',
  429: 'rate limit exceeded, retry later',
  500: 'llama runner process has terminated: exit status 2',
  503: 'server busy, please try again.  maximum pending requests exceeded',
} as const;

/** A ready-made HTTP error reply with the message Ollama (or a proxy before it) sends. */
export function httpError(
  status: keyof typeof errorsByStatus,
  headers?: Record<string, string>,
  error: string = errorsByStatus[status],
): HttpErrorReply {
  return { type: 'http-error', status, error, ...(headers && { headers }) };
}

/** What Ollama's ChatHandler answers (HTTP 404) for a model it does not have. */
export function modelNotFound(model: string): string {
  return `model '${model}' not found`;
}

/** `Echo: <last user message>`, split after each word so it arrives as several lines. */
export function echoReply(body: any): TextReply {
  const lastUser = [...body.messages].reverse().find((message: any) => message?.role === 'user');
  const text = `Echo: ${typeof lastUser?.content === 'string' ? lastUser.content : ''}`;
  return { type: 'text', chunks: text.match(/\S+\s*|\s+/g) ?? [text] };
}

/** The NDJSON objects of a streamed reply to `body`, in wire order. */
export function replyLines(reply: TextReply | MidStreamErrorReply, body: any): object[] {
  const line = (message: object, extra: object = {}): object => ({
    model: body.model,
    created_at: new Date().toISOString(),
    message: { role: 'assistant', content: '', ...message },
    done: false,
    ...extra,
  });
  const text = reply.type === 'text' ? reply : undefined;
  const lines: object[] = [
    ...(text?.thinking ?? []).map((thinking) => line({ thinking })),
    ...reply.chunks.map((content) => line({ content })),
  ];
  if (reply.type === 'mid-stream-error') return [...lines, { error: reply.error }];

  const calls = (text?.toolCalls ?? []).map((call, index) => ({
    ...(call.id !== undefined && { id: call.id }),
    function: { index, name: call.name, arguments: call.arguments },
  }));
  if (calls.length > 0) {
    const groups = reply.toolCallLines === 'each' ? calls.map((call) => [call]) : [calls];
    lines.push(...groups.map((group) => line({ tool_calls: group })));
  }
  if (reply.cut) return lines;

  const words = (message: any) =>
    String(message?.content ?? '')
      .split(/\s+/)
      .filter(Boolean);
  const counts = reply.usage ?? {
    prompt_eval_count: body.messages.flatMap(words).length,
    eval_count: lines.length,
  };
  lines.push(
    line(
      {},
      {
        done: true,
        done_reason: reply.doneReason ?? 'stop',
        total_duration: 412_345_678,
        load_duration: 21_456_789,
        prompt_eval_count: counts.prompt_eval_count,
        prompt_eval_duration: 35_123_456,
        eval_count: counts.eval_count,
        eval_duration: 301_987_654,
      },
    ),
  );
  return lines;
}

/** The single JSON object Ollama answers with `stream:false`: the lines folded into one. */
export function foldLines(lines: readonly object[]): object {
  const all = lines as any[];
  const last = all.at(-1);
  if (!last || 'error' in last) return last ?? {};
  const calls = all.flatMap((entry) => entry.message?.tool_calls ?? []);
  const message = {
    role: 'assistant',
    content: all.map((entry) => entry.message?.content ?? '').join(''),
    ...(all.some((entry) => entry.message?.thinking) && {
      thinking: all.map((entry) => entry.message?.thinking ?? '').join(''),
    }),
    ...(calls.length > 0 && { tool_calls: calls }),
  };
  return { ...last, message };
}

/** The `/api/tags` entry for a model name, with made-up but well-formed details. */
export function tagEntry(name: string, index: number): object {
  const digest = `${index + 1}`.repeat(64).slice(0, 64);
  return {
    name,
    model: name,
    modified_at: '2026-05-01T09:30:00.123456789+02:00',
    size: 2_019_393_189 + index,
    digest,
    details: {
      parent_model: '',
      format: 'gguf',
      family: 'llama',
      families: ['llama'],
      parameter_size: '3.2B',
      quantization_level: 'Q4_K_M',
    },
  };
}
