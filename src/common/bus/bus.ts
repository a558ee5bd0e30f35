/**
 * The event bus: fire-and-forget messages on named channels, between the rooms of one process
 * (memory-bus.ts) or between processes on the LAN (redis-bus.ts, Redis Pub/Sub). Used for
 * config and device events; not a log: a subscriber sees only what is published while it is
 * subscribed and connected, so after `onReconnect` a consumer re-reads the state it may have
 * missed (from the context service, a Redis Stream, ...).
 *
 * Both implementations behave the same, and one shared suite (bus.suite.ts) holds them to it:
 * - A message is a JSON value: null, booleans, finite numbers, strings, arrays and plain
 *   objects. Anything else (undefined, NaN, Date, Map, class instances, cycles, ...) is refused
 *   by `publish` with `bad_request`, so what works in one process works across Redis.
 *   Object properties whose value is `undefined` are dropped, as JSON.stringify does.
 * - Every handler gets its own decoded copy: publishers and subscribers never share objects.
 * - Delivery is asynchronous (never inside `publish`) and in publish order per publisher.
 * - A handler that throws (or rejects) is logged and does not affect other handlers.
 * - `subscribePattern('config.*', ...)` takes Redis glob patterns limited to `*` (any run of
 *   characters, dots included) and `?` (one character); `[`, `]` and `\` are refused so that
 *   the memory bus matches what Redis PSUBSCRIBE would. (`?` is one UTF-16 unit here and one
 *   byte in Redis: use `*` where a non-ASCII character may be.)
 * - A message matching both a channel and a pattern subscription is delivered once to each.
 * - After `close()` nothing is delivered and publish/subscribe reject.
 */
import { ErrorCode, HearthError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** What a message may hold: what survives a JSON round trip unchanged. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Receives a decoded message and the channel it was published on (useful with patterns). */
export type BusHandler = (message: unknown, channel: string) => void | Promise<void>;

/** Stops one subscription; resolves once the transport has confirmed it. Idempotent. */
export type Unsubscribe = () => Promise<void>;

export interface Bus {
  /**
   * Sends `message` to every current subscriber of `channel`, in this and (Redis) other
   * processes. Resolves once the transport has accepted it; rejects with `bad_request` for a
   * message that is not a JSON value, and with `unavailable` (an "event bus unavailable" message)
   * when the transport is down or the bus is closed: it never queues for later.
   */
  publish(channel: string, message: unknown): Promise<void>;
  /** Resolves once the subscription is active: messages published after that are delivered. */
  subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe>;
  /** Like `subscribe`, for every channel matching a `*`/`?` glob such as `config.*`. */
  subscribePattern(pattern: string, handler: BusHandler): Promise<Unsubscribe>;
  /**
   * Called after the bus lost its connection and has it back, with every subscription active
   * again: re-read whatever may have been published meanwhile. Returns a function that removes
   * the listener. Optional: a bus that cannot lose messages (memory) may leave it out.
   */
  onReconnect?(listener: () => void | Promise<void>): () => void;
  /** Stops every subscription and releases connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * A channel with the type of its messages, so that publishers and subscribers agree in one
 * place. `parse` checks what arrives (another process may be older, or wrong): a zod schema's
 * `parse` fits. A message it rejects is logged by the bus like any throwing handler.
 */
export interface Topic<T> {
  readonly channel: string;
  parse(message: unknown): T;
}

export function defineTopic<T>(channel: string, parse: (message: unknown) => T): Topic<T> {
  assertChannel(channel);
  return { channel, parse };
}

export async function publishTopic<T>(bus: Bus, topic: Topic<T>, message: T): Promise<void> {
  await bus.publish(topic.channel, message);
}

export async function subscribeTopic<T>(
  bus: Bus,
  topic: Topic<T>,
  handler: (message: T) => void | Promise<void>,
): Promise<Unsubscribe> {
  return bus.subscribe(topic.channel, (message) => handler(topic.parse(message)));
}

/** Checks that `message` is a JSON value (see above) and encodes it. */
export function encodeMessage(message: unknown): string {
  checkJson(message, 'message', new Set());
  return JSON.stringify(message);
}

function checkJson(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, `is ${String(value)}`);
      return;
    case 'object': {
      if (value === null) return;
      if (ancestors.has(value)) throw notJson(path, 'refers back to itself');
      ancestors.add(value);
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; index++) {
          const item: unknown = value[index];
          if (item === undefined) throw notJson(`${path}[${index}]`, 'is undefined');
          checkJson(item, `${path}[${index}]`, ancestors);
        }
      } else {
        const prototype: unknown = Object.getPrototypeOf(value);
        if (prototype !== Object.prototype && prototype !== null) {
          const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
          throw notJson(path, `is a ${typeof name === 'string' ? name : 'class instance'}`);
        }
        for (const [key, item] of Object.entries(value)) {
          if (item !== undefined) checkJson(item, `${path}.${key}`, ancestors);
        }
      }
      ancestors.delete(value);
      return;
    }
    default:
      throw notJson(path, `is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}`);
  }
}

function notJson(path: string, problem: string): HearthError {
  return new HearthError(
    ErrorCode.badRequest,
    `A bus message must be a JSON value: ${path} ${problem}.`,
  );
}

export function assertChannel(channel: string): void {
  if (typeof channel !== 'string' || channel.length === 0) {
    throw new HearthError(ErrorCode.badRequest, 'A bus channel must be a non-empty string.');
  }
}

/** Checks a `subscribePattern` pattern: non-empty, with only `*` and `?` as wildcards. */
export function assertPattern(pattern: string): void {
  assertChannel(pattern);
  if (/[[\]\\]/.test(pattern)) {
    throw new HearthError(
      ErrorCode.badRequest,
      `Bus pattern "${pattern}" uses [, ] or \\: only * and ? are supported.`,
    );
  }
}

/** Whether `channel` matches a pattern checked by `assertPattern`, the way Redis would. */
export function patternMatcher(pattern: string): (channel: string) => boolean {
  const source = pattern
    .split('')
    .map((char) => {
      if (char === '*') return '.*';
      if (char === '?') return '.';
      return char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  const regex = new RegExp(`^${source}$`, 's');
  return (channel) => regex.test(channel);
}

/**
 * The error for a bus that cannot take a message now: `unavailable` (503), with a message
 * that says what happened (shown to clients as such).
 */
export function busUnavailable(detail: string, cause?: unknown): HearthError {
  return new HearthError(ErrorCode.unavailable, `Event bus unavailable: ${detail}`, { cause });
}

/** Runs one handler; whatever it throws or rejects with is logged, never propagated. */
export function invokeHandler(
  logger: Logger,
  handler: BusHandler,
  message: unknown,
  channel: string,
): void {
  const report = (error: unknown): void => {
    logger.error({ err: error, channel }, 'bus handler failed');
  };
  try {
    const result = handler(message, channel);
    if (result instanceof Promise) result.catch(report);
  } catch (error) {
    report(error);
  }
}

/** Runs one reconnect listener, logging what it throws or rejects with. */
export function invokeReconnectListener(
  logger: Logger,
  listener: () => void | Promise<void>,
): void {
  const report = (error: unknown): void => {
    logger.error({ err: error }, 'bus reconnect listener failed');
  };
  try {
    const result = listener();
    if (result instanceof Promise) result.catch(report);
  } catch (error) {
    report(error);
  }
}
