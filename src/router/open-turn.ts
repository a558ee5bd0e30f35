import { ErrorCode, HearthError } from '../common/errors.ts';
import { newId } from '../common/ids.ts';
import type { ConversationView, InputPart, MessageView } from '../common/protocol.ts';
import type { TurnStore } from '../mcp/service/store/turn-store.ts';
import { titleFrom } from './history.ts';

export interface OpenedTurn {
  conversationId: string;
  turnId: string;
  userMessageId: string;
  assistantMessageId: string;
  profile: { id: string; model: string };
  /** The conversation up to and including the new user message (not yet stored). */
  history: MessageView[];
  /**
   * Stores the start of the turn in one commit: the conversation when it is new, the user's
   * message and an empty reply marked `streaming`. Until then nothing is written, so a
   * provider request may already leave while this runs.
   */
  persist(): Promise<void>;
}

/**
 * Checks and prepares the start of a turn without writing anything: the conversation exists,
 * `profileFor` picks the profile once the conversation (if any) is known, and
 * the history the model will see is read.
 */
export async function openTurn(options: {
  store: TurnStore;
  conversationId: string | undefined;
  content: InputPart[];
  profileFor: (conversation: ConversationView | undefined) => { id: string; model: string };
}): Promise<OpenedTurn> {
  const { store, content } = options;
  let existing: ConversationView | undefined;
  if (options.conversationId !== undefined) {
    existing = await store.getConversation(options.conversationId);
    if (!existing)
      throw new HearthError(
        ErrorCode.unknownConversation,
        `No conversation ${options.conversationId}`,
      );
  }
  const profile = options.profileFor(existing);
  const conversationId = existing?.id ?? newId('c');
  const turnId = newId('t');
  const userMessageId = newId('m');
  const assistantMessageId = newId('m');
  const common = { conversationId, turnId, profile: profile.id };
  const user = {
    ...common,
    id: userMessageId,
    role: 'user' as const,
    content,
    status: 'complete' as const,
    model: null,
  };
  const earlier = existing ? await store.listMessages(existing.id) : [];
  const history: MessageView[] = [
    ...earlier,
    {
      ...user,
      turnId,
      profile: profile.id,
      usage: null,
      error: null,
      createdAt: new Date().toISOString(),
    },
  ];
  return {
    conversationId,
    turnId,
    userMessageId,
    assistantMessageId,
    profile,
    history,
    persist: () =>
      store.openTurn({
        ...(!existing && {
          newConversation: { id: conversationId, title: titleFrom(content), profile: profile.id },
        }),
        user,
        reply: {
          ...common,
          id: assistantMessageId,
          role: 'assistant',
          content: [],
          status: 'streaming',
          model: profile.model,
        },
      }),
  };
}
