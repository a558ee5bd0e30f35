import { ErrorCode, HearthError } from '../../common/errors.ts';
import { messagePages, type TurnEvent } from '../../common/protocol.ts';
import { withinBytes, type ConversationSnapshot } from '../../router/snapshot.ts';
import { foldReply } from './fold-reply.ts';
import type { RedisEvents } from './redis-events.ts';

/** What a split gateway reads from the central service about conversations. */
export interface ConversationSource {
  /**
   * The stored conversation and its newest `limit` messages (the default page without it);
   * undefined when there is no such conversation.
   */
  detail(conversationId: string, limit?: number): Promise<ConversationSnapshot | undefined>;
  /** The seq the conversation has reserved (rejects `unknown_conversation`). */
  reserved(conversationId: string): Promise<number>;
}

/**
 * A `snapshot` frame of the conversation as of `seq`: the stored messages, with a reply still
 * streaming (on any gateway) rebuilt from its turn's events up to `seq`, since storage holds
 * only its last checkpoint. When the Stream no longer has the turn's start, the checkpoint is
 * what there is.
 */
export async function snapshotAt(options: {
  events: RedisEvents;
  source: ConversationSource;
  conversationId: string;
  seq: number;
  /** The newest messages the snapshot carries at most. */
  limit?: number | undefined;
}): Promise<string> {
  const { events, source, conversationId, seq } = options;
  const [detail, turnStart] = await Promise.all([
    source.detail(conversationId, options.limit),
    events.runningTurnStart(conversationId),
  ]);
  if (!detail)
    throw new HearthError(ErrorCode.unknownConversation, `No conversation ${conversationId}`);
  let { messages, earlier } = detail;
  if (turnStart !== undefined && turnStart <= seq) {
    const turnEvents = await events.range(conversationId, turnStart - 1, seq);
    const started = turnEvents?.[0] && (JSON.parse(turnEvents[0].frame) as TurnEvent);
    if (turnEvents && started && started.type === 'turn.started') {
      const content = foldReply(turnEvents.map((e) => e.frame));
      const replaced = messages.map((m) =>
        m.id === started.assistantMessageId ? { ...m, content } : m,
      );
      ({ messages, earlier } = withinBytes(replaced, earlier, messagePages.bytes));
    }
  }
  return JSON.stringify({
    type: 'snapshot',
    conversationId,
    seq,
    conversation: detail.conversation,
    messages,
    earlier,
  });
}
