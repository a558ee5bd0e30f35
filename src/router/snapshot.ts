import { ErrorCode, HearthError } from '../common/errors.ts';
import { messagePages, type MessageView } from '../common/protocol.ts';
import type {
  ConversationLibrary,
  ConversationPageView,
  MessagePage,
} from '../mcp/service/store/conversation-store.ts';
import type { Router } from './router.ts';

/** What a `snapshot` frame carries besides its seq: the newest messages, oldest first. */
export type ConversationSnapshot = ConversationPageView;

/**
 * The newest `limit` messages of a conversation as stored (within the page's byte budget),
 * with a reply still streaming here shown as far as it has come (storage holds only its last
 * checkpoint). A running reply is the conversation's newest message, so it is always there.
 */
export function conversationSnapshot(
  store: Pick<ConversationLibrary, 'getConversation' | 'messagePage'>,
  router: Pick<Router, 'replyInProgress'>,
  conversationId: string,
  limit: number = messagePages.messages,
): ConversationSnapshot | undefined {
  const conversation = store.getConversation(conversationId);
  if (!conversation) return undefined;
  const page = store.messagePage(conversationId, { limit, maxBytes: messagePages.bytes });
  if (!page) return undefined;
  const active = router.replyInProgress(conversationId);
  if (!active) return { conversation, ...page };
  const messages = page.messages.map((message) =>
    message.id === active.messageId ? { ...message, content: active.content } : message,
  );
  return { conversation, ...withinBytes(messages, page.earlier, messagePages.bytes) };
}

/**
 * A page whose running reply was replaced by its live content, which may have outgrown its
 * stored checkpoint (a long tool result since the last one), brought back within `maxBytes` of
 * content: its oldest messages go to `earlier`, never the newest one.
 */
export function withinBytes(
  messages: MessageView[],
  earlier: number,
  maxBytes: number,
): MessagePage {
  const sizes = messages.map((message) => Buffer.byteLength(JSON.stringify(message.content)));
  let total = sizes.reduce((sum, size) => sum + size, 0);
  let drop = 0;
  while (total > maxBytes && drop < messages.length - 1) total -= sizes[drop++] ?? 0;
  return drop === 0
    ? { messages, earlier }
    : { messages: messages.slice(drop), earlier: earlier + drop };
}

/**
 * The `limit` messages just before message `before`, for a client paging back from a snapshot
 * (within the page's byte budget). None of them is a running reply: that is always the newest.
 */
export function olderMessages(
  store: Pick<ConversationLibrary, 'getConversation' | 'messagePage'>,
  conversationId: string,
  before: string,
  limit: number,
): MessagePage {
  if (!store.getConversation(conversationId))
    throw new HearthError(ErrorCode.unknownConversation, `No conversation ${conversationId}`);
  const page = store.messagePage(conversationId, { limit, maxBytes: messagePages.bytes, before });
  if (!page)
    throw new HearthError(
      ErrorCode.unknownMessage,
      `No message ${before} in conversation ${conversationId}`,
    );
  return page;
}
