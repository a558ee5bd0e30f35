import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteConversationStore } from './conversation-store.ts';
import { openDatabase } from './database.ts';
import { migrations } from './migrations.ts';
import type { SearchIndexOptions } from './search-index.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hearth-search-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** A store on a database file in `dataDir`; the index catches up 5 ms after a write. */
function open(options: SearchIndexOptions = {}) {
  const db = openDatabase({ dataDir });
  const store = new SqliteConversationStore(db, { searchIndex: { delayMs: 5, ...options } });
  return { db, store };
}

let turns = 0;
/** Stores the start of a turn in a new conversation: the user's `text`, an empty reply. */
function startTurn(store: SqliteConversationStore, text: string) {
  turns += 1;
  const conversationId = `c_${turns}`;
  const common = { conversationId, turnId: `t_${turns}`, profile: 'default' };
  store.writeTurn({
    newConversation: { id: conversationId, title: text, profile: 'default' },
    user: {
      ...common,
      id: `m_${turns}u`,
      role: 'user',
      content: [{ type: 'text', text }],
      status: 'complete',
      model: null,
    },
    reply: {
      ...common,
      id: `m_${turns}a`,
      role: 'assistant',
      content: [],
      status: 'streaming',
      model: 'test-model',
    },
  });
  return { conversationId, userId: `m_${turns}u`, replyId: `m_${turns}a` };
}

/** What the FTS tables hold for `word`, read straight from them (search would catch up first). */
function indexed(db: DatabaseSync, word: string) {
  const ids = (sql: string) =>
    (db.prepare(sql).all(`"${word}"`) as Array<{ id: string }>).map((row) => row.id);
  return {
    messages: ids(
      'SELECT m.id FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ?',
    ),
    titles: ids(
      `SELECT c.id FROM conversations_fts f JOIN conversations c ON c.rowid = f.rowid
       WHERE conversations_fts MATCH ?`,
    ),
  };
}

describe('search index', () => {
  it('indexes a new turn after its commit, by itself, shortly after', async () => {
    const { db, store } = open();
    try {
      const { conversationId, userId } = startTurn(store, 'Basil needs water');
      // The accepting commit only noted the rows: the conversation and the message (the reply
      // waits until it stops streaming).
      expect(store.searchIndex.pending).toBe(2);
      expect(indexed(db, 'basil')).toEqual({ messages: [], titles: [] });

      await store.searchIndex.caughtUp();
      expect(store.searchIndex.pending).toBe(0);
      expect(indexed(db, 'basil')).toEqual({ messages: [userId], titles: [conversationId] });
    } finally {
      db.close();
    }
  });

  it('lets search find a message written just before it, without waiting', () => {
    const { db, store } = open({ delayMs: 60_000 });
    try {
      const { conversationId, userId } = startTurn(store, 'Where is the greenhouse key');
      expect(store.searchMessages('greenhouse', 10)).toMatchObject([
        { kind: 'title', conversationId },
        { kind: 'message', messageId: userId },
      ]);
      expect(store.searchIndex.pending).toBe(0);
    } finally {
      db.close();
    }
  });

  it('indexes a reply once it stops streaming, not at each checkpoint', async () => {
    const { db, store } = open();
    try {
      const turn = startTurn(store, 'Tomato feed');
      await store.searchIndex.caughtUp();
      for (const text of ['Use comfrey', 'Use comfrey tea weekly']) {
        store.updateMessage(turn.replyId, {
          content: [{ type: 'text', text }],
          status: 'streaming',
        });
        expect(store.searchIndex.pending).toBe(0);
      }
      store.updateMessage(turn.replyId, {
        content: [{ type: 'text', text: 'Use comfrey tea weekly in summer' }],
        status: 'complete',
      });
      expect(store.searchIndex.pending).toBe(1);
      await store.searchIndex.caughtUp();
      expect(indexed(db, 'summer').messages).toEqual([turn.replyId]);

      // A reply a crash left streaming is indexed when the next start marks it interrupted,
      // though its content does not change.
      const cut = startTurn(store, 'Pond pump');
      store.updateMessage(cut.replyId, {
        content: [{ type: 'text', text: 'Check the impeller' }],
        status: 'streaming',
      });
      await store.searchIndex.caughtUp();
      expect(indexed(db, 'impeller').messages).toEqual([]);
      expect(store.interruptStreaming()).toBe(1);
      await store.searchIndex.caughtUp();
      expect(indexed(db, 'impeller').messages).toEqual([cut.replyId]);
    } finally {
      db.close();
    }
  });

  it('catches up a backlog in slices, giving the event loop a turn between them', async () => {
    const { db, store } = open({ delayMs: 0, sliceMs: 0 });
    try {
      for (const n of [1, 2, 3]) startTurn(store, `Hedge cutting ${n}`);
      // Three conversations and three messages wait; each slice of 0 ms takes one row, from
      // each table in turn.
      const waiting = () =>
        ['messages_fts_pending', 'conversations_fts_pending'].map(
          (table) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n,
        );
      const seen = [waiting()];
      const done = store.searchIndex.caughtUp();
      while (seen.at(-1)!.some((n) => n > 0)) {
        await new Promise((resolve) => setImmediate(resolve));
        const now = waiting();
        if (now.join() !== seen.at(-1)!.join()) seen.push(now);
      }
      await done;
      expect(seen).toEqual([
        [3, 3],
        [3, 2],
        [2, 2],
        [2, 1],
        [1, 1],
        [1, 0],
        [0, 0],
      ]);
      expect(indexed(db, 'hedge').messages).toHaveLength(3);
      expect(indexed(db, 'hedge').titles).toHaveLength(3);
    } finally {
      db.close();
    }
  });

  it('follows changed replies and renamed titles, and forgets deleted conversations', async () => {
    const { db, store } = open();
    try {
      const kept = startTurn(store, 'Dinner ideas');
      store.updateMessage(kept.replyId, {
        content: [{ type: 'text', text: 'Roast an aubergine' }],
        status: 'cancelled',
      });
      await store.searchIndex.caughtUp();
      expect(indexed(db, 'aubergine').messages).toEqual([kept.replyId]);

      store.updateMessage(kept.replyId, {
        content: [{ type: 'text', text: 'Roast a courgette' }],
        status: 'complete',
      });
      store.renameConversation(kept.conversationId, 'Supper');
      await store.searchIndex.caughtUp();
      expect(indexed(db, 'aubergine').messages).toEqual([]);
      expect(indexed(db, 'courgette').messages).toEqual([kept.replyId]);
      expect(indexed(db, 'dinner')).toEqual({ messages: [kept.userId], titles: [] });
      expect(indexed(db, 'supper').titles).toEqual([kept.conversationId]);

      // Deleted once indexed, and deleted before its rows were indexed: gone either way.
      expect(store.deleteConversation(kept.conversationId)).toBe(true);
      const early = startTurn(store, 'Dinner again');
      expect(store.deleteConversation(early.conversationId)).toBe(true);
      await store.searchIndex.caughtUp();
      expect(store.searchIndex.pending).toBe(0);
      expect(indexed(db, 'dinner')).toEqual({ messages: [], titles: [] });
      expect(indexed(db, 'courgette')).toEqual({ messages: [], titles: [] });
      expect(store.searchMessages('dinner', 10)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('catches up at start with rows a stop before the catch-up left behind, in batches', async () => {
    const first = open({ delayMs: 60_000 });
    const written = [1, 2, 3].map((n) => startTurn(first.store, `Seedlings tray ${n}`));
    first.db.close();

    const { db, store } = open({ batchRows: 2 });
    try {
      expect(store.searchIndex.pending).toBe(6);
      await store.searchIndex.caughtUp();
      expect(store.searchIndex.pending).toBe(0);
      expect(indexed(db, 'seedlings')).toEqual({
        messages: written.map((turn) => turn.userId),
        titles: written.map((turn) => turn.conversationId),
      });
    } finally {
      db.close();
    }
  });

  it('keeps the rows of a failed catch-up waiting, reports it and tries again', async () => {
    const errors: unknown[] = [];
    let failed = (): void => undefined;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    const { db, store } = open({
      retryMs: 5,
      onError: (error) => {
        errors.push(error);
        failed();
      },
    });
    try {
      const view = db
        .prepare("SELECT sql FROM sqlite_schema WHERE name = 'conversations_search_text'")
        .get() as { sql: string };
      db.exec('DROP VIEW conversations_search_text');
      const { conversationId } = startTurn(store, 'Compost');
      await failure;
      expect(String(errors[0])).toContain('conversations_search_text');
      expect(store.searchIndex.pending).toBe(2);

      db.exec(view.sql);
      await store.searchIndex.caughtUp();
      expect(store.searchIndex.pending).toBe(0);
      expect(indexed(db, 'compost').titles).toEqual([conversationId]);
    } finally {
      db.close();
    }
  });
});

describe('migration 5', () => {
  it('keeps what migration 2 indexed, and leaves new rows to the deferred index', () => {
    const path = join(dataDir, 'hearth.db');
    const old = new DatabaseSync(path);
    old.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
    for (const migration of migrations.filter((m) => m.version <= 4)) {
      old.exec(migration.sql);
      old
        .prepare("INSERT INTO schema_migrations VALUES (?, '2025-01-01T00:00:00.000Z')")
        .run(migration.version);
    }
    old.exec(`INSERT INTO conversations (id, title, created_at, updated_at)
      VALUES ('c_old', 'Orchard', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`);
    old.exec(`INSERT INTO messages (id, conversation_id, turn_id, role, content, status, created_at, updated_at)
      VALUES ('m_old', 'c_old', 't_old', 'user', '[{"type":"text","text":"Prune the pear"}]',
        'complete', 'x', 'x')`);
    old.close();

    const { db, store } = open({ delayMs: 60_000 });
    try {
      expect(store.searchIndex.pending).toBe(0);
      expect(indexed(db, 'pear').messages).toEqual(['m_old']);
      expect(indexed(db, 'orchard').titles).toEqual(['c_old']);
      const { userId } = startTurn(store, 'Prune the plum');
      expect(store.searchIndex.pending).toBe(2);
      expect(indexed(db, 'prune').messages).toEqual(['m_old']);
      expect(
        store.searchMessages('prune', 10).map((hit) => hit.kind === 'message' && hit.messageId),
      ).toEqual(expect.arrayContaining(['m_old', userId]));
    } finally {
      db.close();
    }
  });
});
