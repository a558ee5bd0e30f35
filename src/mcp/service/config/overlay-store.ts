import type { DatabaseSync, StatementSync } from 'node:sqlite';

const overlayKey = 'config.overlay';

/**
 * The changes made through the API, kept as one JSON Merge Patch over config.yaml in the
 * settings table, so that the file stays the user's and the API's changes survive restarts.
 */
export class OverlayStore {
  readonly #get: StatementSync;
  readonly #set: StatementSync;

  constructor(db: DatabaseSync) {
    this.#get = db.prepare('SELECT value FROM settings WHERE key = ?');
    this.#set = db.prepare(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
  }

  read(): Record<string, unknown> {
    const row = this.#get.get(overlayKey) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as Record<string, unknown>) : {};
  }

  write(overlay: Record<string, unknown>): void {
    this.#set.run(overlayKey, JSON.stringify(overlay));
  }
}
