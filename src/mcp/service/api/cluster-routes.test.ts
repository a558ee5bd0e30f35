import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.ts';
import { SqliteConversationStore } from '../store/conversation-store.ts';
import { interruptOrphanedReplies, staleStreamingMs, streamsElsewhere } from './cluster-routes.ts';

function turn(store: SqliteConversationStore, n: number) {
  const conversationId = `c_${n}`;
  const common = { conversationId, turnId: `t_${n}`, profile: 'default' };
  store.writeTurn({
    newConversation: { id: conversationId, title: `Turn ${n}`, profile: 'default' },
    user: {
      ...common,
      id: `m_${n}u`,
      role: 'user',
      content: [{ type: 'text', text: 'Hi' }],
      status: 'complete',
      model: null,
    },
    reply: {
      ...common,
      id: `m_${n}a`,
      role: 'assistant',
      content: [],
      status: 'streaming',
      model: 'm',
    },
  });
  store.updateMessage(`m_${n}a`, {
    content: [{ type: 'text', text: `Mulch the roses ${n}` }],
    status: 'streaming',
  });
  return { conversationId, replyId: `m_${n}a` };
}

describe('orphaned replies', () => {
  it('marks replies with no write for staleStreamingMs as interrupted, and only those', () => {
    const db = openDatabase({ memory: true });
    try {
      const store = new SqliteConversationStore(db, { searchIndex: { delayMs: 1 } });
      const orphan = turn(store, 1);
      const live = turn(store, 2);
      // The orphan's gateway last wrote long ago; the live one just now.
      db.prepare('UPDATE messages SET updated_at = ? WHERE id = ?').run(
        new Date(Date.now() - staleStreamingMs - 1000).toISOString(),
        orphan.replyId,
      );
      const api = { store, now: () => Date.now() };
      expect(streamsElsewhere(api, orphan.conversationId)).toBe(false);
      expect(streamsElsewhere(api, live.conversationId)).toBe(true);

      expect(interruptOrphanedReplies(api)).toBe(1);
      const status = (id: string) =>
        store.listMessages(id).find((m) => m.role === 'assistant')?.status;
      expect(status(orphan.conversationId)).toBe('interrupted');
      expect(status(live.conversationId)).toBe('streaming');
      expect(store.listMessages(orphan.conversationId)[1]?.error?.message).toMatch(/gateway/);

      // Search skips replies still streaming, and finds the interrupted one.
      const hits = store.searchMessages('mulch', 10).filter((hit) => hit.kind === 'message');
      expect(hits.map((hit) => hit.kind === 'message' && hit.messageId)).toEqual([orphan.replyId]);
    } finally {
      db.close();
    }
  });
});
