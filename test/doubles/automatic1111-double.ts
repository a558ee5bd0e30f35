/**
 * A local stand-in for the Stable Diffusion WebUI API (AUTOMATIC1111, also Forge) on 127.0.0.1,
 * reproducing what an image adapter uses:
 *
 * - `POST /sdapi/v1/txt2img` runs a job of `steps` sampling steps, `stepDelayMs` apart, and
 *   answers only once it is done: `{images:[b64png], parameters, info}` (`info` is a JSON
 *   string, as the WebUI sends it). One job runs at a time; later ones wait their turn.
 * - `GET /sdapi/v1/progress?skip_current_image=false` answers `{progress, eta_relative,
 *   state:{skipped, interrupted, stopping_generation, job, job_count, job_timestamp, job_no,
 *   sampling_step, sampling_steps}, current_image, textinfo}`; `current_image` is the live
 *   preview, a new PNG colour every `previewEvery` steps, and null when idle or skipped.
 * - `POST /sdapi/v1/interrupt` answers `{}` and stops the running job after its current step;
 *   txt2img then answers with the image so far, as the WebUI does.
 *
 * Errors come in the WebUI's shapes: FastAPI `{detail}` (a string, or a list for 422 validation
 * errors), the WebUI's exception handler `{error, detail, body, errors}` for 500, and 401
 * `{detail:"Incorrect username or password"}` with `www-authenticate: Basic` under `apiAuth`.
 *
 * @example
 * await using double = await startAutomatic1111Double({ steps: 4, stepDelayMs: 40 });
 * const provider = new Automatic1111Provider({ id: 'sd', baseURL: double.baseURL, ... });
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordRequest, type RecordedRequest } from './http-double.ts';
import { solidPngBase64, type Rgb } from './png.ts';

/** The colours of the double's images, so tests can tell which one arrived where. */
export const previewColors = {
  /** The live preview after sampling step `step` (1-based). */
  preview: (step: number): Rgb => [(step * 37) % 256, (100 + step * 53) % 256, 180],
  final: [20, 220, 90] as Rgb,
} as const;

/** Answers txt2img with `status` and `body` as JSON (an error, or an odd success), no job. */
export interface A1111AnswerReply {
  type: 'answer';
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Runs the job as configured (the default when the queue is empty). */
export interface A1111JobReply {
  type: 'job';
  /** Override the double's `steps` for this job. */
  steps?: number;
}

export type A1111ScriptedReply = A1111AnswerReply | A1111JobReply;

/** Ready-made error replies in the shapes the WebUI sends. */
export const a1111Errors = {
  /** FastAPI validation error, as for a width that is not a number. */
  validation: (): A1111AnswerReply => ({
    type: 'answer',
    status: 422,
    body: {
      detail: [
        {
          loc: ['body', 'width'],
          msg: 'value is not a valid integer',
          type: 'type_error.integer',
        },
      ],
    },
  }),
  /** An HTTPException, as for an unknown sampler. */
  detail: (status: number, detail: string): A1111AnswerReply => ({
    type: 'answer',
    status,
    body: { detail },
  }),
  /** What the WebUI's API exception handler sends for an error raised during generation. */
  exception: (error: string, errors: string): A1111AnswerReply => ({
    type: 'answer',
    status: 500,
    body: { error, detail: '', body: '', errors },
  }),
} as const;

export type { RecordedRequest };

export interface Automatic1111Double extends AsyncDisposable {
  /** Base URL for the provider, such as `http://127.0.0.1:41234`. */
  readonly baseURL: string;
  /** Every request received, oldest first (progress polls included). */
  readonly requests: RecordedRequest[];
  /** How many times `/sdapi/v1/interrupt` was called. */
  readonly interrupts: number;
  /** Whether a job is running now. */
  readonly running: boolean;
  /** How many jobs were stopped by an interrupt. */
  readonly interruptedJobs: number;
  /** How many txt2img requests the client closed before the answer. */
  readonly closedEarly: number;
  /** The previews the double produced, oldest first, as base64 (what `/progress` could show). */
  readonly previews: string[];
  /** Queues txt2img replies; each request takes the next one, and runs a job once it is empty. */
  enqueue(...replies: A1111ScriptedReply[]): void;
  /** Resolves once no job is running. */
  idle(): Promise<void>;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

export interface Automatic1111DoubleOptions {
  /** Sampling steps of a job (default 4); the request's `steps` is recorded but not used. */
  steps?: number;
  /** Time one sampling step takes (default 30 ms). */
  stepDelayMs?: number;
  /** A new live preview every this many steps, like "show_progress_every_n_steps" (default 1). */
  previewEvery?: number;
  /** `user:password` to require as HTTP basic auth, like `--api-auth`. */
  apiAuth?: string;
  /**
   * Hold each new preview until this many `/progress` answers have shown it (or the job is
   * interrupted), so tests on previews, and on repeated previews, do not depend on timing.
   * 0 (the default) holds nothing, as on a real WebUI.
   */
  holdPreviewsForPolls?: number;
}

interface Job {
  steps: number;
  step: number;
  preview: string | null;
  interrupted: boolean;
  timestamp: string;
  /** How many `/progress` answers have shown the current preview. */
  previewPolls: number;
  /** Wakes a job that holds its preview until it is polled (or interrupted). */
  release: (() => void) | undefined;
}

/** Starts a double on 127.0.0.1 with an OS-chosen port. Dispose it (or `close()`) when done. */
export async function startAutomatic1111Double(
  options: Automatic1111DoubleOptions = {},
): Promise<Automatic1111Double> {
  const stepDelayMs = options.stepDelayMs ?? 30;
  const previewEvery = options.previewEvery ?? 1;
  const requests: RecordedRequest[] = [];
  const queue: A1111ScriptedReply[] = [];
  const previews: string[] = [];
  let interrupts = 0;
  let interruptedJobs = 0;
  let closedEarly = 0;
  let job: Job | undefined;
  /** The WebUI's queue lock: jobs run one after another. */
  let lock: Promise<void> = Promise.resolve();
  let idleWaiters: Array<() => void> = [];
  const stopped = new AbortController();

  const runJob = async (steps: number): Promise<{ image: string; job: Job }> => {
    const current: Job = {
      steps,
      step: 0,
      preview: null,
      interrupted: false,
      timestamp: new Date().toISOString().replace(/\D/g, '').slice(0, 14),
      previewPolls: 0,
      release: undefined,
    };
    job = current;
    try {
      while (current.step < steps && !current.interrupted) {
        await sleep(stepDelayMs, undefined, { signal: stopped.signal });
        if (current.interrupted) break;
        current.step += 1;
        if (current.step < steps && current.step % previewEvery === 0) {
          current.preview = solidPngBase64(previewColors.preview(current.step));
          previews.push(current.preview);
          current.previewPolls = 0;
          if ((options.holdPreviewsForPolls ?? 0) > 0) {
            await new Promise<void>((resolve) => (current.release = resolve));
          }
        }
      }
      if (current.interrupted) interruptedJobs += 1;
      // Interrupted, the WebUI decodes the latent it has: the newest preview stands in for it.
      const image =
        current.interrupted && current.preview !== null
          ? current.preview
          : solidPngBase64(previewColors.final);
      return { image, job: current };
    } finally {
      job = undefined;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  const txt2img = async (body: any, res: ServerResponse): Promise<void> => {
    const reply = queue.shift() ?? { type: 'job' };
    if (reply.type === 'answer') {
      return sendJson(res, reply.status, reply.body, reply.headers);
    }
    if (typeof body?.prompt !== 'string') {
      return sendJson(res, 422, {
        detail: [{ loc: ['body', 'prompt'], msg: 'field required', type: 'value_error.missing' }],
      });
    }
    res.on('close', () => {
      if (!res.writableFinished) closedEarly += 1;
    });
    const turn = lock.then(() => runJob(reply.steps ?? options.steps ?? 4));
    lock = turn.then(
      () => undefined,
      () => undefined,
    );
    let result: Awaited<typeof turn>;
    try {
      result = await turn;
    } catch {
      return; // the double is closing
    }
    const width = Number(body.width ?? 512);
    const height = Number(body.height ?? 512);
    const info = {
      prompt: body.prompt,
      all_prompts: [body.prompt],
      negative_prompt: body.negative_prompt ?? '',
      seed: 1234,
      width,
      height,
      sampler_name: body.sampler_name ?? 'Euler a',
      steps: result.job.steps,
      job_timestamp: result.job.timestamp,
      infotexts: [`${body.prompt}\nSteps: ${result.job.steps}, Size: ${width}x${height}`],
    };
    sendJson(res, 200, { images: [result.image], parameters: body, info: JSON.stringify(info) });
  };

  const progress = (query: URLSearchParams, res: ServerResponse): void => {
    const state = {
      skipped: false,
      interrupted: job?.interrupted ?? false,
      stopping_generation: false,
      job: job ? 'txt2img' : '',
      job_count: job ? 1 : 0,
      job_timestamp: job?.timestamp ?? '0',
      job_no: 0,
      sampling_step: job?.step ?? 0,
      sampling_steps: job?.steps ?? 0,
    };
    if (!job) {
      // The WebUI answers an idle progress request without an image or text.
      return sendJson(res, 200, {
        progress: 0,
        eta_relative: 0,
        state,
        current_image: null,
        textinfo: null,
      });
    }
    const done = job.step / job.steps;
    const skipImage = query.get('skip_current_image') === 'true';
    if (!skipImage && job.preview !== null) {
      job.previewPolls += 1;
      if (job.previewPolls >= (options.holdPreviewsForPolls ?? 0)) wake(job);
    }
    sendJson(res, 200, {
      progress: done,
      eta_relative: ((job.steps - job.step) * stepDelayMs) / 1000,
      state,
      current_image: skipImage ? null : job.preview,
      textinfo: null,
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let raw = '';
    for await (const piece of req) raw += String(piece);
    let body: any;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const url = new URL(req.url ?? '/', 'http://double');
    recordRequest(requests, {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
    });

    if (options.apiAuth !== undefined) {
      const expected = `Basic ${Buffer.from(options.apiAuth).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        return sendJson(
          res,
          401,
          { detail: 'Incorrect username or password' },
          { 'www-authenticate': 'Basic' },
        );
      }
    }
    const route = `${req.method} ${url.pathname}`;
    if (route === 'POST /sdapi/v1/txt2img') return txt2img(body, res);
    if (route === 'GET /sdapi/v1/progress') return progress(url.searchParams, res);
    if (route === 'POST /sdapi/v1/interrupt') {
      interrupts += 1;
      if (job) {
        job.interrupted = true;
        wake(job);
      }
      return sendJson(res, 200, {});
    }
    sendJson(res, 404, { detail: 'Not Found' });
  };
  const server = createServer((req, res) => void handle(req, res));

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const close = async (): Promise<void> => {
    stopped.abort();
    if (job) wake(job);
    if (!server.listening) return;
    const closing = once(server, 'close');
    server.close();
    server.closeAllConnections();
    await closing;
  };

  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    get interrupts() {
      return interrupts;
    },
    get running() {
      return job !== undefined;
    },
    get interruptedJobs() {
      return interruptedJobs;
    },
    get closedEarly() {
      return closedEarly;
    },
    previews,
    enqueue: (...replies) => void queue.push(...replies),
    idle: () =>
      job === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => idleWaiters.push(resolve)),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function wake(job: Job): void {
  const release = job.release;
  job.release = undefined;
  release?.();
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
