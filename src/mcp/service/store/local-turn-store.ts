import type { TurnRecord, TurnStore } from './turn-store.ts';
import type { SqliteConversationStore } from './conversation-store.ts';

/** Writes the start of a turn in one transaction (the embedded store, and the central's). */
export function writeTurnRecord(store: SqliteConversationStore, record: TurnRecord): void {
  store.writeTurn(record);
}

/**
 * The router's store in the process that holds the database: every call is synchronous
 * underneath, so a turn's writes land in call order.
 */
export function localTurnStore(store: SqliteConversationStore): TurnStore {
  return {
    getConversation: (id) => settle(() => store.getConversation(id)),
    recentMessages: (id, maxBytes) => settle(() => store.recentMessages(id, maxBytes)),
    openTurn: (record) => settle(() => writeTurnRecord(store, record)),
    updateMessage: (id, update) => settle(() => store.updateMessage(id, update)),
  };
}

/** The result of synchronous work as a promise; what it throws, as a rejection. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
