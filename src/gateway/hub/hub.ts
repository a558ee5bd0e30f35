import { ErrorCode, HearthError } from '../../common/errors.ts';
import type { ConversationSnapshot } from '../../router/snapshot.ts';
import type {
  ConversationHub,
  SubscribeMode,
  SubscribeOptions,
  Subscriber,
} from './conversation-hub.ts';

export type { Subscriber, SubscribeMode } from './conversation-hub.ts';
import { ConversationLog, type LoggedEvent, type UnnumberedEvent } from './conversation-log.ts';

/** What the hub needs from storage and the router to number events and build snapshots. */
export interface HistorySource {
  /** Highest seq persisted for the conversation, or undefined when it does not exist. */
  lastSeq(conversationId: string): number | undefined;
  /**
   * The newest `limit` persisted messages, with a reply still streaming shown as far as it has
   * come.
   */
  snapshot(conversationId: string, limit?: number): ConversationSnapshot | undefined;
  /** Persists the seq a log would restart from. */
  saveLastSeq(conversationId: string, seq: number): void;
}

/**
 * Seqs reserved ahead in storage, so that after a crash numbering resumes beyond every seq a
 * client may have seen; the gap is only ever visible across a snapshot.
 */
const seqReservation = 1000;

interface LogEntry {
  log: ConversationLog;
  subscribers: Set<Subscriber>;
  runningTurns: number;
  reservedSeq: number;
}

/**
 * Subscriptions and fan-out. Every event of a conversation is numbered, serialised once,
 * kept in the conversation's ring for resume and written to each subscriber in order.
 * Everything here is synchronous, so a subscriber joining with `afterSeq` gets the replay and
 * then the live stream with no gap and no double.
 */
export class Hub implements ConversationHub {
  readonly #entries = new Map<string, LogEntry>();
  readonly #source: HistorySource;
  #capacity: number;
  #maxIdleLogs: number;
  #replayBytes: number;
  /** Bytes of frames every log holds. */
  #bytes = 0;
  /** Past this many bytes held, the logs of idle conversations are trimmed (see `#trim`). */
  #trimAbove: number;

  constructor(options: {
    source: HistorySource;
    replayEvents: number;
    maxIdleLogs: number;
    /** Bytes of frames all logs together keep for replay, beyond what running turns need. */
    replayBytes: number;
  }) {
    this.#source = options.source;
    this.#capacity = options.replayEvents;
    this.#maxIdleLogs = options.maxIdleLogs;
    this.#replayBytes = options.replayBytes;
    this.#trimAbove = options.replayBytes;
  }

  /**
   * Applies changed `stream` limits (a live config section): `replayEvents` to the logs made
   * from now on, the others from the next event on.
   */
  configure(limits: { replayEvents: number; maxIdleLogs: number; replayBytes: number }): void {
    this.#capacity = limits.replayEvents;
    this.#maxIdleLogs = limits.maxIdleLogs;
    this.#replayBytes = limits.replayBytes;
    this.#trimAbove = limits.replayBytes;
  }

  emit(conversationId: string, event: UnnumberedEvent): void {
    const entry = this.#entry(conversationId);
    if (!entry)
      throw new HearthError(ErrorCode.unknownConversation, `No conversation ${conversationId}`);
    if (event.type === 'turn.started') entry.runningTurns += 1;
    else if (event.type === 'turn.done' || event.type === 'turn.error') entry.runningTurns -= 1;
    const held = entry.log.bytes;
    const frame = entry.log.append(event);
    this.#bytes += entry.log.bytes - held;
    const seq = entry.log.lastSeq;
    // Reserve again on reaching the reserved seq itself, so a restart always starts beyond it.
    if (seq >= entry.reservedSeq) {
      entry.reservedSeq = seq + seqReservation;
      this.#source.saveLastSeq(conversationId, entry.reservedSeq);
    }
    for (const subscriber of entry.subscribers) subscriber.deliver(frame);
    if (entry.runningTurns === 0) {
      entry.log.seal();
      // A turn that ends lets go of what it held: it can be trimmed now.
      if (event.type === 'turn.done' || event.type === 'turn.error') {
        this.#trimAbove = this.#replayBytes;
      }
      if (entry.subscribers.size === 0) this.#evictIdle();
    }
    if (this.#bytes > this.#trimAbove) this.#trim();
  }

  /**
   * Adds a subscriber. Without `afterSeq` it gets a snapshot first; with one it gets exactly the
   * events after it, or a snapshot when those have left memory. Then the live stream.
   */
  subscribe(
    subscriber: Subscriber,
    conversationId: string,
    options: SubscribeOptions = {},
  ): {
    mode: SubscribeMode;
    seq: number;
  } {
    const entry = this.#entry(conversationId);
    if (!entry)
      throw new HearthError(ErrorCode.unknownConversation, `No conversation ${conversationId}`);
    let mode: SubscribeMode = 'live';
    options.onReady?.(entry.log.lastSeq);
    if (!options.liveOnly) {
      const missed =
        options.afterSeq === undefined ? undefined : entry.log.readAfter(options.afterSeq);
      if (missed) {
        mode = 'replay';
        for (const logged of missed) subscriber.deliver(logged.frame);
      } else {
        mode = 'snapshot';
        subscriber.deliver(this.#snapshotFrame(entry.log, options.snapshotLimit));
      }
    }
    entry.subscribers.add(subscriber);
    return { mode, seq: entry.log.lastSeq };
  }

  unsubscribe(subscriber: Subscriber, conversationId: string): boolean {
    const entry = this.#entries.get(conversationId);
    const removed = entry?.subscribers.delete(subscriber) ?? false;
    if (removed) this.#evictIdle();
    return removed;
  }

  /** Removes a subscriber from every conversation, as when its socket closes. */
  unsubscribeAll(subscriber: Subscriber): void {
    let removed = false;
    for (const entry of this.#entries.values())
      removed = entry.subscribers.delete(subscriber) || removed;
    if (removed) this.#evictIdle();
  }

  isSubscribed(subscriber: Subscriber, conversationId: string): boolean {
    return this.#entries.get(conversationId)?.subscribers.has(subscriber) ?? false;
  }

  /** Current seq of a conversation's log, or undefined when it does not exist. */
  lastSeq(conversationId: string): number | undefined {
    return this.#entry(conversationId)?.log.lastSeq;
  }

  /** Events still in memory after `afterSeq`, for tests and diagnostics. */
  eventsAfter(conversationId: string, afterSeq: number): LoggedEvent[] | undefined {
    return this.#entries.get(conversationId)?.log.readAfter(afterSeq);
  }

  get logCount(): number {
    return this.#entries.size;
  }

  /** Bytes of frames all logs hold. */
  get bytesHeld(): number {
    return this.#bytes;
  }

  #entry(conversationId: string): LogEntry | undefined {
    const existing = this.#entries.get(conversationId);
    if (existing) return existing;
    const lastSeq = this.#source.lastSeq(conversationId);
    if (lastSeq === undefined) return undefined;
    const entry: LogEntry = {
      log: new ConversationLog({ conversationId, capacity: this.#capacity, lastSeq }),
      subscribers: new Set(),
      runningTurns: 0,
      reservedSeq: lastSeq,
    };
    this.#entries.set(conversationId, entry);
    return entry;
  }

  #snapshotFrame(log: ConversationLog, limit: number | undefined): Buffer {
    const state = this.#source.snapshot(log.conversationId, limit);
    return Buffer.from(
      JSON.stringify({
        type: 'snapshot',
        conversationId: log.conversationId,
        seq: log.lastSeq,
        conversation: state?.conversation ?? null,
        messages: state?.messages ?? [],
        earlier: state?.earlier ?? 0,
      }),
    );
  }

  /** Drops the least recently active logs nobody watches and no turn writes, past the limit. */
  #evictIdle(): void {
    const idle = [...this.#entries.values()].filter(
      (e) => e.subscribers.size === 0 && e.runningTurns === 0,
    );
    if (idle.length <= this.#maxIdleLogs) return;
    idle.sort((a, b) => a.log.lastActivity - b.log.lastActivity);
    for (const entry of idle.slice(0, idle.length - this.#maxIdleLogs)) {
      this.#source.saveLastSeq(entry.log.conversationId, entry.log.lastSeq);
      this.#drop(entry);
    }
  }

  /**
   * Keeps the frames held within `replayBytes`, whoever subscribes: a client that never leaves
   * the conversations it opens would otherwise keep every one of their logs. The rings of the
   * least recently active conversations with no running turn are emptied (their subscriptions
   * and numbering stay; resuming from before their last seq gets a snapshot) down to three
   * quarters of the budget, so that trimming is not redone at every event.
   */
  #trim(): void {
    const trimmable = [...this.#entries.values()]
      .filter((e) => e.runningTurns === 0 && e.log.bytes > 0)
      .sort((a, b) => a.log.lastActivity - b.log.lastActivity);
    const target = this.#replayBytes * 0.75;
    for (const entry of trimmable) {
      if (this.#bytes <= target) break;
      this.#bytes -= entry.log.bytes;
      entry.log.clear();
    }
    // Running turns hold the rest: look again once a quarter of the budget more has come, or
    // when a turn ends.
    this.#trimAbove = Math.max(this.#replayBytes, this.#bytes + this.#replayBytes / 4);
  }

  #drop(entry: LogEntry): void {
    this.#bytes -= entry.log.bytes;
    this.#entries.delete(entry.log.conversationId);
  }

  /**
   * Drops a deleted conversation's log and its subscribers: they get no more events, and a new
   * subscribe answers `unknown_conversation` once storage no longer has it.
   */
  forget(conversationId: string): void {
    const entry = this.#entries.get(conversationId);
    if (!entry) return;
    this.#drop(entry);
    entry.subscribers.clear();
  }

  /** Persists the exact last seq of every log, for a clean shutdown. */
  flush(): void {
    for (const entry of this.#entries.values()) {
      this.#source.saveLastSeq(entry.log.conversationId, entry.log.lastSeq);
    }
  }
}
