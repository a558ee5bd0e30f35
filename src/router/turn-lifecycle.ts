import type { ProviderFinishReason } from '../adapters/provider.ts';
import { ErrorCode, toHearthError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { MessageStatus, Usage } from '../common/protocol.ts';
import type { ConversationStore } from '../mcp/service/store/conversation-store.ts';
import { replyContent, stopReasonOf, type TurnState } from './active-turn.ts';
import type { EventSink } from './event-sink.ts';

export interface LifecycleContext {
  turn: TurnState;
  store: ConversationStore;
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
  const persist = (status: MessageStatus, error?: { code: string; message: string }) =>
    store.updateMessage(turn.assistantMessageId, {
      content: replyContent(turn),
      status,
      usage: progress.usage,
      ...(error && { error }),
    });
  let checkpointed = turn.revision;
  const checkpoint = setInterval(() => {
    if (turn.revision === checkpointed) return;
    checkpointed = turn.revision;
    persist('streaming');
  }, context.checkpointMs);
  checkpoint.unref();

  try {
    const finishReason = await body(progress);
    clearInterval(checkpoint);
    persist('complete');
    sink.emit(conversationId, { type: 'turn.done', turnId, usage: progress.usage, finishReason });
    logger.info({ usage: progress.usage, finishReason }, 'turn done');
  } catch (error) {
    clearInterval(checkpoint);
    if (signal.aborted && stopReasonOf(signal) === 'cancelled') {
      persist('cancelled');
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
      persist('interrupted', wire);
      sink.emit(conversationId, { type: 'turn.error', turnId, ...wire });
      logger.warn('turn interrupted by shutdown');
    } else {
      const failure = toHearthError(error);
      persist('failed', failure.toWire());
      sink.emit(conversationId, { type: 'turn.error', turnId, ...failure.toWire() });
      logger.warn({ err: failure, code: failure.code }, 'turn failed');
    }
  }
}
