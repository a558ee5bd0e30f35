import type { EventSink } from '../../router/event-sink.ts';

/** A receiver of conversation frames: a WebSocket session, or a test probe. */
export interface Subscriber {
  deliver(frame: Buffer): void;
  /** A closed subscriber is never added (a subscribe may finish after its socket closed). */
  readonly isClosed?: boolean;
}

export type SubscribeMode = 'live' | 'replay' | 'snapshot';

export interface SubscribeOptions {
  /** The last seq the subscriber has; without it, a snapshot comes first. */
  afterSeq?: number | undefined;
  /** Only the live stream, nothing before (a sender watching its own new turn). */
  liveOnly?: boolean;
  /** The newest messages a snapshot carries at most (`messagePages.messages` by default). */
  snapshotLimit?: number | undefined;
  /** Told the seq the subscriber starts from, just before the replay or snapshot is delivered. */
  onReady?: (seq: number) => void;
}

/**
 * Subscriptions and fan-out of conversation events: in one process (hub.ts), or across
 * gateways through Redis (cluster/cluster-hub.ts). Every subscriber of a conversation gets the
 * same events in the same order; one joining with `afterSeq` gets exactly what it missed, then
 * the live stream.
 */
export interface ConversationHub extends EventSink {
  subscribe(
    subscriber: Subscriber,
    conversationId: string,
    options?: SubscribeOptions,
  ): { mode: SubscribeMode; seq: number } | Promise<{ mode: SubscribeMode; seq: number }>;
  unsubscribe(subscriber: Subscriber, conversationId: string): boolean;
  /** Removes a subscriber from every conversation, as when its socket closes. */
  unsubscribeAll(subscriber: Subscriber): void;
  isSubscribed(subscriber: Subscriber, conversationId: string): boolean;
  /** Drops a deleted conversation and its subscribers. */
  forget(conversationId: string): void;
  /** Persists what must survive a clean stop. */
  flush(): void;
}
