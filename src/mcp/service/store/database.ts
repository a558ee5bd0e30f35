import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrations } from './migrations.ts';

/**
 * Opens (creating when needed) Hearth's SQLite database in the data folder, in WAL mode, and
 * applies the numbered migrations it has not seen yet, each in its own transaction.
 */
export function openDatabase(options: { dataDir: string } | { memory: true }): DatabaseSync {
  let path = ':memory:';
  if ('dataDir' in options) {
    mkdirSync(options.dataDir, { recursive: true });
    path = join(options.dataDir, 'hearth.db');
  }
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 5000');
  // Checkpoints run from a timer (see `startCheckpoints`), not inside a commit, where one costs
  // about 10 ms of event loop at the worst moment: the start of a turn.
  db.exec('PRAGMA wal_autocheckpoint = 0');
  migrate(db);
  return db;
}

/** Folds the WAL back into the database every `intervalMs`, without blocking writers. */
export function startCheckpoints(db: DatabaseSync, intervalMs = 30_000): { stop(): void } {
  const timer = setInterval(() => {
    if (db.isOpen) db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function migrate(db: DatabaseSync): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
  );
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as {
    version: number | null;
  };
  const current = row.version ?? 0;
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.exec('BEGIN');
    try {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        migration.version,
        new Date().toISOString(),
      );
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw new Error(`Migration ${migration.version} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/**
 * Runs `work` in one transaction (rolled back if it throws), or inside the transaction already
 * open on `db`, which then commits or rolls back with it.
 */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  if (db.isTransaction) return work();
  db.exec('BEGIN');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
