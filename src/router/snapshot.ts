import type { ConversationView, MessageView } from '../common/protocol.ts';
import type { ConversationLibrary } from '../mcp/service/store/conversation-store.ts';
import type { Router } from './router.ts';

/**
 * A conversation as stored, with a reply still streaming here shown as far as it has come
 * (storage holds only its last checkpoint).
 */
export function conversationSnapshot(
  store: Pick<ConversationLibrary, 'getConversation' | 'listMessages'>,
  router: Pick<Router, 'replyInProgress'>,
  conversationId: string,
): { conversation: ConversationView; messages: MessageView[] } | undefined {
  const conversation = store.getConversation(conversationId);
  if (!conversation) return undefined;
  const active = router.replyInProgress(conversationId);
  const messages = store
    .listMessages(conversationId)
    .map((message) =>
      active && message.id === active.messageId ? { ...message, content: active.content } : message,
    );
  return { conversation, messages };
}
