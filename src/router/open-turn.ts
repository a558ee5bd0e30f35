import { ErrorCode, HearthError } from '../common/errors.ts';
import { newId } from '../common/ids.ts';
import type { ConversationView, InputPart, MessageView } from '../common/protocol.ts';
import type { ConversationStore } from '../mcp/service/store/conversation-store.ts';
import { titleFrom } from './history.ts';

export interface OpenedTurn {
  conversation: ConversationView;
  turnId: string;
  userMessageId: string;
  assistantMessageId: string;
  /** The conversation up to and including the new user message. */
  history: MessageView[];
}

/**
 * Persists the start of a turn: the conversation when it is new, the user's message, and an
 * empty reply marked `streaming`, so that the request can be acknowledged and a crash leaves a
 * trace. `profileFor` picks the profile once the conversation (if any) is known.
 */
export function openTurn(options: {
  store: ConversationStore;
  conversationId: string | undefined;
  content: InputPart[];
  isBusy: (conversationId: string) => boolean;
  profileFor: (conversation: ConversationView | undefined) => { id: string; model: string };
}): OpenedTurn & { profile: { id: string; model: string } } {
  const { store } = options;
  let conversation: ConversationView | undefined;
  if (options.conversationId !== undefined) {
    conversation = store.getConversation(options.conversationId);
    if (!conversation)
      throw new HearthError(
        ErrorCode.unknownConversation,
        `No conversation ${options.conversationId}`,
      );
    if (options.isBusy(conversation.id)) {
      throw new HearthError(
        ErrorCode.busy,
        'A reply is still streaming in this conversation; stop it or wait for it',
      );
    }
  }
  const profile = options.profileFor(conversation);
  // One commit for the conversation, the user's message and the empty reply.
  return store.transaction(() => persistStart(store, conversation, profile, options.content));
}

function persistStart(
  store: ConversationStore,
  existing: ConversationView | undefined,
  profile: { id: string; model: string },
  content: InputPart[],
): OpenedTurn & { profile: { id: string; model: string } } {
  const conversation =
    existing ??
    store.createConversation({
      id: newId('c'),
      title: titleFrom(content),
      profile: profile.id,
    });
  const turnId = newId('t');
  const common = { conversationId: conversation.id, turnId, profile: profile.id };
  const user = store.insertMessage({
    ...common,
    id: newId('m'),
    role: 'user',
    content: content,
    status: 'complete',
    model: null,
  });
  const history = store.listMessages(conversation.id);
  const assistant = store.insertMessage({
    ...common,
    id: newId('m'),
    role: 'assistant',
    content: [],
    status: 'streaming',
    model: profile.model,
  });
  return {
    conversation,
    turnId,
    userMessageId: user.id,
    assistantMessageId: assistant.id,
    history,
    profile,
  };
}
