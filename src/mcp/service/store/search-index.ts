import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { inTransaction } from './database.ts';

export interface SearchIndexOptions {
  /** How long after a write the index catches up; writes meanwhile join the same batch. */
  delayMs?: number;
  /** Most rows of each table indexed per transaction. */
  batchRows?: number;
  /**
   * Event-loop time one transaction may take, so that a backlog never holds a turn's frames
   * back long: past it, the transaction commits after the row in hand and the rest waits for
   * the next turn of the event loop.
   */
  sliceMs?: number;
  /** A scheduled catch-up failed; it is tried again after `retryMs`, its rows kept waiting. */
  onError?: (error: unknown) => void;
  retryMs?: number;
}

/** One FTS5 table kept in step with its source through a table of rows waiting (migration 5). */
interface Target {
  next: StatementSync;
  unindex: StatementSync;
  index: StatementSync;
  done: StatementSync;
  count: StatementSync;
}

function target(
  db: DatabaseSync,
  names: { fts: string; column: string; pending: string; key: string; view: string },
): Target {
  const { fts, column, pending, key, view } = names;
  return {
    next: db.prepare(`SELECT ${key} AS row FROM ${pending} ORDER BY ${key} LIMIT ?`),
    unindex: db.prepare(`DELETE FROM ${fts} WHERE rowid = ?`),
    index: db.prepare(
      `INSERT INTO ${fts} (rowid, ${column}) SELECT ${key}, text FROM ${view} WHERE ${key} = ?`,
    ),
    done: db.prepare(`DELETE FROM ${pending} WHERE ${key} <= ?`),
    count: db.prepare(`SELECT count(*) AS n FROM ${pending}`),
  };
}

/**
 * The full-text indexes of messages and titles, brought up to date after the commits that
 * change them rather than inside: a turn's first commit stays small, and the index follows a
 * moment later, in batches of its own. What waits to be indexed is in the database (triggers
 * note it in the same commit as the change), so nothing is lost to a crash; the first flush
 * after a start catches up. Deleted rows leave the indexes at once, by trigger.
 */
export class SearchIndex {
  readonly #db: DatabaseSync;
  readonly #targets: Target[];
  readonly #delayMs: number;
  readonly #batchRows: number;
  readonly #sliceMs: number;
  readonly #retryMs: number;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #waiters: Array<() => void> = [];
  /** Slices taken, for alternating which table each starts with. */
  #turn = 0;

  constructor(db: DatabaseSync, options: SearchIndexOptions = {}) {
    this.#db = db;
    this.#delayMs = options.delayMs ?? 100;
    this.#batchRows = options.batchRows ?? 32;
    this.#sliceMs = options.sliceMs ?? 1;
    this.#retryMs = options.retryMs ?? 5_000;
    this.#onError = options.onError ?? (() => undefined);
    this.#targets = [
      target(db, {
        fts: 'messages_fts',
        column: 'text',
        pending: 'messages_fts_pending',
        key: 'message_rowid',
        view: 'messages_search_text',
      }),
      target(db, {
        fts: 'conversations_fts',
        column: 'title',
        pending: 'conversations_fts_pending',
        key: 'conversation_rowid',
        view: 'conversations_search_text',
      }),
    ];
  }

  /** Schedules a catch-up, unless one is already scheduled. Call after writing what search sees. */
  soon(): void {
    if (!this.#timer) this.#schedule(this.#delayMs);
  }

  /** Indexes everything waiting, now: search calls it first, so it always sees every commit. */
  flush(): void {
    // LIMIT -1 is no limit.
    this.#slice(-1, Number.POSITIVE_INFINITY);
  }

  /** Rows waiting to be indexed. */
  get pending(): number {
    let total = 0;
    for (const t of this.#targets) total += (t.count.get() as { n: number }).n;
    return total;
  }

  /**
   * Resolves once the scheduled catch-up has indexed everything waiting (at once when nothing
   * is scheduled), without forcing it early: what tests and diagnostics wait on.
   */
  caughtUp(): Promise<void> {
    if (!this.#timer) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** One slice at a time, the event loop free in between, until nothing waits. */
  #step(): void {
    this.#timer = undefined;
    if (!this.#db.isOpen) return this.#settle();
    let more: boolean;
    try {
      more = this.#slice(this.#batchRows, this.#sliceMs);
    } catch (error) {
      this.#onError(error);
      return this.#schedule(this.#retryMs);
    }
    if (!more) return this.#settle();
    // An immediate, not a timer: what the event loop has waiting (a client's frame, a
    // provider's chunk) runs first, and the backlog goes on without a timer's 1 ms floor.
    this.#timer = setImmediate(() => this.#step());
    this.#timer.unref();
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => this.#step(), ms);
    this.#timer.unref();
  }

  #settle(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Indexes waiting rows of each table in one transaction: up to `rows` of each, and none
   * started once `budgetMs` has passed. Returns whether rows may still wait.
   */
  #slice(rows: number, budgetMs: number): boolean {
    const started = performance.now();
    let more = false;
    let indexed = 0;
    // Each slice starts with the other table, so that a long backlog of one never holds the
    // other back until it is done.
    this.#turn += 1;
    const order = this.#turn % 2 === 0 ? this.#targets : [...this.#targets].reverse();
    const work = () => {
      for (const t of order) {
        const next = t.next.all(rows) as Array<{ row: number }>;
        let last: number | undefined;
        for (const { row } of next) {
          // At least one row a slice, so that a slow row still gets through.
          if (indexed > 0 && performance.now() - started >= budgetMs) break;
          // Delete, then insert the row as it is now: the same for a new row, a changed one and
          // one deleted since (nothing is inserted).
          t.unindex.run(row);
          t.index.run(row);
          last = row;
          indexed += 1;
        }
        if (last !== undefined) t.done.run(last);
        if (next.length > 0 && (last !== next.at(-1)?.row || next.length === rows)) more = true;
      }
    };
    inTransaction(this.#db, work);
    return more;
  }
}
