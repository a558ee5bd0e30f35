/**
 * Images from a Stable Diffusion WebUI (AUTOMATIC1111, or Forge, which keeps its API) started
 * with `--api`. There is no SDK: this speaks its REST API with `fetch`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import type { ImageEvent, ImageProvider, ImageRequest } from '../image-provider.ts';

const maxUpstreamMessageLength = 500;
const defaultSize = { width: 512, height: 512 };
/** The longest a progress poll or an interrupt may take (less when `timeoutMs` is smaller). */
const maxSideRequestMs = 10_000;
/** Model names that mean "whatever checkpoint the WebUI has loaded". */
const loadedCheckpoint = new Set(['', 'default', 'loaded', 'current']);

/** txt2img fields sent with every request, such as steps, sampler_name, cfg_scale. */
export interface Automatic1111Txt2ImgDefaults {
  steps?: number;
  sampler_name?: string;
  scheduler?: string;
  cfg_scale?: number;
  negative_prompt?: string;
  /** WebUI settings for the request only (checkpoint, clip skip, ...). */
  override_settings?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface Automatic1111ProviderOptions {
  /** Hearth's provider id, used in error messages. */
  id: string;
  /**
   * Where the WebUI listens, such as `http://192.168.1.20:7860`. A `user:password@` in it is
   * taken as `apiAuth` (and never sent in the URL).
   */
  baseURL: string;
  /**
   * The longest one image may take, waiting in the WebUI's queue included (txt2img answers only
   * once the image is done). Past it the job is interrupted and the request fails.
   */
  timeoutMs: number;
  /** How often to ask `/sdapi/v1/progress` for a preview while the image is made (default 500). */
  pollMs?: number;
  /** `user:password` for a WebUI started with `--api-auth` (sent as HTTP basic auth). */
  apiAuth?: string;
  /** txt2img fields for every request; prompt, size and the image count are Hearth's. */
  txt2img?: Automatic1111Txt2ImgDefaults;
  /** A fetch to use instead of the global one. */
  fetch?: typeof globalThis.fetch;
}

type Txt2ImgOutcome = { response: Response; text: string } | { error: unknown };

/**
 * An ImageProvider over `POST /sdapi/v1/txt2img`, which answers only once the image is done.
 * Meanwhile `GET /sdapi/v1/progress?skip_current_image=false` is polled every `pollMs`, and each
 * new `current_image` (the WebUI's live preview, made every "show_progress_every_n_steps"
 * steps) is yielded as a `partial`, numbered from 0; the same preview twice is yielded once. The
 * txt2img answer becomes `done`. `partialImages: 0` turns the polling off.
 *
 * `model` picks the checkpoint through `override_settings.sd_model_checkpoint` for this request
 * only; `default` (or an empty name) keeps the loaded one. `size` is `WIDTHxHEIGHT` in
 * multiples of 8 from 64 to 4096 (512x512 when absent or `auto`).
 *
 * Aborting (or the timeout) posts `/sdapi/v1/interrupt`, so the GPU stops rather than just the
 * HTTP request, and closes the txt2img request. Note that the WebUI has one job at a time and
 * its progress and interrupt endpoints are global: a job queued behind someone else's sees their
 * previews, and aborting it interrupts theirs.
 */
export class Automatic1111Provider implements ImageProvider {
  readonly id: string;
  readonly #baseURL: string;
  readonly #authorization: string | undefined;
  readonly #password: string | undefined;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  readonly #defaults: Automatic1111Txt2ImgDefaults;
  readonly #fetch: typeof globalThis.fetch;

  constructor(options: Automatic1111ProviderOptions) {
    this.id = options.id;
    const url = new URL(options.baseURL);
    let auth = options.apiAuth;
    if (auth === undefined && (url.username !== '' || url.password !== '')) {
      auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    }
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    this.#baseURL = url.href.replace(/\/+$/, '').replace(/\/sdapi\/v1$/, '');
    this.#authorization =
      auth === undefined ? undefined : `Basic ${Buffer.from(auth).toString('base64')}`;
    const colon = auth?.indexOf(':') ?? -1;
    this.#password = colon >= 0 && auth !== undefined ? auth.slice(colon + 1) : undefined;
    this.#timeoutMs = options.timeoutMs;
    this.#pollMs = options.pollMs ?? 500;
    this.#defaults = options.txt2img ?? {};
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  async *generate(request: ImageRequest, signal: AbortSignal): AsyncIterable<ImageEvent> {
    signal.throwIfAborted();
    const body = this.#txt2imgBody(request);
    /** Ends our requests when the consumer stops iterating early. */
    const stop = new AbortController();
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const upstream = AbortSignal.any([signal, stop.signal, timeout]);

    const job = { settled: false, answered: false };
    let interrupting: Promise<void> | undefined;
    const interrupt = (): Promise<void> => (interrupting ??= this.#interrupt());
    // Interrupt at once, even while the consumer is not pulling events.
    const onAbort = (): void => {
      if (!job.answered) void interrupt();
    };
    upstream.addEventListener('abort', onAbort, { once: true });

    const txt2img = (async (): Promise<Txt2ImgOutcome> => {
      try {
        const response = await this.#fetch(this.#url('/sdapi/v1/txt2img'), {
          method: 'POST',
          headers: this.#headers(true),
          body: JSON.stringify(body),
          signal: upstream,
        });
        return { response, text: await response.text() };
      } catch (error) {
        return { error };
      } finally {
        job.settled = true;
        // Aborted by us, the job may still be running; otherwise the server is done with it.
        job.answered = !upstream.aborted;
      }
    })();

    try {
      let lastPreview: string | undefined;
      let index = 0;
      while (!job.settled && !upstream.aborted) {
        await Promise.race([
          txt2img,
          sleep(this.#pollMs, undefined, { signal: upstream }).catch(() => undefined),
        ]);
        if (job.settled || upstream.aborted || request.partialImages === 0) continue;
        const preview = await this.#poll(txt2img, upstream);
        if (job.settled || upstream.aborted) continue;
        if (preview === undefined || preview === lastPreview) continue;
        lastPreview = preview;
        const data = decodeImage(preview);
        if (data !== undefined)
          yield { type: 'partial', index: index++, data, mediaType: sniff(data) };
      }
      signal.throwIfAborted();
      if (timeout.aborted && !job.answered) {
        throw new HearthError(
          ErrorCode.providerUnavailable,
          `Provider "${this.id}" did not finish the image within ${this.#timeoutMs} ms; the job was interrupted.`,
        );
      }
      const outcome = await txt2img;
      signal.throwIfAborted();
      if ('error' in outcome) throw this.#fetchError(outcome.error);
      yield this.#done(outcome.response, outcome.text);
    } finally {
      upstream.removeEventListener('abort', onAbort);
      if (!job.answered) {
        stop.abort();
        void interrupt();
      }
      await interrupting;
    }
  }

  #txt2imgBody(request: ImageRequest): Record<string, unknown> {
    const { width, height } = parseSize(request.size);
    const checkpoint = request.model.trim();
    const overrides = {
      ...this.#defaults.override_settings,
      ...(!loadedCheckpoint.has(checkpoint.toLowerCase()) && { sd_model_checkpoint: checkpoint }),
    };
    return {
      ...this.#defaults,
      prompt: request.prompt,
      width,
      height,
      batch_size: 1,
      n_iter: 1,
      send_images: true,
      save_images: false,
      ...(Object.keys(overrides).length > 0 && { override_settings: overrides }),
    };
  }

  /** The newest preview, or undefined when there is none (or polling failed: that is not fatal). */
  async #poll(txt2img: Promise<unknown>, upstream: AbortSignal): Promise<string | undefined> {
    const done = new AbortController();
    const poll = async (): Promise<string | undefined> => {
      const response = await this.#fetch(this.#url('/sdapi/v1/progress?skip_current_image=false'), {
        headers: this.#headers(false),
        signal: AbortSignal.any([
          upstream,
          done.signal,
          AbortSignal.timeout(Math.min(this.#timeoutMs, maxSideRequestMs)),
        ]),
      });
      if (!response.ok) {
        await response.body?.cancel();
        return undefined;
      }
      const progress = (await response.json()) as { current_image?: unknown } | null;
      const image = progress?.current_image;
      return typeof image === 'string' && image !== '' ? image : undefined;
    };
    try {
      // A slow progress answer must not hold back the finished image.
      return await Promise.race([poll(), txt2img.then(() => undefined)]);
    } catch {
      return undefined;
    } finally {
      done.abort();
    }
  }

  /** Asks the WebUI to stop its job; best effort, since the server may be gone. */
  async #interrupt(): Promise<void> {
    try {
      const response = await this.#fetch(this.#url('/sdapi/v1/interrupt'), {
        method: 'POST',
        headers: this.#headers(false),
        signal: AbortSignal.timeout(Math.min(this.#timeoutMs, maxSideRequestMs)),
      });
      await response.body?.cancel();
    } catch {
      // Nothing more can be done; the txt2img request is closed anyway.
    }
  }

  #done(response: Response, text: string): ImageEvent {
    if (!response.ok) throw this.#httpError(response.status, text, response.headers);
    let images: unknown;
    try {
      images = (JSON.parse(text) as { images?: unknown } | null)?.images;
    } catch {
      throw new HearthError(
        ErrorCode.providerError,
        `Provider "${this.id}" answered txt2img with something that is not JSON.`,
      );
    }
    const first: unknown = Array.isArray(images) ? images[0] : undefined;
    const data = typeof first === 'string' ? decodeImage(first) : undefined;
    if (data === undefined) {
      throw new HearthError(ErrorCode.providerError, `Provider "${this.id}" sent no image.`);
    }
    return { type: 'done', data, mediaType: sniff(data) };
  }

  #fetchError(error: unknown): HearthError {
    if (error instanceof HearthError) return error;
    const who = `Provider "${this.id}"`;
    // fetch fails with TypeError('fetch failed') whose cause carries the socket error code.
    if (error instanceof TypeError) {
      const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
      const reason =
        cause?.code === 'ECONNREFUSED'
          ? 'connection refused'
          : typeof cause?.code === 'string'
            ? cause.code
            : typeof cause?.message === 'string'
              ? this.#upstream(cause.message)
              : this.#upstream(error.message);
      return new HearthError(
        ErrorCode.providerUnavailable,
        `${who} could not be reached at ${this.#baseURL}: ${reason}.`,
        { cause: error },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return new HearthError(ErrorCode.providerError, `${who} failed: ${this.#upstream(message)}`, {
      cause: error,
    });
  }

  #httpError(status: number, text: string, headers: Headers): HearthError {
    const who = `Provider "${this.id}"`;
    // The WebUI's own 401 says only "Incorrect username or password"; nothing worth repeating.
    if (status === 401 || status === 403) {
      return new HearthError(
        ErrorCode.providerAuth,
        `${who} rejected its credentials (HTTP ${status}); check its apiAuth user and password.`,
      );
    }
    if (status === 429) {
      const wait = retryAfterSeconds(headers);
      const hint = wait === undefined ? '' : ` Retry after ${wait} s.`;
      return new HearthError(
        ErrorCode.providerRateLimited,
        `${who} is rate limiting requests (HTTP 429).${hint}`,
      );
    }
    const detail = this.#upstream(detailOf(text) ?? '');
    if (status === 404 && (detail === '' || detail === 'Not Found')) {
      return new HearthError(
        ErrorCode.providerError,
        `${who} has no txt2img API (HTTP 404); start the WebUI with --api.`,
      );
    }
    // Gateway answers from a proxy in front of the WebUI: the WebUI itself is not there.
    const code =
      status === 502 || status === 503 || status === 504
        ? ErrorCode.providerUnavailable
        : ErrorCode.providerError;
    const named = detail === '' ? '' : `: ${detail}`;
    return new HearthError(code, `${who} answered HTTP ${status}${named}`);
  }

  #url(path: string): string {
    return `${this.#baseURL}${path}`;
  }

  #headers(withBody: boolean): Record<string, string> {
    return {
      accept: 'application/json',
      ...(withBody && { 'content-type': 'application/json' }),
      ...(this.#authorization !== undefined && { authorization: this.#authorization }),
    };
  }

  /** An upstream message made safe to show: no password, no long dumps. */
  #upstream(message: string): string {
    let safe = message.trim();
    if (this.#password) safe = safe.replaceAll(this.#password, '[redacted]');
    return safe.length > maxUpstreamMessageLength
      ? `${safe.slice(0, maxUpstreamMessageLength)}…`
      : safe;
  }
}

/** `WIDTHxHEIGHT` as numbers; 512x512 when absent or `auto`. */
function parseSize(size: string | undefined): { width: number; height: number } {
  if (size === undefined || size === 'auto') return defaultSize;
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  const fits = (side: number) => side >= 64 && side <= 4096 && side % 8 === 0;
  if (!match || !fits(width) || !fits(height)) {
    throw new HearthError(
      ErrorCode.badRequest,
      `Image size "${size.slice(0, 40)}" is not WIDTHxHEIGHT in multiples of 8 from 64 to 4096 (such as 512x768).`,
    );
  }
  return { width, height };
}

/**
 * What a FastAPI error body says: `detail` as a string, or the messages of a validation
 * `detail` list; the WebUI's own exception handler puts the text in `errors` and the exception
 * type in `error`. Short plain-text bodies are taken as they are.
 */
function detailOf(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const plain = text.trim();
    return plain !== '' && plain.length <= 200 && !plain.startsWith('<') ? plain : undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { detail, errors, error } = body as Record<string, unknown>;
  if (typeof detail === 'string' && detail !== '') return detail;
  if (Array.isArray(detail) && detail.length > 0) {
    return detail
      .map((item: unknown) => {
        const { loc, msg } = (item ?? {}) as { loc?: unknown; msg?: unknown };
        const where = Array.isArray(loc) ? loc.filter((part) => part !== 'body').join('.') : '';
        const what = typeof msg === 'string' ? msg : JSON.stringify(item);
        return where === '' ? what : `${where}: ${what}`;
      })
      .join('; ');
  }
  const texts = [error, errors].filter(
    (part): part is string => typeof part === 'string' && part !== '',
  );
  if (texts.length > 0) return texts.join(': ');
  if (typeof error === 'object' && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return undefined;
}

/** Bytes of a base64 image (a `data:` URL prefix tolerated), or undefined if there are none. */
function decodeImage(b64: string): Uint8Array | undefined {
  const data = Buffer.from(b64.replace(/^data:[^,]*,/, ''), 'base64');
  return data.length === 0 ? undefined : data;
}

/** The media type from the file's magic bytes; the WebUI's format is a setting (png default). */
function sniff(data: Uint8Array): string {
  const starts = (...bytes: number[]) => bytes.every((byte, index) => data[index] === byte);
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x52, 0x49, 0x46, 0x46) && Buffer.from(data.subarray(8, 12)).toString() === 'WEBP') {
    return 'image/webp';
  }
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  return 'image/png';
}

/** Seconds from a `retry-after` header (delta seconds or an HTTP date), if there is one. */
function retryAfterSeconds(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
