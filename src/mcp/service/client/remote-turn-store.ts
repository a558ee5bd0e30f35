import type { ConversationView, MessageView } from '../../../common/protocol.ts';
import { ErrorCode, HearthError } from '../../../common/errors.ts';
import type { MessageUpdate } from '../store/conversation-store.ts';
import type { TurnRecord, TurnStore } from '../store/turn-store.ts';
import type { CentralClient } from './central-client.ts';

interface Detail {
  conversation: ConversationView;
  messages: MessageView[];
}

/**
 * The router's store on a split gateway: every read and write goes to the central service,
 * the only writer of the database. Writes of one reply go one after another (the lifecycle
 * chains them), so they land in order.
 */
export class RemoteTurnStore implements TurnStore {
  readonly #client: CentralClient;
  /** A detail being read, shared by the reads of one step (conversation, then its messages). */
  readonly #reading = new Map<string, Promise<Detail | undefined>>();

  constructor(client: CentralClient) {
    this.#client = client;
  }

  async getConversation(id: string): Promise<ConversationView | undefined> {
    return (await this.#detail(id))?.conversation;
  }

  async listMessages(conversationId: string): Promise<MessageView[]> {
    return (await this.#detail(conversationId))?.messages ?? [];
  }

  async openTurn(record: TurnRecord): Promise<void> {
    await this.#client.post('/cluster/turns', record);
  }

  async updateMessage(id: string, update: MessageUpdate): Promise<void> {
    await this.#client.put(`/cluster/messages/${encodeURIComponent(id)}`, update);
  }

  #detail(id: string): Promise<Detail | undefined> {
    const reading = this.#reading.get(id);
    if (reading) return reading;
    const read = this.#client
      .get<Detail>(`/conversations/${encodeURIComponent(id)}`)
      .catch((error: unknown) => {
        if (error instanceof HearthError && error.code === ErrorCode.unknownConversation)
          return undefined;
        throw error;
      });
    this.#reading.set(id, read);
    // Kept until the step that asked has read it twice, no longer.
    const forget = () => setImmediate(() => this.#reading.delete(id));
    read.then(forget, forget);
    return read;
  }
}
