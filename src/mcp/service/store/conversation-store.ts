import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type {
  ContentPart,
  ConversationView,
  MessageStatus,
  MessageView,
  Usage,
} from '../../../common/protocol.ts';
import {
  ConversationQueries,
  toConversation,
  type ConversationPage,
  type ConversationRow,
  type PageCursor,
  type SearchHit,
} from './conversation-queries.ts';
import { inTransaction } from './database.ts';
import { SearchIndex, type SearchIndexOptions } from './search-index.ts';
import { toMessage, type MessageRow } from './message-rows.ts';
import { MessagePages, type MessagePage, type PageRequest } from './message-pages.ts';
import type { TurnRecord } from './turn-store.ts';

export type { ConversationPage, PageCursor, SearchHit } from './conversation-queries.ts';
export type { ConversationPageView, MessagePage, PageRequest } from './message-pages.ts';

/** What the router needs from storage: conversations and their messages. */
export interface ConversationStore {
  createConversation(input: {
    id: string;
    title: string;
    profile: string | null;
  }): ConversationView;
  getConversation(id: string): ConversationView | undefined;
  listMessages(conversationId: string): MessageView[];
  insertMessage(input: NewMessage): MessageView;
  updateMessage(id: string, update: MessageUpdate): void;
  /** Seq the conversation's event numbering restarts from; undefined for an unknown conversation. */
  lastSeq(conversationId: string): number | undefined;
  setLastSeq(conversationId: string, seq: number): void;
  /**
   * Marks replies left `streaming` by a crash as `interrupted` (with `updatedBefore`, only those
   * not written since then); returns how many.
   */
  interruptStreaming(options?: { updatedBefore?: string; message?: string }): number;
  /** Runs `work` as one transaction: all its writes land together, with one commit. */
  transaction<T>(work: () => T): T;
}

/** What the REST API needs: conversations to browse, rename, delete and search. */
export interface ConversationLibrary {
  getConversation(id: string): ConversationView | undefined;
  listMessages(conversationId: string): MessageView[];
  /**
   * The newest messages (before `before`, when given), oldest first; undefined when `before` is
   * not a message of the conversation.
   */
  messagePage(conversationId: string, request: PageRequest): MessagePage | undefined;
  /** Newest `updatedAt` first; `after` resumes just past a conversation of an earlier page. */
  listConversations(page: { limit: number; after?: PageCursor | undefined }): ConversationPage;
  /** The renamed conversation, or undefined when there is no such conversation. */
  renameConversation(id: string, title: string): ConversationView | undefined;
  /** Deletes the conversation and its messages; false when there was none. */
  deleteConversation(id: string): boolean;
  /** Titles, then message text, matching every word of `text`; `limit` hits in all. */
  searchMessages(text: string, limit: number): SearchHit[];
}

export interface NewMessage {
  id: string;
  conversationId: string;
  turnId: string;
  role: 'user' | 'assistant';
  content: ContentPart[];
  status: MessageStatus;
  profile: string | null;
  model: string | null;
}

/** The tail of a conversation (see `recentMessages`). */
export type RecentMessages = MessagePage;

export interface MessageUpdate {
  content: ContentPart[];
  status: MessageStatus;
  usage?: Usage | null;
  error?: { code: string; message: string } | null;
}

/**
 * ConversationStore and ConversationLibrary on node:sqlite; statements are prepared once. The
 * search index follows writes shortly after their commit (see SearchIndex); search itself
 * first catches it up, so it finds everything written before it.
 */
export class SqliteConversationStore implements ConversationStore, ConversationLibrary {
  readonly #statements: Record<string, StatementSync>;
  readonly #db: DatabaseSync;
  readonly #queries: ConversationQueries;
  readonly #pages: MessagePages;
  readonly searchIndex: SearchIndex;

  constructor(db: DatabaseSync, options: { searchIndex?: SearchIndexOptions } = {}) {
    this.#db = db;
    this.#queries = new ConversationQueries(db);
    this.#pages = new MessagePages(db);
    this.searchIndex = new SearchIndex(db, options.searchIndex);
    // Rows a crash left unindexed (their notes committed with them) are indexed shortly.
    this.searchIndex.soon();
    this.#statements = {
      insertConversation: db.prepare(
        'INSERT INTO conversations (id, title, profile, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      ),
      getConversation: db.prepare(
        'SELECT id, title, profile, created_at, updated_at FROM conversations WHERE id = ?',
      ),
      touchConversation: db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?'),
      listMessages: db.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY rowid'),
      insertMessage: db.prepare(
        `INSERT INTO messages (id, conversation_id, turn_id, role, content, status, profile, model, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateMessage: db.prepare(
        `UPDATE messages SET content = ?, status = ?, input_tokens = ?, output_tokens = ?, error_code = ?,
         error_message = ?, updated_at = ? WHERE id = ?`,
      ),
      lastSeq: db.prepare('SELECT last_seq FROM conversations WHERE id = ?'),
      setLastSeq: db.prepare('UPDATE conversations SET last_seq = ? WHERE id = ?'),
      streamingSince: db.prepare(
        "SELECT max(updated_at) AS at FROM messages WHERE conversation_id = ? AND status = 'streaming'",
      ),
      interruptStreaming: db.prepare(
        "UPDATE messages SET status = 'interrupted', error_code = 'interrupted', error_message = ? WHERE status = 'streaming' AND updated_at < ?",
      ),
    };
  }

  #run(name: string): StatementSync {
    return this.#statements[name] as StatementSync;
  }

  createConversation(input: {
    id: string;
    title: string;
    profile: string | null;
  }): ConversationView {
    const now = new Date().toISOString();
    this.#run('insertConversation').run(input.id, input.title, input.profile, now, now);
    this.searchIndex.soon();
    return {
      id: input.id,
      title: input.title,
      profile: input.profile,
      createdAt: now,
      updatedAt: now,
    };
  }

  getConversation(id: string): ConversationView | undefined {
    const row = this.#run('getConversation').get(id) as ConversationRow | undefined;
    return row ? toConversation(row) : undefined;
  }

  listMessages(conversationId: string): MessageView[] {
    return (this.#run('listMessages').all(conversationId) as unknown as MessageRow[]).map(
      toMessage,
    );
  }

  /**
   * The newest messages whose stored content takes at most `maxBytes` together, oldest first,
   * starting at a user message, and how many earlier ones there are (see `MessagePages`).
   */
  recentMessages(conversationId: string, maxBytes: number): RecentMessages {
    return this.#pages.recent(conversationId, maxBytes);
  }

  messagePage(conversationId: string, request: PageRequest): MessagePage | undefined {
    return this.#pages.page(conversationId, request);
  }

  insertMessage(input: NewMessage): MessageView {
    const now = new Date().toISOString();
    this.#insertMessage(input, now);
    this.#run('touchConversation').run(now, input.conversationId);
    return {
      id: input.id,
      turnId: input.turnId,
      role: input.role,
      content: input.content,
      status: input.status,
      profile: input.profile,
      model: input.model,
      usage: null,
      error: null,
      createdAt: now,
    };
  }

  /**
   * The start of a turn in one commit: the conversation when new, the user's message and the
   * empty reply, with one timestamp, and the conversation touched once at most.
   */
  writeTurn(record: TurnRecord): void {
    this.transaction(() => {
      const now = new Date().toISOString();
      const { newConversation: created, user, reply } = record;
      if (created) {
        this.#run('insertConversation').run(created.id, created.title, created.profile, now, now);
      }
      this.#insertMessage(user, now);
      this.#insertMessage(reply, now);
      if (!created) this.#run('touchConversation').run(now, user.conversationId);
    });
  }

  #insertMessage(input: NewMessage, now: string): void {
    this.#run('insertMessage').run(
      input.id,
      input.conversationId,
      input.turnId,
      input.role,
      JSON.stringify(input.content),
      input.status,
      input.profile,
      input.model,
      now,
      now,
    );
    this.searchIndex.soon();
  }

  updateMessage(id: string, update: MessageUpdate): void {
    this.#run('updateMessage').run(
      JSON.stringify(update.content),
      update.status,
      update.usage?.inputTokens ?? null,
      update.usage?.outputTokens ?? null,
      update.error?.code ?? null,
      update.error?.message ?? null,
      new Date().toISOString(),
      id,
    );
    this.searchIndex.soon();
  }

  lastSeq(conversationId: string): number | undefined {
    const row = this.#run('lastSeq').get(conversationId) as { last_seq: number } | undefined;
    return row?.last_seq;
  }

  setLastSeq(conversationId: string, seq: number): void {
    this.#run('setLastSeq').run(seq, conversationId);
  }

  /** When a reply still streaming in the conversation was last written, if one is. */
  streamingSince(conversationId: string): string | undefined {
    const row = this.#run('streamingSince').get(conversationId) as { at: string | null };
    return row.at ?? undefined;
  }

  interruptStreaming(options: { updatedBefore?: string; message?: string } = {}): number {
    const result = this.#run('interruptStreaming').run(
      options.message ?? 'Hearth stopped while this reply was streaming',
      // Every timestamp sorts before this one.
      options.updatedBefore ?? '\uffff',
    );
    const changed = Number(result.changes);
    // Replies that stop streaming become searchable (migration 6).
    if (changed > 0) this.searchIndex.soon();
    return changed;
  }

  listConversations(page: { limit: number; after?: PageCursor | undefined }): ConversationPage {
    return this.#queries.listConversations(page);
  }

  renameConversation(id: string, title: string): ConversationView | undefined {
    const renamed = this.#queries.renameConversation(id, title);
    this.searchIndex.soon();
    return renamed;
  }

  deleteConversation(id: string): boolean {
    return this.#queries.deleteConversation(id);
  }

  searchMessages(text: string, limit: number): SearchHit[] {
    this.searchIndex.flush();
    return this.#queries.search(text, limit);
  }

  transaction<T>(work: () => T): T {
    return inTransaction(this.#db, work);
  }
}
