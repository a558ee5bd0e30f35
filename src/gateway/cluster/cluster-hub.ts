import { ErrorCode, HearthError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { TurnEvent } from '../../common/protocol.ts';
import type {
  ConversationHub,
  SubscribeMode,
  SubscribeOptions,
  Subscriber,
} from '../hub/conversation-hub.ts';
import type { ClusterEventSink } from './cluster-sink.ts';
import { snapshotAt, type ConversationSource } from './cluster-snapshot.ts';
import type { RedisEvents, StoredEvent } from './redis-events.ts';

interface Entry {
  id: string;
  /** Seq of the last event delivered here. */
  lastSeq: number;
  subscribers: Set<Subscriber>;
  /** Set while the starting seq is read; events wait in `pending` meanwhile. */
  loading: Promise<void> | undefined;
  /** Set while missed events are fetched from the Stream. */
  filling: boolean;
  pending: StoredEvent[];
  /** Subscribes under way: the entry stays while they run, even with no subscriber yet. */
  joining: number;
}

/** How many times a joining subscriber chases a moving stream before taking a snapshot. */
const maxCatchUps = 8;

/**
 * Fan-out on a split gateway. Events come numbered from Redis (redis-events.ts), this gateway's
 * turns included, and go to the local subscribers of their conversation in seq order. A gap in
 * the seqs (Redis was away) is filled from the conversation's Stream; when the Stream no longer
 * has the missing events, subscribers get a snapshot and the stream goes on from there. A
 * subscriber with `afterSeq` gets the missed events from the Stream, so it may resume on any
 * gateway.
 */
export class ClusterHub implements ConversationHub {
  readonly #entries = new Map<string, Entry>();
  readonly #events: RedisEvents;
  readonly #sink: ClusterEventSink;
  readonly #source: ConversationSource;
  readonly #logger: Logger;

  constructor(options: {
    events: RedisEvents;
    sink: ClusterEventSink;
    source: ConversationSource;
    logger: Logger;
  }) {
    this.#events = options.events;
    this.#sink = options.sink;
    this.#source = options.source;
    this.#logger = options.logger;
    this.#events.onEvent((id, seq, frame) => this.#receive(id, seq, frame));
    this.#events.onReconnect(() => this.#catchUpAll());
  }

  emit(conversationId: string, event: TurnEvent): void {
    this.#sink.emit(conversationId, event);
  }

  async subscribe(
    subscriber: Subscriber,
    conversationId: string,
    options: SubscribeOptions = {},
  ): Promise<{ mode: SubscribeMode; seq: number }> {
    const entry = this.#entry(conversationId);
    if (options.liveOnly) {
      entry.subscribers.add(subscriber);
      return { mode: 'live', seq: entry.lastSeq };
    }
    entry.joining += 1;
    try {
      await entry.loading;
      if (options.afterSeq !== undefined) {
        const missed = await this.#catchUp(entry, options.afterSeq);
        if (missed) return this.#join(entry, subscriber, options, missed, 'replay');
      }
      const snapshot = await this.#snapshot(entry, options.snapshotLimit);
      return this.#join(entry, subscriber, options, [snapshot], 'snapshot');
    } finally {
      entry.joining -= 1;
      this.#dropIfUnwatched(entry);
    }
  }

  /** Adds the subscriber in one synchronous step after what it must see first. */
  #join(
    entry: Entry,
    subscriber: Subscriber,
    options: SubscribeOptions,
    first: ReadonlyArray<{ frame: string }>,
    mode: SubscribeMode,
  ): { mode: SubscribeMode; seq: number } {
    const seq = entry.lastSeq;
    if (subscriber.isClosed) return { mode, seq };
    options.onReady?.(seq);
    for (const { frame } of first) subscriber.deliver(Buffer.from(frame));
    entry.subscribers.add(subscriber);
    return { mode, seq };
  }

  /**
   * The events after `afterSeq` up to the entry's last delivered seq, read from the Stream and
   * read again while live events move the end; undefined when the Stream lacks some of them.
   */
  async #catchUp(entry: Entry, afterSeq: number): Promise<StoredEvent[] | undefined> {
    if (afterSeq > entry.lastSeq) return undefined;
    const missed: StoredEvent[] = [];
    let upTo = afterSeq;
    for (let attempt = 0; attempt < maxCatchUps && upTo < entry.lastSeq; attempt++) {
      const target = entry.lastSeq;
      const events = await this.#events.range(entry.id, upTo, target);
      if (!events) return undefined;
      missed.push(...events);
      upTo = target;
    }
    return upTo === entry.lastSeq ? missed : undefined;
  }

  /** The conversation as of the entry's last seq, taken again while live events move it. */
  async #snapshot(entry: Entry, limit?: number): Promise<{ frame: string }> {
    for (let attempt = 0; attempt < maxCatchUps; attempt++) {
      const seq = entry.lastSeq;
      const frame = await snapshotAt({
        events: this.#events,
        source: this.#source,
        conversationId: entry.id,
        seq,
        limit,
      });
      if (entry.lastSeq === seq) return { frame };
    }
    throw new HearthError(ErrorCode.busy, 'The conversation moves too fast to join; retry');
  }

  unsubscribe(subscriber: Subscriber, conversationId: string): boolean {
    const entry = this.#entries.get(conversationId);
    const removed = entry?.subscribers.delete(subscriber) ?? false;
    if (entry) this.#dropIfUnwatched(entry);
    return removed;
  }

  unsubscribeAll(subscriber: Subscriber): void {
    for (const entry of [...this.#entries.values()]) {
      if (entry.subscribers.delete(subscriber)) this.#dropIfUnwatched(entry);
    }
  }

  isSubscribed(subscriber: Subscriber, conversationId: string): boolean {
    return this.#entries.get(conversationId)?.subscribers.has(subscriber) ?? false;
  }

  /**
   * Drops a deleted conversation: its subscribers here get nothing more of it, even from work
   * still under way (a catch-up, a gap being filled), which then finds the entry emptied.
   */
  forget(conversationId: string): void {
    const entry = this.#entries.get(conversationId);
    this.#entries.delete(conversationId);
    this.#sink.forget(conversationId);
    if (!entry) return;
    entry.subscribers.clear();
    entry.pending.length = 0;
  }

  flush(): void {
    // Nothing to keep: the seqs live in Redis and are reserved in the central service.
  }

  get entryCount(): number {
    return this.#entries.size;
  }

  #entry(conversationId: string): Entry {
    const existing = this.#entries.get(conversationId);
    if (existing) return existing;
    const entry: Entry = {
      id: conversationId,
      lastSeq: 0,
      subscribers: new Set(),
      loading: undefined,
      filling: false,
      pending: [],
      joining: 0,
    };
    entry.loading = this.#load(entry);
    // A failed load is reported to the subscribe that waits for it; no one else waits.
    entry.loading.catch(() => undefined);
    this.#entries.set(conversationId, entry);
    return entry;
  }

  async #load(entry: Entry): Promise<void> {
    try {
      const base =
        (await this.#events.lastSeq(entry.id)) ?? (await this.#source.reserved(entry.id));
      // Whatever arrived meanwhile is live for this gateway: deliver it, from its first seq.
      const first = entry.pending[0]?.seq;
      entry.lastSeq = first === undefined ? base : Math.min(base, first - 1);
    } catch (error) {
      // Nothing can be numbered without a start: the next subscribe tries again from scratch.
      if (this.#entries.get(entry.id) === entry) this.#entries.delete(entry.id);
      throw error;
    } finally {
      entry.loading = undefined;
    }
    this.#drainPending(entry);
  }

  #receive(conversationId: string, seq: number, frame: string): void {
    const entry = this.#entries.get(conversationId);
    if (!entry) return;
    if (entry.loading || entry.filling) entry.pending.push({ seq, frame });
    else this.#apply(entry, seq, frame);
  }

  #apply(entry: Entry, seq: number, frame: string): void {
    if (seq <= entry.lastSeq) return;
    if (seq > entry.lastSeq + 1) {
      entry.pending.push({ seq, frame });
      void this.#fill(entry);
      return;
    }
    entry.lastSeq = seq;
    const buffer = Buffer.from(frame);
    for (const subscriber of entry.subscribers) subscriber.deliver(buffer);
  }

  #drainPending(entry: Entry): void {
    const pending = entry.pending.splice(0).sort((a, b) => a.seq - b.seq);
    for (let index = 0; index < pending.length; index++) {
      const event = pending[index] as StoredEvent;
      if (entry.filling) {
        entry.pending.push(...pending.slice(index));
        return;
      }
      this.#apply(entry, event.seq, event.frame);
    }
  }

  /** Fetches the events between the last delivered and the first pending one, then goes on. */
  async #fill(entry: Entry): Promise<void> {
    if (entry.filling) return;
    entry.filling = true;
    try {
      const next = Math.min(...entry.pending.map((e) => e.seq));
      const missing = await this.#events.range(entry.id, entry.lastSeq, next - 1);
      if (missing) {
        for (const event of missing) this.#apply(entry, event.seq, event.frame);
      } else {
        this.#logger.warn(
          { conversationId: entry.id, from: entry.lastSeq, to: next },
          'events lost with Redis: subscribers get a snapshot',
        );
        entry.lastSeq = next - 1;
        // Of the default size: each subscriber may have asked for another when it joined.
        const { frame } = await this.#snapshot(entry);
        const buffer = Buffer.from(frame);
        for (const subscriber of entry.subscribers) subscriber.deliver(buffer);
      }
    } catch (error) {
      this.#logger.error({ err: error, conversationId: entry.id }, 'cannot fill a gap in events');
    } finally {
      entry.filling = false;
    }
    this.#drainPending(entry);
  }

  /** After Redis came back: whatever was published while it was away is read from Streams. */
  #catchUpAll(): void {
    for (const entry of this.#entries.values()) {
      if (entry.loading || entry.filling) continue;
      void this.#events.lastSeq(entry.id).then(
        (last) => {
          if (last !== undefined && last > entry.lastSeq) void this.#fillTo(entry, last);
        },
        (error: unknown) => this.#logger.warn({ err: error }, 'cannot catch up after Redis'),
      );
    }
  }

  /** Events up to `last` (what arrives live meanwhile is dropped as already delivered). */
  async #fillTo(entry: Entry, last: number): Promise<void> {
    if (entry.filling) return;
    const missing = await this.#events.range(entry.id, entry.lastSeq, last);
    if (missing && !entry.filling)
      for (const event of missing) this.#apply(entry, event.seq, event.frame);
  }

  #dropIfUnwatched(entry: Entry): void {
    if (
      entry.subscribers.size === 0 &&
      entry.joining === 0 &&
      this.#entries.get(entry.id) === entry
    )
      this.#entries.delete(entry.id);
  }
}
