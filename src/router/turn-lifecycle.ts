import type { ProviderFinishReason } from '../adapters/provider.ts';
import { ErrorCode, toHearthError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { MessageStatus, Usage } from '../common/protocol.ts';
import type { TurnStore } from '../mcp/service/store/turn-store.ts';
import { replyContent, stopReasonOf, type TurnState } from './active-turn.ts';
import type { EventSink } from './event-sink.ts';

export interface LifecycleContext {
  turn: TurnState;
  store: TurnStore;
  sink: EventSink;
  logger: Logger;
  checkpointMs: number;
}

/** What the body of a turn reports as it goes, so an early end still persists it. */
export interface TurnProgress {
  usage: Usage | null;
}

/**
 * Runs the body of a turn (chat rounds, or an image) and ends it, whatever happens: the reply is
 * checkpointed while it grows, then persisted with its status (complete, cancelled, interrupted
 * or failed) before the last event (`turn.done` or `turn.error`) goes out.
 */
export async function runTurnLifecycle(
  context: LifecycleContext,
  body: (progress: TurnProgress) => Promise<ProviderFinishReason>,
): Promise<void> {
  const { turn, store, sink, logger } = context;
  const { conversationId, turnId } = turn;
  const signal = turn.controller.signal;
  const progress: TurnProgress = { usage: null };
  // Writes go one after another, so that a slow checkpoint never lands after the final write.
  let written = Promise.resolve();
  const persist = (status: MessageStatus, error?: { code: string; message: string }) => {
    const update = {
      content: replyContent(turn),
      status,
      usage: progress.usage,
      ...(error && { error }),
    };
    written = written
      .catch(() => undefined)
      .then(() => store.updateMessage(turn.assistantMessageId, update));
    return written;
  };
  let checkpointed = turn.revision;
  const checkpoint = setInterval(() => {
    if (turn.revision === checkpointed) return;
    checkpointed = turn.revision;
    persist('streaming').catch((error: unknown) =>
      logger.warn({ err: error }, 'checkpoint of the reply failed; the next one will retry'),
    );
  }, context.checkpointMs);
  checkpoint.unref();

  try {
    const finishReason = await body(progress);
    clearInterval(checkpoint);
    await persist('complete');
    sink.emit(conversationId, { type: 'turn.done', turnId, usage: progress.usage, finishReason });
    logger.info({ usage: progress.usage, finishReason }, 'turn done');
  } catch (error) {
    clearInterval(checkpoint);
    if (signal.aborted && stopReasonOf(signal) === 'cancelled') {
      await persist('cancelled');
      sink.emit(conversationId, {
        type: 'turn.done',
        turnId,
        usage: progress.usage,
        finishReason: 'cancelled',
      });
      logger.info('turn cancelled');
    } else if (signal.aborted) {
      const wire = {
        code: ErrorCode.interrupted,
        message: 'Hearth was shutting down; the partial reply is kept.',
      };
      await persist('interrupted', wire);
      sink.emit(conversationId, { type: 'turn.error', turnId, ...wire });
      logger.warn('turn interrupted by shutdown');
    } else {
      const failure = toHearthError(error);
      await persist('failed', failure.toWire());
      sink.emit(conversationId, { type: 'turn.error', turnId, ...failure.toWire() });
      logger.warn({ err: failure, code: failure.code }, 'turn failed');
    }
  }
}
