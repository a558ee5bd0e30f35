/**
 * A local stand-in for the OpenAI Images API (`POST /v1/images/generations`) on 127.0.0.1, so
 * tests drive the real `openai` SDK over a real socket. With `stream: true` it answers SSE the
 * way OpenAI does (see /work/shared/reference/provider-streams.md): for each event an
 * `event: <type>` line and a `data: <json>` line whose `type` repeats the event name, partial
 * images first (`image_generation.partial_image`), then `image_generation.completed` with usage,
 * and no `[DONE]`. Without `stream` it answers the plain JSON `ImagesResponse`. Images are real
 * PNGs of distinct solid colours (see `imageColors`).
 *
 * @example
 * await using double = await startOpenAIImagesDouble({ apiKey: 'sk-test' });
 * double.enqueue({ type: 'image', partials: 2, completedBeforeLastPartial: true });
 * const client = new OpenAI({ baseURL: double.baseURL, apiKey: 'sk-test' });
 */
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EarlyCloses,
  listenOnLoopback,
  readJsonBody,
  recordRequest,
  type ProviderDouble,
  type RecordedRequest,
} from './http-double.ts';
import { openAIError, openAIGate, type OpenAIErrorObject } from './openai-wire.ts';
import { solidPngBase64, type Rgb } from './png.ts';

export { openAIError, type OpenAIErrorObject } from './openai-wire.ts';

/** The colours of the images the double sends, so tests can tell which image arrived where. */
export const imageColors = {
  /** The colour of partial image `index` (0 to 3). */
  partial: (index: number): Rgb => [40 + index * 50, 90, 200 - index * 40],
  final: [250, 200, 20] as Rgb,
} as const;

export interface ImageUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_tokens_details: { image_tokens: number; text_tokens: number };
}

/** A generated image, streamed (partials then `completed`) or sent whole as JSON. */
export interface ImageReply {
  type: 'image';
  /** How many partial images to stream; default the request's `partial_images` (or 0). */
  partials?: number;
  /**
   * Send `completed` before the last partial image, which still follows it (the final image can
   * be ready before all previews are). Needs at least one partial.
   */
  completedBeforeLastPartial?: boolean;
  /** Pause before every event after the first. */
  delayMs?: number;
  /** `output_format` to report (default the request's, or `png`); the bytes stay PNG. */
  outputFormat?: 'png' | 'jpeg' | 'webp';
  /** Default: one input token per prompt word, 272 output tokens. */
  usage?: { input_tokens: number; output_tokens: number };
}

/** Streams `partials` partial images, then `event: error` with `{type:"error", error}`. */
export interface ImageStreamErrorReply {
  type: 'mid-stream-error';
  partials: number;
  error: OpenAIErrorObject;
  delayMs?: number;
}

/** Answers `status` with `{"error": ...}` as JSON, plus any extra `headers` (e.g. retry-after). */
export interface ImageHttpErrorReply {
  type: 'http-error';
  status: number;
  error: OpenAIErrorObject;
  headers?: Record<string, string>;
}

/** Never answers; the request stays open until the client gives up. */
export interface ImageHangReply {
  type: 'hang';
}

export type ImageScriptedReply =
  ImageReply | ImageStreamErrorReply | ImageHttpErrorReply | ImageHangReply;

const errorsByStatus = {
  400: openAIError(
    "Invalid value: '17x17'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.",
    'invalid_request_error',
    'invalid_value',
    'size',
  ),
  401: openAIError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),
  429: openAIError('Rate limit reached for images per minute.', 'requests', 'rate_limit_exceeded'),
  500: openAIError('The server had an error while processing your request.', 'server_error'),
} as const;

/** A ready-made HTTP error reply with the body OpenAI sends for `status`. */
export function imagesHttpError(
  status: keyof typeof errorsByStatus,
  headers?: Record<string, string>,
): ImageHttpErrorReply {
  return { type: 'http-error', status, error: errorsByStatus[status], ...(headers && { headers }) };
}

export type OpenAIImagesDouble = ProviderDouble<ImageScriptedReply>;
export type { RecordedRequest };

export interface OpenAIImagesDoubleOptions {
  /** When set, any request without `authorization: Bearer <apiKey>` gets a 401 invalid_api_key. */
  apiKey?: string;
}

/** Starts a double on 127.0.0.1 with an OS-chosen port. Dispose it (or `close()`) when done. */
export async function startOpenAIImagesDouble(
  options: OpenAIImagesDoubleOptions = {},
): Promise<OpenAIImagesDouble> {
  const requests: RecordedRequest[] = [];
  const queue: ImageScriptedReply[] = [];
  const earlyCloses = new EarlyCloses();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJsonBody(req);
    recordRequest(requests, {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
    });

    const refused = openAIGate(
      { method: req.method, url: req.url, authorization: req.headers.authorization },
      { path: '/v1/images/generations', apiKey: options.apiKey },
    );
    if (refused) return sendError(res, refused.status, refused.error);
    if (typeof body?.model !== 'string' || typeof body.prompt !== 'string') {
      const message = 'This double needs model and prompt.';
      return sendError(res, 400, openAIError(message, 'invalid_request_error'));
    }
    const wanted: unknown = body.partial_images ?? 0;
    if (typeof wanted !== 'number' || !Number.isInteger(wanted) || wanted < 0 || wanted > 3) {
      const message = `Invalid 'partial_images': integer below minimum value or above maximum value.`;
      return sendError(res, 400, openAIError(message, 'invalid_request_error', 'invalid_value'));
    }

    const reply = queue.shift() ?? { type: 'image' };
    if (reply.type === 'hang') return;
    if (reply.type === 'http-error') {
      return sendError(res, reply.status, reply.error, reply.headers);
    }

    const common = {
      background: body.background ?? 'opaque',
      output_format: (reply.type === 'image' && reply.outputFormat) || body.output_format || 'png',
      quality: body.quality ?? 'medium',
      size: !body.size || body.size === 'auto' ? '1024x1024' : body.size,
    };
    const usage = usageFor(body, reply.type === 'image' ? reply.usage : undefined);

    if (body.stream !== true) {
      if (reply.type !== 'image') {
        return sendError(res, 500, reply.error);
      }
      const { output_format, quality, size, background } = common;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          created: now(),
          background,
          data: [{ b64_json: solidPngBase64(imageColors.final) }],
          output_format,
          quality,
          size,
          usage,
        }),
      );
      return;
    }

    const partials = reply.partials ?? (reply.type === 'image' ? wanted : 0);
    const events: Array<{ type: string; [field: string]: unknown }> = [];
    for (let index = 0; index < partials; index += 1) {
      events.push({
        type: 'image_generation.partial_image',
        b64_json: solidPngBase64(imageColors.partial(index)),
        created_at: now(),
        partial_image_index: index,
        ...common,
      });
    }
    if (reply.type === 'image') {
      const completed = {
        type: 'image_generation.completed',
        b64_json: solidPngBase64(imageColors.final),
        created_at: now(),
        ...common,
        usage,
      };
      if (reply.completedBeforeLastPartial && partials > 0) events.splice(-1, 0, completed);
      else events.push(completed);
    } else {
      events.push({ type: 'error', error: reply.error });
    }

    const closed = new AbortController();
    res.on('close', () => {
      closed.abort();
      if (!res.writableFinished) earlyCloses.note();
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const [index, event] of events.entries()) {
      if (index > 0 && reply.delayMs) {
        await sleep(reply.delayMs, undefined, { signal: closed.signal }).catch(() => undefined);
      }
      if (closed.signal.aborted) return;
      const data = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
      await new Promise((resolve) => res.write(data, resolve));
    }
    res.end();
  };
  const { port, close } = await listenOnLoopback(handle);

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    get closedEarly() {
      return earlyCloses.count;
    },
    enqueue: (...replies) => void queue.push(...replies),
    clientClosedEarly: () => earlyCloses.next(),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function usageFor(body: any, given: ImageReply['usage']): ImageUsage {
  const text = given?.input_tokens ?? String(body.prompt).split(/\s+/).filter(Boolean).length;
  const output = given?.output_tokens ?? 272;
  return {
    input_tokens: text,
    output_tokens: output,
    total_tokens: text + output,
    input_tokens_details: { image_tokens: 0, text_tokens: text },
  };
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function sendError(
  res: ServerResponse,
  status: number,
  error: OpenAIErrorObject,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error }));
}
