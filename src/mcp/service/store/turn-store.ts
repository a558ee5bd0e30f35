import type { ConversationView } from '../../../common/protocol.ts';
import type { MessageUpdate, NewMessage, RecentMessages } from './conversation-store.ts';

/** The start of a turn, written in one commit. */
export interface TurnRecord {
  /** Present when the turn starts a conversation. */
  newConversation?: { id: string; title: string; profile: string | null };
  /** The user's message, complete. */
  user: NewMessage;
  /** The reply, empty and `streaming` until the turn ends. */
  reply: NewMessage;
}

/**
 * What the router needs from the central service's storage. Asynchronous, so the same router
 * runs on the database in its own process (embedded) or over REST (a split gateway).
 */
export interface TurnStore {
  getConversation(id: string): Promise<ConversationView | undefined>;
  /** The newest messages within `maxBytes` of stored content (SqliteConversationStore.recentMessages). */
  recentMessages(conversationId: string, maxBytes: number): Promise<RecentMessages>;
  /**
   * Stores the start of a turn: the conversation when new, the user's message and the empty
   * reply, all or nothing. Rejects with `busy` when another reply in the conversation still
   * streams (a turn on another gateway).
   */
  openTurn(record: TurnRecord): Promise<void>;
  /** Updates a reply as it grows and when it ends; calls for one reply land in order. */
  updateMessage(id: string, update: MessageUpdate): Promise<void>;
}
