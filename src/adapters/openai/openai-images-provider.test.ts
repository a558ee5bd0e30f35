import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import {
  imageColors,
  imagesHttpError,
  openAIError,
  startOpenAIImagesDouble,
  type OpenAIImagesDouble,
} from '../../../test/doubles/openai-images-double.ts';
import { isPng, readSolidPng } from '../../../test/doubles/png.ts';
import { HearthError } from '../../common/errors.ts';
import type { ImageEvent, ImageRequest } from '../image-provider.ts';
import {
  OpenAIImagesProvider,
  type OpenAIImagesProviderOptions,
} from './openai-images-provider.ts';

const request: ImageRequest = {
  model: 'gpt-image-1',
  prompt: 'a lighthouse at dusk',
  size: '1536x1024',
  partialImages: 2,
};

function providerFor(
  double: OpenAIImagesDouble,
  options: Partial<OpenAIImagesProviderOptions> = {},
): OpenAIImagesProvider {
  return new OpenAIImagesProvider({
    id: 'images',
    baseURL: double.baseURL,
    apiKey: 'sk-test-key-0001',
    timeoutMs: 5000,
    ...options,
  });
}

const signal = () => new AbortController().signal;

async function collect(
  events: AsyncIterable<ImageEvent>,
  onEvent: (event: ImageEvent) => void = () => undefined,
): Promise<{ events: ImageEvent[]; error: unknown }> {
  const seen: ImageEvent[] = [];
  try {
    for await (const event of events) {
      seen.push(event);
      onEvent(event);
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`Timed out after ${ms} ms`)), ms),
    ),
  ]);
}

/** Each event as its type, index and pixel colour, to compare whole sequences at once. */
function summary(events: readonly ImageEvent[]) {
  return events.map((event) => ({
    type: event.type,
    ...(event.type === 'partial' && { index: event.index }),
    mediaType: event.mediaType,
    color: readSolidPng(event.data).color,
  }));
}

describe('OpenAIImagesProvider against the OpenAI Images double', () => {
  it('streams the partial images in order, then the final image with usage', async () => {
    await using double = await startOpenAIImagesDouble({ apiKey: 'sk-test-key-0001' });
    const { events, error } = await collect(providerFor(double).generate(request, signal()));
    expect(error).toBeUndefined();
    expect(summary(events)).toEqual([
      { type: 'partial', index: 0, mediaType: 'image/png', color: imageColors.partial(0) },
      { type: 'partial', index: 1, mediaType: 'image/png', color: imageColors.partial(1) },
      { type: 'done', mediaType: 'image/png', color: imageColors.final },
    ]);
    for (const event of events) expect(isPng(event.data)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: 'done',
      usage: { inputTokens: 4, outputTokens: 272 },
    });
    expect(double.closedEarly).toBe(0);
  });

  it('sends model, prompt, size, partial_images and stream in the request body', async () => {
    await using double = await startOpenAIImagesDouble();
    await collect(providerFor(double).generate(request, signal()));
    expect(double.requests).toHaveLength(1);
    const [sent] = double.requests;
    expect(sent?.path).toBe('/v1/images/generations');
    expect(sent?.headers.authorization).toBe('Bearer sk-test-key-0001');
    expect(sent?.body).toEqual({
      model: 'gpt-image-1',
      prompt: 'a lighthouse at dusk',
      size: '1536x1024',
      partial_images: 2,
      stream: true,
    });
  });

  it('asks for size auto and no partials when the request names neither', async () => {
    await using double = await startOpenAIImagesDouble();
    const { events } = await collect(
      providerFor(double).generate({ model: 'gpt-image-1-mini', prompt: 'a cat' }, signal()),
    );
    expect(double.requests[0]?.body).toMatchObject({ size: 'auto', partial_images: 0 });
    expect(summary(events)).toEqual([
      { type: 'done', mediaType: 'image/png', color: imageColors.final },
    ]);
  });

  it('clamps partial_images to the 0 to 3 the API takes', async () => {
    await using double = await startOpenAIImagesDouble();
    await collect(providerFor(double).generate({ ...request, partialImages: 9 }, signal()));
    await collect(providerFor(double).generate({ ...request, partialImages: -1 }, signal()));
    expect(double.requests.map((sent) => sent.body.partial_images)).toEqual([3, 0]);
  });

  it('refuses a malformed size without calling upstream', async () => {
    await using double = await startOpenAIImagesDouble();
    const { error } = await collect(
      providerFor(double).generate({ ...request, size: 'huge' }, signal()),
    );
    expect(expectHearthError(error, 'bad_request').message).toContain('"huge"');
    expect(double.requests).toHaveLength(0);
  });

  it('takes the media type from output_format', async () => {
    await using double = await startOpenAIImagesDouble();
    double.enqueue({ type: 'image', partials: 1, outputFormat: 'webp' });
    const { events } = await collect(providerFor(double).generate(request, signal()));
    expect(events.map((event) => event.mediaType)).toEqual(['image/webp', 'image/webp']);
  });

  it('ignores a partial that arrives after the final image', async () => {
    await using double = await startOpenAIImagesDouble();
    double.enqueue({
      type: 'image',
      partials: 3,
      completedBeforeLastPartial: true,
      delayMs: 20,
    });
    const { events, error } = await collect(
      providerFor(double).generate({ ...request, partialImages: 3 }, signal()),
    );
    expect(error).toBeUndefined();
    expect(summary(events)).toEqual([
      { type: 'partial', index: 0, mediaType: 'image/png', color: imageColors.partial(0) },
      { type: 'partial', index: 1, mediaType: 'image/png', color: imageColors.partial(1) },
      { type: 'done', mediaType: 'image/png', color: imageColors.final },
    ]);
  });

  it('closes the upstream connection when aborted mid-stream and throws the abort', async () => {
    await using double = await startOpenAIImagesDouble();
    double.enqueue({ type: 'image', partials: 3, delayMs: 200 });
    const controller = new AbortController();
    const { events, error } = await collect(
      providerFor(double).generate({ ...request, partialImages: 3 }, controller.signal),
      (event) => {
        if (event.type === 'partial') controller.abort();
      },
    );
    expect(summary(events)).toEqual([
      { type: 'partial', index: 0, mediaType: 'image/png', color: imageColors.partial(0) },
    ]);
    expect(error).toBe(controller.signal.reason);
    expect((error as Error).name).toBe('AbortError');
    await expect(withTimeout(double.clientClosedEarly(), 2000)).resolves.toBeUndefined();
    expect(double.closedEarly).toBe(1);
  });

  it('throws the abort without calling upstream when already aborted', async () => {
    await using double = await startOpenAIImagesDouble();
    const reason = new Error('turn cancelled');
    const { error } = await collect(
      providerFor(double).generate(request, AbortSignal.abort(reason)),
    );
    expect(error).toBe(reason);
    expect(double.requests).toHaveLength(0);
  });

  it('maps 401 to provider_auth without retrying or repeating the key', async () => {
    await using double = await startOpenAIImagesDouble({ apiKey: 'sk-right-key-9999' });
    const { error } = await collect(
      providerFor(double, { apiKey: 'sk-wrong-key-4321' }).generate(request, signal()),
    );
    const failure = expectHearthError(error, 'provider_auth');
    expect(failure.cause).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(failure.message).not.toContain('4321');
    expect(failure.message).not.toContain('Incorrect API key');
    expect(double.requests).toHaveLength(1);
  });

  it('maps 429 to provider_rate_limited and names the retry-after seconds', async () => {
    await using double = await startOpenAIImagesDouble();
    // retry-after-ms keeps the SDK's single retry fast; retry-after is what the message reports.
    const tooMany = imagesHttpError(429, { 'retry-after': '12', 'retry-after-ms': '10' });
    double.enqueue(tooMany, tooMany);
    const { error } = await collect(providerFor(double).generate(request, signal()));
    const failure = expectHearthError(error, 'provider_rate_limited');
    expect(failure.message).toContain('12 s');
    expect(double.requests).toHaveLength(2);
  });

  it('maps 500 to provider_unavailable after exactly one retry', async () => {
    await using double = await startOpenAIImagesDouble();
    double.enqueue(imagesHttpError(500), imagesHttpError(500));
    const { error } = await collect(providerFor(double).generate(request, signal()));
    expect(expectHearthError(error, 'provider_unavailable').cause).toBeInstanceOf(
      OpenAI.InternalServerError,
    );
    expect(double.requests).toHaveLength(2);
  });

  it('maps 400 to provider_error with the upstream message', async () => {
    await using double = await startOpenAIImagesDouble();
    double.enqueue(imagesHttpError(400));
    const { error } = await collect(providerFor(double).generate(request, signal()));
    expect(expectHearthError(error, 'provider_error').message).toContain("Invalid value: '17x17'");
    expect(double.requests).toHaveLength(1);
  });

  it('fails with provider_error after the partials that came before a stream error', async () => {
    await using double = await startOpenAIImagesDouble();
    double.enqueue({
      type: 'mid-stream-error',
      partials: 1,
      error: openAIError(
        'Your request was rejected by the safety system.',
        'image_generation_user_error',
        'moderation_blocked',
      ),
    });
    const { events, error } = await collect(providerFor(double).generate(request, signal()));
    expect(events.map((event) => event.type)).toEqual(['partial']);
    expect(expectHearthError(error, 'provider_error').message).toContain('safety system');
  });

  it('maps a refused connection to provider_unavailable', async () => {
    const double = await startOpenAIImagesDouble();
    await double.close();
    const { error } = await collect(providerFor(double).generate(request, signal()));
    expect(expectHearthError(error, 'provider_unavailable').cause).toBeInstanceOf(
      OpenAI.APIConnectionError,
    );
  });

  it('maps a header timeout to provider_unavailable', async () => {
    await using double = await startOpenAIImagesDouble();
    double.enqueue({ type: 'hang' }, { type: 'hang' });
    const { error } = await collect(
      providerFor(double, { timeoutMs: 100 }).generate(request, signal()),
    );
    expect(expectHearthError(error, 'provider_unavailable').message).toContain('100 ms');
    expect(double.requests).toHaveLength(2);
  });

  it('has a double that also answers non-streamed requests as OpenAI does', async () => {
    await using double = await startOpenAIImagesDouble();
    const client = new OpenAI({ baseURL: double.baseURL, apiKey: 'sk-test', maxRetries: 0 });
    const response = await client.images.generate({ model: 'gpt-image-1', prompt: 'a cat' });
    expect(response).toMatchObject({ output_format: 'png', size: '1024x1024' });
    const b64 = response.data?.[0]?.b64_json ?? '';
    expect(readSolidPng(Buffer.from(b64, 'base64')).color).toEqual(imageColors.final);
    expect(response.usage?.output_tokens).toBe(272);
  });
});
