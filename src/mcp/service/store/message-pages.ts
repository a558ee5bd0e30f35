import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ConversationView, MessageView } from '../../../common/protocol.ts';
import { toMessage, type MessageRow } from './message-rows.ts';

/** Some of a conversation's messages, oldest first, and how many come before them. */
export interface MessagePage {
  messages: MessageView[];
  /** Messages stored before the first of `messages`. */
  earlier: number;
}

/** A conversation with a page of its messages: a snapshot, a REST answer, a turn's history. */
export interface ConversationPageView extends MessagePage {
  conversation: ConversationView;
}

export interface PageRequest {
  /** At most this many messages. */
  limit: number;
  /** At most this many bytes of stored content, but always at least one message. */
  maxBytes: number;
  /** Only messages older than this one (a message id); without it, the newest. */
  before?: string | undefined;
}

type SizedRow = MessageRow & { bytes: number; position: number };

/** A conversation's rows before a rowid, newest first, with their content's size in bytes. */
export const newestRows = `SELECT *, rowid AS position, length(CAST(content AS BLOB)) AS bytes
  FROM messages WHERE conversation_id = ? AND rowid < ? ORDER BY rowid DESC LIMIT ?`;

/** Past every rowid a message can have. */
const end = Number.MAX_SAFE_INTEGER;

/**
 * Reads a conversation from its newest end: the tail a turn sends its model, and pages for
 * clients. Rows are read newest first through the `(conversation_id)` index, whose entries are
 * ordered by rowid, and reading stops at the limit or at the first row past the byte budget,
 * so a page of a long conversation costs what the page costs (plus one count over the index).
 */
export class MessagePages {
  readonly #newest: StatementSync;
  readonly #countBefore: StatementSync;
  readonly #position: StatementSync;

  constructor(db: DatabaseSync) {
    this.#newest = db.prepare(newestRows);
    this.#countBefore = db.prepare(
      'SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND rowid < ?',
    );
    this.#position = db.prepare(
      'SELECT rowid AS position FROM messages WHERE id = ? AND conversation_id = ?',
    );
  }

  /**
   * The newest messages whose stored content takes at most `maxBytes` together, starting at a
   * user message (a reply without its question is left out with what came before).
   */
  recent(conversationId: string, maxBytes: number): MessagePage {
    const rows: SizedRow[] = [];
    let bytes = 0;
    for (const row of this.#rows(conversationId, end, -1)) {
      bytes += row.bytes;
      if (bytes > maxBytes) break;
      rows.push(row);
    }
    while (rows.length > 0 && rows.at(-1)?.role !== 'user') rows.pop();
    return this.#page(conversationId, rows, end);
  }

  /** A page for a client; undefined when `before` is not a message of the conversation. */
  page(conversationId: string, request: PageRequest): MessagePage | undefined {
    let from = end;
    if (request.before !== undefined) {
      const found = this.#position.get(request.before, conversationId) as
        { position: number } | undefined;
      if (!found) return undefined;
      from = found.position;
    }
    const rows: SizedRow[] = [];
    let bytes = 0;
    for (const row of this.#rows(conversationId, from, request.limit)) {
      bytes += row.bytes;
      if (rows.length > 0 && bytes > request.maxBytes) break;
      rows.push(row);
    }
    return this.#page(conversationId, rows, from);
  }

  /** Newest first, at most `limit` rows (-1: no limit). */
  #rows(conversationId: string, before: number, limit: number): Iterable<SizedRow> {
    return this.#newest.iterate(conversationId, before, limit) as Iterable<SizedRow>;
  }

  /** `rows` newest first, read from just before `from`. */
  #page(conversationId: string, rows: SizedRow[], from: number): MessagePage {
    const oldest = rows.at(-1)?.position ?? from;
    const { n } = this.#countBefore.get(conversationId, oldest) as { n: number };
    return { messages: rows.reverse().map(toMessage), earlier: n };
  }
}
