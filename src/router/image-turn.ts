import type { ImageProvider, ImageRequest } from '../adapters/image-provider.ts';
import { ErrorCode, HearthError } from '../common/errors.ts';
import type { TurnState } from './active-turn.ts';
import { runTurnLifecycle, type LifecycleContext } from './turn-lifecycle.ts';

/** An image turn: one prompt, previews as they come, one final image. */
export interface ImageTurn extends TurnState {
  provider: ImageProvider;
  request: ImageRequest;
}

/** Where generated images go; answers the URL clients fetch them from. */
export interface MediaSink {
  put(data: Uint8Array, mediaType: string): Promise<{ url: string }>;
}

/**
 * Streams an image turn: each preview is stored and announced as `image.partial`, the final
 * image becomes a part of the reply and `image.done`. History keeps URLs, never image bytes.
 */
export async function streamImageTurn(
  context: LifecycleContext & { turn: ImageTurn; media: MediaSink },
): Promise<void> {
  const { turn, sink, media } = context;
  const { conversationId, turnId } = turn;
  const signal = turn.controller.signal;
  await runTurnLifecycle(context, async (progress) => {
    let finished = false;
    let lastPreview: { url: string; mediaType: string } | undefined;
    try {
      for await (const event of turn.provider.generate(turn.request, signal)) {
        const { url } = await media.put(event.data, event.mediaType);
        signal.throwIfAborted();
        if (event.type === 'partial') {
          lastPreview = { url, mediaType: event.mediaType };
          sink.emit(conversationId, { type: 'image.partial', turnId, index: event.index, url });
          continue;
        }
        turn.parts.push({ type: 'image', url, mediaType: event.mediaType });
        turn.revision += 1;
        if (event.usage) progress.usage = event.usage;
        sink.emit(conversationId, { type: 'image.done', turnId, url, mediaType: event.mediaType });
        finished = true;
      }
      signal.throwIfAborted();
    } catch (error) {
      // A stopped or failed image keeps the last preview everyone saw, marked as a preview.
      if (!finished && lastPreview)
        turn.parts.push({ type: 'image', ...lastPreview, preview: true });
      throw error;
    }
    if (!finished)
      throw new HearthError(
        ErrorCode.providerError,
        `Provider "${turn.provider.id}" sent no image`,
      );
    return 'stop';
  });
}
