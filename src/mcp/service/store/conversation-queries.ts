import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ConversationView } from '../../../common/protocol.ts';

/** Where a page of conversations resumes: just after this one, in newest-first order. */
export interface PageCursor {
  updatedAt: string;
  id: string;
}

export interface ConversationPage {
  conversations: ConversationView[];
  /** Where the next page starts, or null on the last page. */
  next: PageCursor | null;
}

/** A conversation whose title matched, or one of its messages whose text matched. */
export type SearchHit =
  | {
      kind: 'title';
      conversationId: string;
      title: string;
      updatedAt: string;
    }
  | {
      kind: 'message';
      conversationId: string;
      title: string;
      messageId: string;
      role: 'user' | 'assistant';
      /** Plain text around the match, `…` where it was cut. */
      snippet: string;
      createdAt: string;
    };

export interface ConversationRow {
  id: string;
  title: string;
  profile: string | null;
  created_at: string;
  updated_at: string;
}

export function toConversation(row: ConversationRow): ConversationView {
  return {
    id: row.id,
    title: row.title,
    profile: row.profile,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const conversationColumns = 'id, title, profile, created_at, updated_at';
/** Search terms beyond this many are ignored. */
const maxTerms = 16;

/**
 * An FTS5 query from what a person typed: each word becomes a quoted prefix term (so no FTS
 * syntax gets through) and all must match. Undefined when nothing searchable is left.
 */
export function toFtsQuery(text: string): string | undefined {
  const terms = text
    .split(/\s+/u)
    .filter((term) => /[\p{L}\p{N}]/u.test(term))
    .slice(0, maxTerms)
    .map((term) => `"${term.replaceAll('"', '""')}"*`);
  return terms.length === 0 ? undefined : terms.join(' ');
}

/**
 * The queries behind the REST API's conversation routes: newest-first keyset paging, rename,
 * delete (messages go with their conversation by ON DELETE CASCADE) and full-text search over
 * the FTS5 indexes of migration 2.
 */
export class ConversationQueries {
  readonly #statements: Record<string, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#statements = {
      firstPage: db.prepare(
        `SELECT ${conversationColumns} FROM conversations ORDER BY updated_at DESC, id DESC LIMIT ?`,
      ),
      nextPage: db.prepare(
        `SELECT ${conversationColumns} FROM conversations WHERE (updated_at, id) < (?, ?)
         ORDER BY updated_at DESC, id DESC LIMIT ?`,
      ),
      rename: db.prepare(
        `UPDATE conversations SET title = ? WHERE id = ? RETURNING ${conversationColumns}`,
      ),
      delete: db.prepare('DELETE FROM conversations WHERE id = ?'),
      searchTitles: db.prepare(
        `SELECT c.id, c.title, c.updated_at FROM conversations_fts f
         JOIN conversations c ON c.rowid = f.rowid
         WHERE conversations_fts MATCH ? ORDER BY c.updated_at DESC LIMIT ?`,
      ),
      searchMessages: db.prepare(
        `SELECT m.id, m.conversation_id, m.role, m.created_at, c.title,
           snippet(messages_fts, 0, '', '', '…', 24) AS snippet
         FROM messages_fts f
         JOIN messages m ON m.rowid = f.rowid
         JOIN conversations c ON c.id = m.conversation_id
         WHERE messages_fts MATCH ? ORDER BY f.rank LIMIT ?`,
      ),
    };
  }

  #run(name: string): StatementSync {
    return this.#statements[name] as StatementSync;
  }

  listConversations(page: { limit: number; after?: PageCursor | undefined }): ConversationPage {
    // One more than asked tells whether another page follows.
    const rows = (page.after
      ? this.#run('nextPage').all(page.after.updatedAt, page.after.id, page.limit + 1)
      : this.#run('firstPage').all(page.limit + 1)) as unknown as ConversationRow[];
    const conversations = rows.slice(0, page.limit).map(toConversation);
    const last = conversations.at(-1);
    return {
      conversations,
      next: rows.length > page.limit && last ? { updatedAt: last.updatedAt, id: last.id } : null,
    };
  }

  renameConversation(id: string, title: string): ConversationView | undefined {
    const row = this.#run('rename').get(title, id) as ConversationRow | undefined;
    return row ? toConversation(row) : undefined;
  }

  deleteConversation(id: string): boolean {
    return Number(this.#run('delete').run(id).changes) > 0;
  }

  /**
   * Conversations whose title matches (newest first), then messages whose text matches (best
   * match first), `limit` hits in all. Every word must match, as a word or a word's start.
   */
  search(text: string, limit: number): SearchHit[] {
    const query = toFtsQuery(text);
    if (query === undefined) return [];
    const titles = (
      this.#run('searchTitles').all(query, limit) as unknown as Array<{
        id: string;
        title: string;
        updated_at: string;
      }>
    ).map((row): SearchHit => ({
      kind: 'title',
      conversationId: row.id,
      title: row.title,
      updatedAt: row.updated_at,
    }));
    if (titles.length >= limit) return titles;
    const messages = (
      this.#run('searchMessages').all(query, limit - titles.length) as unknown as Array<{
        id: string;
        conversation_id: string;
        role: 'user' | 'assistant';
        created_at: string;
        title: string;
        snippet: string;
      }>
    ).map((row): SearchHit => ({
      kind: 'message',
      conversationId: row.conversation_id,
      title: row.title,
      messageId: row.id,
      role: row.role,
      snippet: row.snippet,
      createdAt: row.created_at,
    }));
    return [...titles, ...messages];
  }
}
