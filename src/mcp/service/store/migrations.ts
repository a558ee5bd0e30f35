/**
 * SQL for the text parts of a message's JSON content, one per line: what search sees of a
 * message. Part of migrations 2 and 5, so it never changes; a new extraction needs a new
 * migration (one that redefines the view `messages_search_text`).
 */
function textOfContent(column: string): string {
  return `coalesce((SELECT group_concat(value ->> '$.text', char(10)) FROM json_each(${column})
    WHERE value ->> '$.type' = 'text'), '')`;
}

/** Numbered schema changes, applied in order once each. Never edit one that has shipped. */
export const migrations: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        profile TEXT,
        last_seq INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX conversations_updated ON conversations (updated_at DESC);
      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        turn_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('complete', 'streaming', 'cancelled', 'failed', 'interrupted')),
        profile TEXT,
        model TEXT,
        input_tokens INTEGER,
        output_tokens INTEGER,
        error_code TEXT,
        error_message TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX messages_conversation ON messages (conversation_id);
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    // Paging by (updated_at, id), and full-text search over message text and titles. Each FTS
    // row shares its rowid with the message or conversation it indexes; triggers keep them in
    // step. (VACUUM may renumber those rowids: after one, rebuild both indexes from their tables.)
    version: 2,
    sql: `
      CREATE INDEX conversations_updated_id ON conversations (updated_at DESC, id DESC);
      DROP INDEX conversations_updated;
      CREATE VIRTUAL TABLE messages_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2');
      CREATE VIRTUAL TABLE conversations_fts USING fts5 (title, tokenize = 'unicode61 remove_diacritics 2');
      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, ${textOfContent('new.content')});
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.rowid;
        INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, ${textOfContent('new.content')});
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.rowid;
      END;
      CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts (rowid, title) VALUES (new.rowid, new.title);
      END;
      CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
        DELETE FROM conversations_fts WHERE rowid = old.rowid;
        INSERT INTO conversations_fts (rowid, title) VALUES (new.rowid, new.title);
      END;
      CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
        DELETE FROM conversations_fts WHERE rowid = old.rowid;
      END;
      INSERT INTO messages_fts (rowid, text) SELECT rowid, ${textOfContent('content')} FROM messages;
      INSERT INTO conversations_fts (rowid, title) SELECT rowid, title FROM conversations;
    `,
  },
  {
    // The MCP aggregator: runtime ON/OFF switches that override the static servers file, and
    // each server's last known catalogue, so its tools stay listed while its process is stopped.
    version: 3,
    sql: `
      CREATE TABLE mcp_server_overrides (
        server TEXT PRIMARY KEY,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        updated_at TEXT NOT NULL
      );
      CREATE TABLE mcp_server_catalogues (
        server TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        protocol_era TEXT,
        tools TEXT NOT NULL,
        prompts TEXT NOT NULL,
        resources TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    // Zigbee through Zigbee2MQTT: devices and groups as the bridge last described them (keyed
    // by IEEE address and group id, stable across renames) and each device's last known state.
    version: 4,
    sql: `
      CREATE TABLE zigbee_devices (
        ieee_address TEXT PRIMARY KEY,
        friendly_name TEXT NOT NULL,
        description TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE zigbee_groups (
        id INTEGER PRIMARY KEY,
        friendly_name TEXT NOT NULL,
        description TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE zigbee_device_state (
        ieee_address TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    // Search indexing leaves the commit that accepts a turn: triggers now only note which rows
    // changed (a primary-key insert), and SearchIndex indexes them in a later transaction. The
    // notes commit with the rows, so an index left behind by a crash catches up at the next
    // start. Deletes still leave the indexes at once (migration 2's delete triggers stay).
    // The two views say what search sees of a row, so a later migration can change that.
    version: 5,
    sql: `
      DROP TRIGGER messages_fts_insert;
      DROP TRIGGER messages_fts_update;
      DROP TRIGGER conversations_fts_insert;
      DROP TRIGGER conversations_fts_update;
      CREATE TABLE messages_fts_pending (message_rowid INTEGER PRIMARY KEY);
      CREATE TABLE conversations_fts_pending (conversation_rowid INTEGER PRIMARY KEY);
      CREATE TRIGGER messages_fts_note_insert AFTER INSERT ON messages BEGIN
        INSERT OR IGNORE INTO messages_fts_pending (message_rowid) VALUES (new.rowid);
      END;
      CREATE TRIGGER messages_fts_note_update AFTER UPDATE OF content ON messages BEGIN
        INSERT OR IGNORE INTO messages_fts_pending (message_rowid) VALUES (new.rowid);
      END;
      CREATE TRIGGER conversations_fts_note_insert AFTER INSERT ON conversations BEGIN
        INSERT OR IGNORE INTO conversations_fts_pending (conversation_rowid) VALUES (new.rowid);
      END;
      CREATE TRIGGER conversations_fts_note_update AFTER UPDATE OF title ON conversations BEGIN
        INSERT OR IGNORE INTO conversations_fts_pending (conversation_rowid) VALUES (new.rowid);
      END;
      CREATE VIEW messages_search_text AS
        SELECT rowid AS message_rowid, ${textOfContent('content')} AS text FROM messages;
      CREATE VIEW conversations_search_text AS
        SELECT rowid AS conversation_rowid, title AS text FROM conversations;
    `,
  },
  {
    // A reply is indexed once it has stopped streaming, not at every checkpoint on the way: a
    // long reply checkpointed each second was indexed again each time, its whole text growing
    // (quadratic work for one reply). The status change that ends a reply notes it, including
    // `interrupted` after a crash, which changes no content.
    version: 6,
    sql: `
      DROP TRIGGER messages_fts_note_insert;
      DROP TRIGGER messages_fts_note_update;
      CREATE TRIGGER messages_fts_note_insert AFTER INSERT ON messages
        WHEN new.status <> 'streaming' BEGIN
        INSERT OR IGNORE INTO messages_fts_pending (message_rowid) VALUES (new.rowid);
      END;
      CREATE TRIGGER messages_fts_note_update AFTER UPDATE OF content, status ON messages
        WHEN new.status <> 'streaming' BEGIN
        INSERT OR IGNORE INTO messages_fts_pending (message_rowid) VALUES (new.rowid);
      END;
    `,
  },
];
