import { messagePages, type ConversationView } from '../../../common/protocol.ts';
import { ErrorCode, HearthError } from '../../../common/errors.ts';
import type {
  ConversationPageView,
  MessageUpdate,
  RecentMessages,
} from '../store/conversation-store.ts';
import type { TurnRecord, TurnStore } from '../store/turn-store.ts';
import type { CentralClient } from './central-client.ts';

/**
 * A page as the central service answers it. One older than its gateways ignores `limit` and
 * `before` and answers every message without `earlier`: refused, rather than shown as a page.
 */
function paged(detail: ConversationPageView): ConversationPageView {
  if (Number.isInteger(detail.earlier)) return detail;
  throw new HearthError(
    ErrorCode.unavailable,
    'The central service is older than this gateway and cannot page messages: upgrade it',
  );
}

/**
 * The router's store on a split gateway: every read and write goes to the central service,
 * the only writer of the database. Writes of one reply go one after another (the lifecycle
 * chains them), so they land in order.
 */
export class RemoteTurnStore implements TurnStore {
  readonly #client: CentralClient;
  /**
   * A read under way, shared by the reads of one step: `getConversation` asks for the tail
   * the last turn wanted, so that `recentMessages` right after it, for a turn of the same
   * profile, needs no second round trip.
   */
  readonly #reading = new Map<
    string,
    { maxBytes: number; read: Promise<ConversationPageView | undefined> }
  >();
  #lastMaxBytes = 0;

  constructor(client: CentralClient) {
    this.#client = client;
  }

  async getConversation(id: string): Promise<ConversationView | undefined> {
    return (await this.#history(id, this.#lastMaxBytes))?.conversation;
  }

  async recentMessages(conversationId: string, maxBytes: number): Promise<RecentMessages> {
    this.#lastMaxBytes = maxBytes;
    const history = await this.#history(conversationId, maxBytes);
    return history
      ? { messages: history.messages, earlier: history.earlier }
      : { messages: [], earlier: 0 };
  }

  /**
   * The conversation with its newest `limit` messages (the default page without it), for a
   * snapshot; undefined when there is none.
   */
  async detail(
    id: string,
    limit: number = messagePages.messages,
  ): Promise<ConversationPageView | undefined> {
    return this.#absentIfUnknown(
      this.#client
        .get<ConversationPageView>(`/conversations/${encodeURIComponent(id)}?limit=${limit}`)
        .then(paged),
    );
  }

  /**
   * The messages just before `before` (rejects `unknown_conversation` or `unknown_message`).
   */
  async page(id: string, before: string, limit: number): Promise<ConversationPageView> {
    const query = new URLSearchParams({ before, limit: String(limit) });
    return paged(
      await this.#client.get<ConversationPageView>(
        `/conversations/${encodeURIComponent(id)}?${query.toString()}`,
      ),
    );
  }

  async openTurn(record: TurnRecord): Promise<void> {
    await this.#client.post('/cluster/turns', record);
  }

  async updateMessage(id: string, update: MessageUpdate): Promise<void> {
    await this.#client.put(`/cluster/messages/${encodeURIComponent(id)}`, update);
  }

  #history(id: string, maxBytes: number): Promise<ConversationPageView | undefined> {
    const reading = this.#reading.get(id);
    if (reading?.maxBytes === maxBytes) return reading.read;
    const read = this.#absentIfUnknown(
      this.#client.get<ConversationPageView>(
        `/cluster/conversations/${encodeURIComponent(id)}/history?maxBytes=${maxBytes}`,
      ),
    );
    this.#reading.set(id, { maxBytes, read });
    // Kept until the step that asked has read it twice, no longer.
    const forget = () => setImmediate(() => this.#reading.delete(id));
    read.then(forget, forget);
    return read;
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
