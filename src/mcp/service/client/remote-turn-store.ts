import type { ConversationView, MessageView } from '../../../common/protocol.ts';
import { ErrorCode, HearthError } from '../../../common/errors.ts';
import type { MessageUpdate, RecentMessages } from '../store/conversation-store.ts';
import type { TurnRecord, TurnStore } from '../store/turn-store.ts';
import type { CentralClient } from './central-client.ts';

interface History extends RecentMessages {
  conversation: ConversationView;
}

/**
 * The router's store on a split gateway: every read and write goes to the central service,
 * the only writer of the database. Writes of one reply go one after another (the lifecycle
 * chains them), so they land in order.
 */
export class RemoteTurnStore implements TurnStore {
  readonly #client: CentralClient;

  constructor(client: CentralClient) {
    this.#client = client;
  }

  async getConversation(id: string): Promise<ConversationView | undefined> {
    return (await this.#history(id, 0))?.conversation;
  }

  async recentMessages(conversationId: string, maxBytes: number): Promise<RecentMessages> {
    const history = await this.#history(conversationId, maxBytes);
    return history
      ? { messages: history.messages, earlier: history.earlier }
      : { messages: [], earlier: 0 };
  }

  /** The conversation with every message, for a snapshot; undefined when there is none. */
  async detail(
    id: string,
  ): Promise<{ conversation: ConversationView; messages: MessageView[] } | undefined> {
    return this.#absentIfUnknown(
      this.#client.get<{ conversation: ConversationView; messages: MessageView[] }>(
        `/conversations/${encodeURIComponent(id)}`,
      ),
    );
  }

  async openTurn(record: TurnRecord): Promise<void> {
    await this.#client.post('/cluster/turns', record);
  }

  async updateMessage(id: string, update: MessageUpdate): Promise<void> {
    await this.#client.put(`/cluster/messages/${encodeURIComponent(id)}`, update);
  }

  #history(id: string, maxBytes: number): Promise<History | undefined> {
    return this.#absentIfUnknown(
      this.#client.get<History>(
        `/cluster/conversations/${encodeURIComponent(id)}/history?maxBytes=${maxBytes}`,
      ),
    );
  }

  async #absentIfUnknown<T>(read: Promise<T>): Promise<T | undefined> {
    try {
      return await read;
    } catch (error) {
      if (error instanceof HearthError && error.code === ErrorCode.unknownConversation)
        return undefined;
      throw error;
    }
  }
}
