import type { ProviderFinishReason } from '../adapters/provider.ts';
import { ErrorCode, toHearthError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { ContentPart, Usage } from '../common/protocol.ts';
import type { ConversationStore } from '../mcp/service/store/conversation-store.ts';
import { stopReasonOf, type ActiveTurn } from './active-turn.ts';
import type { EventSink } from './event-sink.ts';

export interface StreamTurnContext {
  turn: ActiveTurn;
  store: ConversationStore;
  sink: EventSink;
  logger: Logger;
  checkpointMs: number;
}

function contentOf(text: string): ContentPart[] {
  return text === '' ? [] : [{ type: 'text', text }];
}

/**
 * Streams one turn from its provider to the event sink. The reply's partial text is
 * checkpointed while it streams, and whatever ends the turn (the end of the stream, Stop, an
 * error, shutdown), the reply is persisted with its status before the last event goes out.
 */
export async function streamTurn(context: StreamTurnContext): Promise<void> {
  const { turn, store, sink, logger } = context;
  const { conversationId, turnId } = turn;
  const signal = turn.controller.signal;
  let usage: Usage | null = null;
  let finishReason: ProviderFinishReason = 'stop';
  let checkpointed = '';
  const checkpoint = setInterval(() => {
    if (turn.text === checkpointed) return;
    checkpointed = turn.text;
    store.updateMessage(turn.assistantMessageId, {
      content: contentOf(turn.text),
      status: 'streaming',
    });
  }, context.checkpointMs);
  checkpoint.unref();

  try {
    for await (const event of turn.provider.stream(turn.request, signal)) {
      if (signal.aborted) break;
      if (event.type === 'text') {
        if (event.text === '') continue;
        turn.text += event.text;
        sink.emit(conversationId, { type: 'text.delta', turnId, text: event.text });
      } else if (event.type === 'usage') {
        usage = event.usage;
      } else {
        finishReason = event.reason;
      }
    }
    if (signal.aborted) throw signal.reason;
    store.updateMessage(turn.assistantMessageId, {
      content: contentOf(turn.text),
      status: 'complete',
      usage,
    });
    sink.emit(conversationId, { type: 'turn.done', turnId, usage, finishReason });
    logger.info({ usage, finishReason, chars: turn.text.length }, 'turn done');
  } catch (error) {
    clearInterval(checkpoint);
    if (signal.aborted && stopReasonOf(signal) === 'cancelled') {
      store.updateMessage(turn.assistantMessageId, {
        content: contentOf(turn.text),
        status: 'cancelled',
        usage,
      });
      sink.emit(conversationId, { type: 'turn.done', turnId, usage, finishReason: 'cancelled' });
      logger.info({ chars: turn.text.length }, 'turn cancelled');
    } else if (signal.aborted) {
      const wire = {
        code: ErrorCode.interrupted,
        message: 'Hearth was shutting down; the partial reply is kept.',
      };
      store.updateMessage(turn.assistantMessageId, {
        content: contentOf(turn.text),
        status: 'interrupted',
        usage,
        error: wire,
      });
      sink.emit(conversationId, { type: 'turn.error', turnId, ...wire });
      logger.warn({ chars: turn.text.length }, 'turn interrupted by shutdown');
    } else {
      const failure = toHearthError(error);
      const wire = failure.toWire();
      store.updateMessage(turn.assistantMessageId, {
        content: contentOf(turn.text),
        status: 'failed',
        usage,
        error: wire,
      });
      sink.emit(conversationId, { type: 'turn.error', turnId, ...wire });
      logger.warn({ err: failure, code: failure.code, chars: turn.text.length }, 'turn failed');
    }
  } finally {
    clearInterval(checkpoint);
  }
}
