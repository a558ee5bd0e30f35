import type { TurnEvent } from '../common/protocol.ts';

/**
 * Where the router puts a turn's events. The gateway's hub implements it (or, between
 * gateways, a Redis Stream): it numbers each event (`seq`, one per conversation), keeps it for
 * replay and fans it out to subscribers. Events of one conversation keep their order.
 */
export interface EventSink {
  /** Appends the event to the conversation's log. */
  emit(conversationId: string, event: TurnEvent): void;
}
