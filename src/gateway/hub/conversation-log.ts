import type { TurnEvent } from '../../common/protocol.ts';

/** One numbered event as clients get it: its JSON text, made once for every subscriber. */
export interface LoggedEvent {
  seq: number;
  frame: Buffer;
}

/** An event before the log numbers it: it must not carry the fields the log adds. */
export type UnnumberedEvent = TurnEvent & { conversationId?: never; seq?: never };

/** Slots of a new ring; it doubles as events come, up to its capacity. */
const firstSlots = 32;

/** Orders appends across every log, for evicting the least recently active (no clock read). */
let appends = 0;

/**
 * The recent events of one conversation, in a ring of fixed capacity. Seq numbers grow by
 * one; `readAfter` answers whether the ring still holds everything after a given seq. The ring
 * starts small and grows as needed: a turn makes a few dozen events, and a ring of the full
 * capacity (4,096 slots by default) for every new conversation was memory and garbage
 * collection spent on slots never used.
 */
export class ConversationLog {
  readonly conversationId: string;
  readonly #capacity: number;
  /** Frames by seq modulo the ring's length: the frames alone, for less to keep per event. */
  #ring: Array<Buffer | undefined>;
  /** `,"conversationId":"…","seq":`, the tail every frame of this log shares but its seq. */
  readonly #tail: string;
  #lastSeq: number;
  #size = 0;
  /** When this log last took an event, in appends to any log: orders logs for eviction. */
  lastActivity = ++appends;

  constructor(options: { conversationId: string; capacity: number; lastSeq: number }) {
    this.conversationId = options.conversationId;
    this.#capacity = options.capacity;
    this.#ring = new Array<Buffer | undefined>(Math.min(options.capacity, firstSlots));
    this.#lastSeq = options.lastSeq;
    this.#tail = `,"conversationId":${JSON.stringify(options.conversationId)},"seq":`;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Seq of the oldest event still held; lastSeq + 1 when the ring is empty. */
  get firstSeq(): number {
    return this.#lastSeq - this.#size + 1;
  }

  /**
   * Numbers `event` (its seq is then `lastSeq`) and returns its frame, the JSON of
   * `{ ...event, conversationId, seq }`, made without building that object: the event's own
   * JSON with the log's tail spliced in.
   */
  append(event: UnnumberedEvent): Buffer {
    const seq = this.#lastSeq + 1;
    const json = JSON.stringify(event);
    const frame = Buffer.from(`${json.slice(0, -1)}${this.#tail}${seq}}`);
    if (this.#size === this.#ring.length && this.#size < this.#capacity) this.#grow();
    this.#ring[seq % this.#ring.length] = frame;
    this.#lastSeq = seq;
    if (this.#size < this.#ring.length) this.#size += 1;
    this.lastActivity = ++appends;
    return frame;
  }

  /** Doubles the ring (up to its capacity), keeping every event it holds. */
  #grow(): void {
    const ring = new Array<Buffer | undefined>(Math.min(this.#capacity, this.#ring.length * 2));
    for (let seq = this.firstSeq; seq <= this.#lastSeq; seq += 1) {
      ring[seq % ring.length] = this.#ring[seq % this.#ring.length];
    }
    this.#ring = ring;
  }

  /**
   * Events with seq greater than `afterSeq`, oldest first, or undefined when some of them have
   * already left the ring (or `afterSeq` is ahead of this log, as after a restart).
   */
  readAfter(afterSeq: number): LoggedEvent[] | undefined {
    if (afterSeq > this.#lastSeq || afterSeq < this.firstSeq - 1) return undefined;
    const events: LoggedEvent[] = [];
    for (let seq = afterSeq + 1; seq <= this.#lastSeq; seq += 1) {
      events.push({ seq, frame: this.#ring[seq % this.#ring.length] as Buffer });
    }
    return events;
  }
}
