import type { Logger } from '../../common/logger.ts';
import type { TurnEvent } from '../../common/protocol.ts';
import type { EventSink } from '../../router/event-sink.ts';
import type { RedisEvents } from './redis-events.ts';

/** Where seqs are reserved for good: the central service's database. */
export interface SeqReservations {
  /** The seq a conversation has reserved: every seq ever issued is at or below it. */
  reserved(conversationId: string): Promise<number>;
  /** Raises the reservation (never lowers it). */
  reserve(conversationId: string, seq: number): Promise<void>;
}

/** Seqs reserved ahead, so a Redis that lost its counters restarts numbering beyond them. */
const reservationStep = 1000;

interface Outgoing {
  type: string;
  turnId: string;
  /** The event's JSON without its closing brace (Redis adds the seq). */
  head: string;
}

interface SinkState {
  /** Events that met a missing counter, in order, to send again once a floor is known. */
  waiting: Outgoing[];
  recovering: boolean;
  inFlight: number;
  settled?: (() => void) | undefined;
  /** The reservation this process last made or saw. */
  reserved: number | undefined;
}

/**
 * The router's events on a split gateway: numbered and kept in Redis (redis-events.ts), from
 * where every gateway (this one too) delivers them. Events of a conversation reach Redis in
 * emit order; if Redis lost a conversation's counter, the events wait while the central
 * service is asked how far its seqs went, then go out numbered beyond that.
 */
export class ClusterEventSink implements EventSink {
  readonly #events: RedisEvents;
  readonly #reservations: SeqReservations;
  readonly #logger: Logger;
  readonly #states = new Map<string, SinkState>();

  constructor(options: { events: RedisEvents; reservations: SeqReservations; logger: Logger }) {
    this.#events = options.events;
    this.#reservations = options.reservations;
    this.#logger = options.logger;
  }

  emit(conversationId: string, event: TurnEvent): void {
    const head: Outgoing = {
      type: event.type,
      turnId: event.turnId,
      head: JSON.stringify({ ...event, conversationId }).slice(0, -1),
    };
    let state = this.#states.get(conversationId);
    if (!state) {
      state = { waiting: [], recovering: false, inFlight: 0, reserved: undefined };
      this.#states.set(conversationId, state);
    }
    if (state.recovering) state.waiting.push(head);
    else this.#send(conversationId, state, head, undefined);
  }

  #send(conversationId: string, state: SinkState, head: Outgoing, floor: number | undefined): void {
    state.inFlight += 1;
    this.#events.append(conversationId, head, floor).then(
      (seq) => {
        this.#settle(state);
        this.#reserveBeyond(conversationId, state, seq);
      },
      (error: unknown) => {
        this.#settle(state);
        if (error instanceof Error && error.message.includes('NOFLOOR')) {
          state.waiting.push(head);
          if (!state.recovering) {
            state.recovering = true;
            void this.#recover(conversationId, state);
          }
        } else {
          this.#logger.error({ err: error, conversationId }, 'an event could not reach Redis');
        }
      },
    );
  }

  #settle(state: SinkState): void {
    state.inFlight -= 1;
    if (state.inFlight === 0) state.settled?.();
  }

  async #recover(conversationId: string, state: SinkState): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const floor = await this.#reservations.reserved(conversationId);
        // Every event sent before is answered first, so `waiting` holds them all, in order.
        if (state.inFlight > 0) await new Promise<void>((resolve) => (state.settled = resolve));
        state.settled = undefined;
        // A new conversation has no counter yet (floor 0); any other has lost it with Redis.
        if (floor > 0)
          this.#logger.warn({ conversationId, floor }, 'Redis had no counter: numbering resumes');
        state.recovering = false;
        const waiting = state.waiting.splice(0);
        waiting.forEach((head, index) => {
          this.#send(conversationId, state, head, index === 0 ? floor : undefined);
        });
        return;
      } catch (error) {
        this.#logger.warn({ err: error, conversationId }, 'cannot read the seq reservation yet');
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000)));
      }
    }
  }

  #reserveBeyond(conversationId: string, state: SinkState, seq: number): void {
    if (state.reserved !== undefined && seq < state.reserved) return;
    state.reserved = seq + reservationStep;
    this.#reservations.reserve(conversationId, state.reserved).catch((error: unknown) => {
      state.reserved = undefined;
      this.#logger.warn({ err: error, conversationId }, 'could not reserve seqs ahead');
    });
  }

  /** Forgets a conversation's state (deleted). */
  forget(conversationId: string): void {
    this.#states.delete(conversationId);
  }
}
