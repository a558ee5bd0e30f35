import { describe, expect, it } from 'vitest';
import {
  a1111Errors,
  previewColors,
  startAutomatic1111Double,
  type Automatic1111Double,
} from '../../../test/doubles/automatic1111-double.ts';
import { isPng, readSolidPng } from '../../../test/doubles/png.ts';
import { HearthError } from '../../common/errors.ts';
import type { ImageEvent, ImageRequest } from '../image-provider.ts';
import {
  Automatic1111Provider,
  type Automatic1111ProviderOptions,
} from './automatic1111-provider.ts';

const request: ImageRequest = { model: 'default', prompt: 'a red fox in snow' };

function providerFor(
  double: Automatic1111Double,
  options: Partial<Automatic1111ProviderOptions> = {},
): Automatic1111Provider {
  return new Automatic1111Provider({
    id: 'sd',
    baseURL: double.baseURL,
    timeoutMs: 5000,
    pollMs: 10,
    ...options,
  });
}

const signal = () => new AbortController().signal;

async function collect(
  events: AsyncIterable<ImageEvent>,
  onEvent: (event: ImageEvent) => boolean | void = () => undefined,
): Promise<{ events: ImageEvent[]; error: unknown }> {
  const seen: ImageEvent[] = [];
  try {
    for await (const event of events) {
      seen.push(event);
      // Returning true stops iterating, as a consumer that breaks out of its loop.
      if (onEvent(event) === true) break;
    }
    return { events: seen, error: undefined };
  } catch (error) {
    return { events: seen, error };
  }
}

function expectHearthError(error: unknown, code: string): HearthError {
  expect(error).toBeInstanceOf(HearthError);
  expect((error as HearthError).code).toBe(code);
  return error as HearthError;
}

/** Waits until `check` holds, for at most `ms`. */
async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function summary(events: readonly ImageEvent[]) {
  return events.map((event) => ({
    type: event.type,
    ...(event.type === 'partial' && { index: event.index }),
    mediaType: event.mediaType,
    color: readSolidPng(event.data).color,
  }));
}

const progressPolls = (double: Automatic1111Double) =>
  double.requests.filter((sent) => sent.path.startsWith('/sdapi/v1/progress'));

describe('Automatic1111Provider against the WebUI double', () => {
  it('yields each live preview once, in order, then the final image', async () => {
    await using double = await startAutomatic1111Double({
      steps: 4,
      stepDelayMs: 30,
      holdPreviewsForPolls: 3,
    });
    const { events, error } = await collect(providerFor(double).generate(request, signal()));
    expect(error).toBeUndefined();
    expect(summary(events)).toEqual([
      { type: 'partial', index: 0, mediaType: 'image/png', color: previewColors.preview(1) },
      { type: 'partial', index: 1, mediaType: 'image/png', color: previewColors.preview(2) },
      { type: 'partial', index: 2, mediaType: 'image/png', color: previewColors.preview(3) },
      { type: 'done', mediaType: 'image/png', color: previewColors.final },
    ]);
    for (const event of events) expect(isPng(event.data)).toBe(true);
    // Each preview was shown by at least three polls, yet yielded once.
    expect(progressPolls(double).length).toBeGreaterThanOrEqual(9);
    expect(progressPolls(double)[0]?.path).toBe('/sdapi/v1/progress?skip_current_image=false');
    expect(double.interrupts).toBe(0);
  });

  it('does not repeat a preview that stays the same for several steps', async () => {
    await using double = await startAutomatic1111Double({
      steps: 6,
      stepDelayMs: 40,
      previewEvery: 2,
      holdPreviewsForPolls: 2,
    });
    const { events } = await collect(providerFor(double).generate(request, signal()));
    expect(summary(events)).toEqual([
      { type: 'partial', index: 0, mediaType: 'image/png', color: previewColors.preview(2) },
      { type: 'partial', index: 1, mediaType: 'image/png', color: previewColors.preview(4) },
      { type: 'done', mediaType: 'image/png', color: previewColors.final },
    ]);
    expect(progressPolls(double).length).toBeGreaterThanOrEqual(4);
  });

  it('does not poll for previews when none are wanted', async () => {
    await using double = await startAutomatic1111Double({ steps: 3, stepDelayMs: 30 });
    const { events } = await collect(
      providerFor(double).generate({ ...request, partialImages: 0 }, signal()),
    );
    expect(events.map((event) => event.type)).toEqual(['done']);
    expect(progressPolls(double)).toHaveLength(0);
  });

  it('sends prompt, size, defaults and the checkpoint in the txt2img body', async () => {
    await using double = await startAutomatic1111Double({ steps: 1 });
    const provider = providerFor(double, {
      txt2img: { steps: 20, sampler_name: 'DPM++ 2M', negative_prompt: 'blurry', width: 64 },
    });
    await collect(
      provider.generate(
        { model: 'sd_xl_base_1.0', prompt: 'a boat', size: '768x512', partialImages: 0 },
        signal(),
      ),
    );
    await collect(provider.generate({ ...request, partialImages: 0 }, signal()));
    const bodies = double.requests
      .filter((sent) => sent.path === '/sdapi/v1/txt2img')
      .map((sent) => sent.body);
    expect(bodies[0]).toEqual({
      steps: 20,
      sampler_name: 'DPM++ 2M',
      negative_prompt: 'blurry',
      prompt: 'a boat',
      width: 768,
      height: 512,
      batch_size: 1,
      n_iter: 1,
      send_images: true,
      save_images: false,
      override_settings: { sd_model_checkpoint: 'sd_xl_base_1.0' },
    });
    // `default` keeps the loaded checkpoint, and no size means 512x512.
    expect(bodies[1]).toMatchObject({ width: 512, height: 512 });
    expect(bodies[1]).not.toHaveProperty('override_settings');
  });

  it('refuses a size the WebUI cannot make without calling it', async () => {
    await using double = await startAutomatic1111Double();
    for (const size of ['huge', '500x500', '32x32', '8192x512']) {
      const { error } = await collect(providerFor(double).generate({ ...request, size }, signal()));
      expect(expectHearthError(error, 'bad_request').message).toContain(`"${size}"`);
    }
    expect(double.requests).toHaveLength(0);
  });

  it('interrupts the job when aborted, closes txt2img and throws the abort', async () => {
    await using double = await startAutomatic1111Double({
      steps: 10,
      stepDelayMs: 60,
      holdPreviewsForPolls: 1,
    });
    const controller = new AbortController();
    const { events, error } = await collect(
      providerFor(double).generate(request, controller.signal),
      (event) => {
        if (event.type === 'partial') controller.abort();
      },
    );
    expect(summary(events)).toEqual([
      { type: 'partial', index: 0, mediaType: 'image/png', color: previewColors.preview(1) },
    ]);
    expect(error).toBe(controller.signal.reason);
    expect((error as Error).name).toBe('AbortError');
    // The interrupt was sent before the iterator ended.
    expect(double.interrupts).toBe(1);
    await double.idle();
    expect(double.interruptedJobs).toBe(1);
    await until(() => double.closedEarly === 1);
  });

  it('interrupts the job when aborted while no event is due', async () => {
    await using double = await startAutomatic1111Double({ steps: 10, stepDelayMs: 60 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('turn cancelled')), 100);
    const { events, error } = await collect(
      providerFor(double).generate({ ...request, partialImages: 0 }, controller.signal),
    );
    expect(events).toEqual([]);
    expect((error as Error).message).toBe('turn cancelled');
    expect(double.interrupts).toBe(1);
    await double.idle();
    expect(double.interruptedJobs).toBe(1);
  });

  it('interrupts the job when the consumer stops iterating early', async () => {
    await using double = await startAutomatic1111Double({ steps: 10, stepDelayMs: 60 });
    const { events, error } = await collect(
      providerFor(double).generate(request, signal()),
      () => true,
    );
    expect(events.map((event) => event.type)).toEqual(['partial']);
    expect(error).toBeUndefined();
    expect(double.interrupts).toBe(1);
    await double.idle();
    expect(double.interruptedJobs).toBe(1);
  });

  it('throws the abort without calling the WebUI when already aborted', async () => {
    await using double = await startAutomatic1111Double();
    const reason = new Error('turn cancelled');
    const { error } = await collect(
      providerFor(double).generate(request, AbortSignal.abort(reason)),
    );
    expect(error).toBe(reason);
    expect(double.requests).toHaveLength(0);
  });

  it('interrupts the job and fails with provider_unavailable past the timeout', async () => {
    await using double = await startAutomatic1111Double({ steps: 20, stepDelayMs: 100 });
    const { error } = await collect(
      providerFor(double, { timeoutMs: 250 }).generate(request, signal()),
    );
    expect(expectHearthError(error, 'provider_unavailable').message).toContain('250 ms');
    expect(double.interrupts).toBe(1);
    await double.idle();
    expect(double.interruptedJobs).toBe(1);
  });

  it('does not interrupt after the WebUI has answered', async () => {
    await using double = await startAutomatic1111Double({ steps: 2, stepDelayMs: 20 });
    const controller = new AbortController();
    const { events } = await collect(
      providerFor(double).generate(request, controller.signal),
      (event) => {
        if (event.type === 'done') controller.abort();
      },
    );
    expect(events.at(-1)?.type).toBe('done');
    expect(double.interrupts).toBe(0);
  });

  it('maps a refused connection to provider_unavailable', async () => {
    const double = await startAutomatic1111Double();
    await double.close();
    const { error } = await collect(providerFor(double).generate(request, signal()));
    const failure = expectHearthError(error, 'provider_unavailable');
    expect(failure.message).toContain('connection refused');
    expect(failure.message).toContain(double.baseURL);
  });

  it('names the detail of FastAPI and WebUI error bodies', async () => {
    await using double = await startAutomatic1111Double();
    double.enqueue(
      a1111Errors.validation(),
      a1111Errors.detail(404, 'Sampler not found'),
      a1111Errors.exception('OutOfMemoryError', 'CUDA out of memory. Tried to allocate 2.00 GiB'),
      a1111Errors.detail(404, 'Not Found'),
      a1111Errors.detail(503, 'Model is loading'),
    );
    const failures: HearthError[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const { error } = await collect(providerFor(double).generate(request, signal()));
      failures.push(error as HearthError);
    }
    expect(failures.map((failure) => [failure.code, failure.message])).toEqual([
      ['provider_error', 'Provider "sd" answered HTTP 422: width: value is not a valid integer'],
      ['provider_error', 'Provider "sd" answered HTTP 404: Sampler not found'],
      [
        'provider_error',
        'Provider "sd" answered HTTP 500: OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB',
      ],
      [
        'provider_error',
        'Provider "sd" has no txt2img API (HTTP 404); start the WebUI with --api.',
      ],
      ['provider_unavailable', 'Provider "sd" answered HTTP 503: Model is loading'],
    ]);
    expect(double.interrupts).toBe(0);
  });

  it('sends HTTP basic auth from apiAuth or the base URL', async () => {
    await using double = await startAutomatic1111Double({ steps: 1, apiAuth: 'hearth:s3cret!' });
    const fromOption = await collect(
      providerFor(double, { apiAuth: 'hearth:s3cret!' }).generate(request, signal()),
    );
    expect(fromOption.error).toBeUndefined();
    const withUser = double.baseURL.replace('http://', 'http://hearth:s3cret!@');
    const fromURL = await collect(
      providerFor(double, { baseURL: withUser }).generate(request, signal()),
    );
    expect(fromURL.error).toBeUndefined();
    expect(fromURL.events.at(-1)?.type).toBe('done');
    const expected = `Basic ${Buffer.from('hearth:s3cret!').toString('base64')}`;
    expect(double.requests.every((sent) => sent.headers.authorization === expected)).toBe(true);
  });

  it('maps 401 to provider_auth without repeating the credentials', async () => {
    await using double = await startAutomatic1111Double({ apiAuth: 'hearth:right-pass' });
    const { error } = await collect(
      providerFor(double, { apiAuth: 'hearth:wrong-pass' }).generate(request, signal()),
    );
    const failure = expectHearthError(error, 'provider_auth');
    expect(failure.message).toContain('HTTP 401');
    expect(failure.message).not.toContain('wrong-pass');
    expect(failure.message).not.toContain('Incorrect username');
  });

  it('fails with provider_error when txt2img answers without an image', async () => {
    await using double = await startAutomatic1111Double();
    double.enqueue({ type: 'answer', status: 200, body: { images: [], parameters: {} } });
    const { error } = await collect(providerFor(double).generate(request, signal()));
    expect(expectHearthError(error, 'provider_error').message).toContain('sent no image');
  });

  it('uses the fetch it is given', async () => {
    await using double = await startAutomatic1111Double({ steps: 1 });
    const seen: string[] = [];
    const provider = providerFor(double, {
      fetch: (input, init) => {
        seen.push(input instanceof Request ? input.url : input.toString());
        return fetch(input, init);
      },
    });
    await collect(provider.generate({ ...request, partialImages: 0 }, signal()));
    expect(seen).toEqual([`${double.baseURL}/sdapi/v1/txt2img`]);
  });
});
