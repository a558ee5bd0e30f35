import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Adds `count` finished turns (`s0`…, each answered `reply`) to a conversation straight into a
 * running Hearth's database through a second connection (WAL lets both write): conversations
 * too long to send turn by turn. Message ids are `m_stored<i>u` and `m_stored<i>a`.
 */
export function appendStoredTurns(
  dataDir: string,
  conversationId: string,
  count: number,
  reply: string,
): void {
  const db = new DatabaseSync(join(dataDir, 'hearth.db'));
  try {
    const insert = db.prepare(
      `INSERT INTO messages (id, conversation_id, turn_id, role, content, status, profile, model, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'complete', 'default', NULL, ?, ?)`,
    );
    const text = (value: string) => JSON.stringify([{ type: 'text', text: value }]);
    const now = new Date().toISOString();
    db.exec('BEGIN');
    for (let index = 0; index < count; index++) {
      const turnId = `t_stored${index}`;
      insert.run(`m_stored${index}u`, conversationId, turnId, 'user', text(`s${index}`), now, now);
      insert.run(`m_stored${index}a`, conversationId, turnId, 'assistant', text(reply), now, now);
    }
    db.exec('COMMIT');
  } finally {
    db.close();
  }
}

/**
 * Adds `count` empty conversations titled `Old <i>` straight into a running Hearth's database,
 * each a minute older than the one before, all older than any conversation made today.
 */
export function addStoredConversations(dataDir: string, count: number): void {
  const db = new DatabaseSync(join(dataDir, 'hearth.db'));
  try {
    const insert = db.prepare(
      'INSERT INTO conversations (id, title, profile, created_at, updated_at) VALUES (?, ?, NULL, ?, ?)',
    );
    const start = Date.parse('2026-01-01T12:00:00Z');
    db.exec('BEGIN');
    for (let index = 0; index < count; index++) {
      const at = new Date(start - index * 60_000).toISOString();
      insert.run(`c_old${index}`, `Old ${index}`, at, at);
    }
    db.exec('COMMIT');
  } finally {
    db.close();
  }
}
