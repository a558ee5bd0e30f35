/**
 * Images through the OpenAI Images API (`POST /images/generations`, gpt-image-1 family) with the
 * official SDK, streaming partial images as previews.
 */
import OpenAI, { type ClientOptions } from 'openai';
import type { ImageGenerateParamsStreaming } from 'openai/resources/images';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import { openAIErrorToHearth } from './openai-errors.ts';
import type { ImageEvent, ImageProvider, ImageRequest } from '../image-provider.ts';

const maxPartialImages = 3;

export interface OpenAIImagesProviderOptions {
  /** Hearth's provider id, used in error messages. */
  id: string;
  /** Defaults to `https://api.openai.com/v1`; OPENAI_BASE_URL in the environment is ignored. */
  baseURL?: string;
  apiKey: string;
  /** Milliseconds to wait for the response headers of one attempt (one retry may follow). */
  timeoutMs: number;
  /** A fetch to use instead of the global one. */
  fetch?: ClientOptions['fetch'];
}

/**
 * An ImageProvider over `POST /images/generations` with `stream: true` and `partial_images`
 * set from the request (0 to 3; 0 when absent, so only the final image comes).
 *
 * Events: a `partial` per `image_generation.partial_image` (index as OpenAI numbers it), then
 * one `done` for `image_generation.completed`, with its usage. The final image can come before
 * all partials; the stream is closed right after it, so later partials are never yielded. A
 * stream that ends without a final image fails as `provider_error`.
 *
 * `size` goes through as `WIDTHxHEIGHT` (`auto` when absent); OpenAI refuses the sizes a model
 * lacks. A malformed size is refused here as `bad_request` before any request is made.
 */
export class OpenAIImagesProvider implements ImageProvider {
  readonly id: string;
  readonly #client: OpenAI;
  readonly #apiKey: string;
  readonly #timeoutMs: number;

  constructor(options: OpenAIImagesProviderOptions) {
    this.id = options.id;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs;
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      // Explicit values so OPENAI_* variables in the environment never redirect or tag requests.
      baseURL: options.baseURL ?? 'https://api.openai.com/v1',
      organization: null,
      project: null,
      timeout: options.timeoutMs,
      maxRetries: 1,
      ...(options.fetch && { fetch: options.fetch }),
    });
  }

  async *generate(request: ImageRequest, signal: AbortSignal): AsyncIterable<ImageEvent> {
    signal.throwIfAborted();
    const body: ImageGenerateParamsStreaming = {
      model: request.model,
      prompt: request.prompt,
      size: this.#size(request.size),
      partial_images: partialImages(request.partialImages),
      stream: true,
    };
    try {
      const events = await this.#client.images.generate(body, { signal });
      for await (const event of events) {
        if (event.type === 'image_generation.partial_image') {
          yield {
            type: 'partial',
            index: event.partial_image_index,
            data: this.#bytes(event.b64_json),
            mediaType: mediaTypeOf(event.output_format),
          };
        } else if (event.type === 'image_generation.completed') {
          const usage = event.usage as typeof event.usage | undefined;
          yield {
            type: 'done',
            data: this.#bytes(event.b64_json),
            mediaType: mediaTypeOf(event.output_format),
            ...(usage && {
              usage: {
                inputTokens: usage.input_tokens ?? 0,
                outputTokens: usage.output_tokens ?? 0,
              },
            }),
          };
          // Partials that trail the final image are stale; leaving the loop closes the stream.
          return;
        }
      }
    } catch (error) {
      signal.throwIfAborted();
      throw this.#toHearthError(error);
    }
    // The SDK ends an aborted stream quietly instead of throwing.
    signal.throwIfAborted();
    throw new HearthError(
      ErrorCode.providerError,
      `Provider "${this.id}" ended its reply before sending the image.`,
    );
  }

  #size(size: string | undefined): string {
    if (size === undefined || size === 'auto') return 'auto';
    if (/^[1-9]\d{1,4}x[1-9]\d{1,4}$/.test(size)) return size;
    throw new HearthError(
      ErrorCode.badRequest,
      `Image size "${size.slice(0, 40)}" is not WIDTHxHEIGHT (such as 1024x1024) or auto.`,
    );
  }

  #bytes(b64: string | undefined): Uint8Array {
    const data = typeof b64 === 'string' ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
    if (data.length === 0) {
      throw new HearthError(
        ErrorCode.providerError,
        `Provider "${this.id}" sent an image event without image data.`,
      );
    }
    return data;
  }

  #toHearthError(error: unknown): HearthError {
    return openAIErrorToHearth(error, {
      id: this.id,
      apiKey: this.#apiKey,
      timeoutMs: this.#timeoutMs,
      what: 'image',
    });
  }
}

/** The request's preview count as the API takes it: a whole number from 0 to 3. */
function partialImages(wanted: number | undefined): number {
  if (wanted === undefined || !Number.isFinite(wanted)) return 0;
  return Math.min(maxPartialImages, Math.max(0, Math.floor(wanted)));
}

function mediaTypeOf(format: string | undefined): string {
  switch (format) {
    case 'jpeg':
    case 'jpg':
      return 'image/jpeg';
    case 'webp':
      return 'image/webp';
    case 'gif':
      return 'image/gif';
    case 'svg':
      return 'image/svg+xml';
    default:
      return 'image/png';
  }
}
