/**
 * The bus across processes: Redis Pub/Sub through ioredis. Same contract as the memory bus
 * (bus.ts, held to it by bus.suite.ts); what is particular to Redis:
 *
 * - Two connections: one publishes, one subscribes (a subscribed connection is reserved for
 *   Pub/Sub). Messages travel as JSON text; one that is not JSON (someone else's PUBLISH) is
 *   logged and dropped.
 * - Nothing queues while Redis is away. Both connections use `enableOfflineQueue: false` and
 *   `maxRetriesPerRequest: 0`: `publish` and `subscribe` reject at once (`unavailable`, "Event bus
 *   unavailable: ...") while disconnected, and a command in flight when the connection drops
 *   rejects instead of being replayed later (a stale config event replayed minutes late is
 *   worse than an error now). `commandTimeoutMs` bounds a Redis that hangs. Pub/Sub is at most
 *   once anyway: a publish that rejected may still have been delivered.
 * - Reconnecting never stops (every `maxReconnectDelayMs` at worst, default 2 s). After the
 *   subscriber connection is back, the bus subscribes again to every channel and pattern it
 *   holds, waits for Redis to confirm, and only then calls the `onReconnect` listeners, so a
 *   listener that re-reads state cannot miss a message published after it starts reading.
 *   ioredis' own `autoResubscribe` would also resubscribe (checked: it replays the previous
 *   connection's SUBSCRIBE/PSUBSCRIBE set right after `ready`), but without a promise to wait
 *   for, and it would bring back channels unsubscribed during the outage; it is off.
 * - The first connection must succeed: `RedisBus.connect` rejects when Redis cannot be reached
 *   (fail fast at startup, as the config loader does).
 */
import { Redis, type RedisOptions } from 'ioredis';
import {
  assertChannel,
  assertPattern,
  busUnavailable,
  encodeMessage,
  invokeHandler,
  invokeReconnectListener,
  type Bus,
  type BusHandler,
  type Unsubscribe,
} from './bus.ts';
import type { HearthError } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface RedisBusOptions {
  /** `redis://[user:password@]host[:port][/db]` */
  url: string;
  logger: Logger;
  /** Longest wait between two reconnect attempts. Default 2000 ms. */
  maxReconnectDelayMs?: number;
  /** A command (publish, subscribe) without a reply within this time rejects. Default 5000 ms. */
  commandTimeoutMs?: number;
  /** How long one connection attempt may take. Default 5000 ms. */
  connectTimeoutMs?: number;
}

interface Subscription {
  handler: BusHandler;
  active: boolean;
}

/** The local subscribers of one channel or pattern, and the SUBSCRIBE that serves them. */
interface Entry {
  subscriptions: Set<Subscription>;
  confirmed: Promise<void>;
}

/** Channels (SUBSCRIBE) or patterns (PSUBSCRIBE): the same bookkeeping, two command pairs. */
interface Kind {
  entries: Map<string, Entry>;
  subscribe(names: string[]): Promise<unknown>;
  unsubscribe(names: string[]): Promise<unknown>;
}

export class RedisBus implements Bus {
  readonly #logger: Logger;
  readonly #where: string;
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channels: Kind;
  readonly #patterns: Kind;
  readonly #reconnectListeners = new Set<() => void | Promise<void>>();
  #subscriberWasReady = false;
  #closed = false;

  /** Connects both connections; rejects (and leaves nothing running) if Redis is unreachable. */
  static async connect(options: RedisBusOptions): Promise<RedisBus> {
    const bus = new RedisBus(options);
    const results = await Promise.allSettled([bus.#publisher.connect(), bus.#subscriber.connect()]);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) {
      const error: unknown = failed.reason;
      bus.#closed = true;
      bus.#publisher.disconnect();
      bus.#subscriber.disconnect();
      throw busUnavailable(`cannot connect to Redis at ${bus.#where} (${describe(error)}).`, error);
    }
    return bus;
  }

  private constructor(options: RedisBusOptions) {
    this.#logger = options.logger.child({ component: 'bus' });
    this.#where = whereOf(options.url);
    const maxDelay = options.maxReconnectDelayMs ?? 2000;
    const connectionOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      connectTimeout: options.connectTimeoutMs ?? 5000,
      retryStrategy: (attempt) => Math.min(attempt * 100, maxDelay),
    };
    this.#publisher = new Redis(options.url, {
      ...connectionOptions,
      connectionName: 'hearth-bus-publish',
    });
    this.#subscriber = new Redis(options.url, {
      ...connectionOptions,
      connectionName: 'hearth-bus-subscribe',
    });
    const subscriber = this.#subscriber;
    this.#channels = {
      entries: new Map(),
      subscribe: (names) => subscriber.subscribe(...names),
      unsubscribe: (names) => subscriber.unsubscribe(...names),
    };
    this.#patterns = {
      entries: new Map(),
      subscribe: (names) => subscriber.psubscribe(...names),
      unsubscribe: (names) => subscriber.punsubscribe(...names),
    };
    this.#watch(this.#publisher, 'publish');
    this.#watch(this.#subscriber, 'subscribe');
    subscriber.on('message', (channel: string, raw: string) => {
      this.#dispatch(this.#channels.entries.get(channel), channel, raw);
    });
    subscriber.on('pmessage', (pattern: string, channel: string, raw: string) => {
      this.#dispatch(this.#patterns.entries.get(pattern), channel, raw);
    });
    subscriber.on('ready', () => {
      if (!this.#subscriberWasReady) {
        this.#subscriberWasReady = true;
        return;
      }
      void this.#resubscribe();
    });
  }

  async publish(channel: string, message: unknown): Promise<void> {
    this.#assertOpen();
    assertChannel(channel);
    const payload = encodeMessage(message);
    try {
      await this.#publisher.publish(channel, payload);
    } catch (error) {
      throw this.#failure(this.#publisher, error);
    }
  }

  async subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe> {
    this.#assertOpen();
    assertChannel(channel);
    return this.#add(this.#channels, channel, handler);
  }

  async subscribePattern(pattern: string, handler: BusHandler): Promise<Unsubscribe> {
    this.#assertOpen();
    assertPattern(pattern);
    return this.#add(this.#patterns, pattern, handler);
  }

  onReconnect(listener: () => void | Promise<void>): () => void {
    this.#reconnectListeners.add(listener);
    return () => {
      this.#reconnectListeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const kind of [this.#channels, this.#patterns]) {
      for (const entry of kind.entries.values()) {
        for (const subscription of entry.subscriptions) subscription.active = false;
      }
      kind.entries.clear();
    }
    this.#reconnectListeners.clear();
    await Promise.all([quit(this.#publisher), quit(this.#subscriber)]);
  }

  async #add(kind: Kind, name: string, handler: BusHandler): Promise<Unsubscribe> {
    // Checked here, not left to the entry: joining an existing channel while disconnected
    // must fail like a new one does.
    if (!isUp(this.#subscriber)) {
      throw this.#failure(this.#subscriber, undefined);
    }
    const subscription: Subscription = { handler, active: true };
    let entry = kind.entries.get(name);
    if (!entry) {
      entry = {
        subscriptions: new Set(),
        confirmed: kind.subscribe([name]).then(() => undefined),
      };
      kind.entries.set(name, entry);
    }
    entry.subscriptions.add(subscription);
    const joined = entry;
    const leave = (): boolean => {
      subscription.active = false;
      joined.subscriptions.delete(subscription);
      if (joined.subscriptions.size > 0 || kind.entries.get(name) !== joined) return false;
      kind.entries.delete(name);
      return true;
    };
    try {
      await joined.confirmed;
    } catch (error) {
      leave();
      throw this.#failure(this.#subscriber, error);
    }
    let done: Promise<void> | undefined;
    return () => {
      done ??= (async () => {
        if (!leave() || this.#closed) return;
        try {
          await kind.unsubscribe([name]);
        } catch (error) {
          // Disconnected: the server forgot the subscription with the connection, and the
          // resubscription after reconnect only covers what is still held here.
          this.#logger.debug({ err: error, name }, 'unsubscribe not confirmed by Redis');
        }
      })();
      return done;
    };
  }

  #dispatch(entry: Entry | undefined, channel: string, raw: string): void {
    if (this.#closed || !entry) return;
    const subscriptions = [...entry.subscriptions];
    if (subscriptions.length === 0) return;
    let first: unknown;
    try {
      first = JSON.parse(raw);
    } catch (error) {
      this.#logger.warn(
        { err: error, channel, sample: raw.slice(0, 200) },
        'dropping a bus message that is not JSON',
      );
      return;
    }
    subscriptions.forEach((subscription, index) => {
      if (!subscription.active || this.#closed) return;
      // Every handler gets its own copy, as with the memory bus.
      const message: unknown = index === 0 ? first : JSON.parse(raw);
      invokeHandler(this.#logger, subscription.handler, message, channel);
    });
  }

  async #resubscribe(): Promise<void> {
    const channels = [...this.#channels.entries.keys()];
    const patterns = [...this.#patterns.entries.keys()];
    try {
      await Promise.all([
        channels.length > 0 ? this.#channels.subscribe(channels) : undefined,
        patterns.length > 0 ? this.#patterns.subscribe(patterns) : undefined,
      ]);
    } catch (error) {
      if (this.#closed) return;
      // Still connected but the subscriptions did not take: reconnect and try again, rather
      // than stay connected and deaf.
      this.#logger.warn({ err: error }, 'resubscribing after a reconnect failed; reconnecting');
      if (this.#subscriber.status === 'ready') this.#subscriber.disconnect(true);
      return;
    }
    if (this.#closed) return;
    this.#logger.info(
      { channels: channels.length, patterns: patterns.length },
      'bus subscriptions restored after reconnect',
    );
    for (const listener of [...this.#reconnectListeners]) {
      invokeReconnectListener(this.#logger, listener);
    }
  }

  /** Logs a connection's ups and downs once each, not at every retry. */
  #watch(connection: Redis, role: string): void {
    let up = false;
    let errorLogged = false;
    connection.on('ready', () => {
      if (errorLogged) this.#logger.info({ role, redis: this.#where }, 'Redis connection back');
      up = true;
      errorLogged = false;
    });
    connection.on('close', () => {
      if (this.#closed || !up) return;
      up = false;
      this.#logger.warn({ role, redis: this.#where }, 'Redis connection lost; reconnecting');
      errorLogged = true;
    });
    connection.on('error', (error: Error) => {
      if (this.#closed) return;
      if (errorLogged) {
        this.#logger.debug({ err: error, role, redis: this.#where }, 'Redis connection error');
        return;
      }
      errorLogged = true;
      this.#logger.warn({ err: error, role, redis: this.#where }, 'Redis connection error');
    });
  }

  #failure(connection: Redis, error: unknown): HearthError {
    if (!isUp(connection) || isConnectionLoss(error)) {
      return busUnavailable(`not connected to Redis at ${this.#where}; try again shortly.`, error);
    }
    return busUnavailable(`Redis at ${this.#where} failed: ${describe(error)}.`, error);
  }

  #assertOpen(): void {
    if (this.#closed) throw busUnavailable('the bus is closed.');
  }
}

async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    try {
      await connection.quit();
    } catch {
      // Falls through to disconnect.
    }
  }
  // Also stops a pending reconnect timer when the connection was down.
  connection.disconnect();
}

/** host:port of a Redis URL, never its credentials. */
function whereOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return 'the configured address';
  }
}

/** Ready and writable: the status still reads `ready` for a moment after the socket ended. */
function isUp(connection: Redis): boolean {
  const stream = connection.stream as { writable?: boolean } | undefined;
  return connection.status === 'ready' && stream?.writable === true;
}

/** ioredis' ways of saying that the connection is gone. */
function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.message.includes('enableOfflineQueue') ||
    error.message.includes('Connection is closed')
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
