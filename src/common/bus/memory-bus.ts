/**
 * The in-process bus, for the embedded default (every room in one process). Messages are
 * encoded exactly as the Redis bus encodes them and each handler decodes its own copy, so a
 * consumer that works here works across Redis. Delivery runs in a microtask per publish, so
 * handlers never run inside `publish` and messages arrive in publish order.
 */
import {
  assertChannel,
  assertPattern,
  busUnavailable,
  encodeMessage,
  invokeHandler,
  invokeReconnectListener,
  patternMatcher,
  type Bus,
  type BusHandler,
  type Unsubscribe,
} from './bus.ts';
import type { Logger } from '../logger.ts';

export interface MemoryBusOptions {
  logger: Logger;
}

interface Subscription {
  handler: BusHandler;
  active: boolean;
}

interface PatternSubscription extends Subscription {
  matches: (channel: string) => boolean;
}

export class MemoryBus implements Bus {
  readonly #logger: Logger;
  readonly #channels = new Map<string, Set<Subscription>>();
  readonly #patterns = new Set<PatternSubscription>();
  readonly #reconnectListeners = new Set<() => void | Promise<void>>();
  #closed = false;

  constructor(options: MemoryBusOptions) {
    this.#logger = options.logger;
  }

  publish(channel: string, message: unknown): Promise<void> {
    return settle(() => this.#publish(channel, message));
  }

  #publish(channel: string, message: unknown): void {
    this.#assertOpen();
    assertChannel(channel);
    const payload = encodeMessage(message);
    // Who receives it is decided now, as Redis decides when PUBLISH arrives; someone who
    // unsubscribes before delivery is skipped.
    const targets: Subscription[] = [...(this.#channels.get(channel) ?? [])];
    for (const subscription of this.#patterns) {
      if (subscription.matches(channel)) targets.push(subscription);
    }
    if (targets.length === 0) return;
    queueMicrotask(() => {
      for (const subscription of targets) {
        if (this.#closed || !subscription.active) continue;
        invokeHandler(this.#logger, subscription.handler, JSON.parse(payload), channel);
      }
    });
  }

  subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe> {
    return settle(() => this.#subscribe(channel, handler));
  }

  #subscribe(channel: string, handler: BusHandler): Unsubscribe {
    this.#assertOpen();
    assertChannel(channel);
    const subscription: Subscription = { handler, active: true };
    let set = this.#channels.get(channel);
    if (!set) {
      set = new Set();
      this.#channels.set(channel, set);
    }
    set.add(subscription);
    return () =>
      settle(() => {
        subscription.active = false;
        const current = this.#channels.get(channel);
        if (!current) return;
        current.delete(subscription);
        if (current.size === 0) this.#channels.delete(channel);
      });
  }

  subscribePattern(pattern: string, handler: BusHandler): Promise<Unsubscribe> {
    return settle(() => this.#subscribePattern(pattern, handler));
  }

  #subscribePattern(pattern: string, handler: BusHandler): Unsubscribe {
    this.#assertOpen();
    assertPattern(pattern);
    const subscription: PatternSubscription = {
      handler,
      active: true,
      matches: patternMatcher(pattern),
    };
    this.#patterns.add(subscription);
    return () =>
      settle(() => {
        subscription.active = false;
        this.#patterns.delete(subscription);
      });
  }

  /** Never fires by itself (nothing to lose in-process); see `simulateReconnect`. */
  onReconnect(listener: () => void | Promise<void>): () => void {
    this.#reconnectListeners.add(listener);
    return () => {
      this.#reconnectListeners.delete(listener);
    };
  }

  /** For consumers' tests: calls the `onReconnect` listeners as the Redis bus would. */
  simulateReconnect(): void {
    for (const listener of [...this.#reconnectListeners]) {
      invokeReconnectListener(this.#logger, listener);
    }
  }

  close(): Promise<void> {
    return settle(() => this.#close());
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const set of this.#channels.values()) {
      for (const subscription of set) subscription.active = false;
    }
    for (const subscription of this.#patterns) subscription.active = false;
    this.#channels.clear();
    this.#patterns.clear();
    this.#reconnectListeners.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw busUnavailable('the bus is closed.');
  }
}

/** Runs `work` now (so that order is kept) and reports its result or throw as a promise. */
function settle<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}
