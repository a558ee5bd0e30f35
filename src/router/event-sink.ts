import type { TurnEvent } from '../common/protocol.ts';

/**
 * Where the router puts a turn's events. The gateway's hub implements it: it numbers each
 * event (`seq`, one per conversation), keeps it for replay and fans it out to subscribers.
 */
export interface EventSink {
  /** Appends the event to the conversation's log and returns its seq. */
  emit(conversationId: string, event: TurnEvent): number;
}
