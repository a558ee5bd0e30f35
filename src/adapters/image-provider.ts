/**
 * The seam between the router and image generators. Partial images are previews; the final
 * image comes once. Images travel as bytes here; the router stores them and clients get URLs.
 */
export interface ImageRequest {
  model: string;
  prompt: string;
  /** `WIDTHxHEIGHT`, e.g. `1024x1024`; the adapter maps or refuses what its provider lacks. */
  size?: string;
  /** Previews wanted while generating (0 to 3); providers may send fewer. */
  partialImages?: number;
}

export type ImageEvent =
  | { type: 'partial'; index: number; data: Uint8Array; mediaType: string }
  | {
      type: 'done';
      data: Uint8Array;
      mediaType: string;
      usage?: { inputTokens: number; outputTokens: number };
    };

export interface ImageProvider {
  readonly id: string;
  /**
   * Generates one image. Aborting `signal` must stop the upstream work (close the request, or
   * tell the server to interrupt). Failures are HearthErrors with `provider_*` codes.
   */
  generate(request: ImageRequest, signal: AbortSignal): AsyncIterable<ImageEvent>;
}
