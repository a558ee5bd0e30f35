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
  /**
   * The conversation's newest messages (as many as `historyBytes` allows), then the new user
   * message (not yet stored).
   */
  history: MessageView[];
  /** Stored messages before the first of `history`, not read. */
  earlier: number;
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
  /**
   * The profile for the conversation (if any), and how many bytes of stored messages the turn
   * can use at most (0 for none).
   */
  profileFor: (conversation: ConversationView | undefined) => {
    id: string;
    model: string;
    historyBytes: number;
  };
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
  const recent =
    existing && profile.historyBytes > 0
      ? await store.recentMessages(existing.id, profile.historyBytes)
      : { messages: [], earlier: 0 };
  const history: MessageView[] = [
    ...recent.messages,
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
    profile: { id: profile.id, model: profile.model },
    history,
    earlier: recent.earlier,
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
