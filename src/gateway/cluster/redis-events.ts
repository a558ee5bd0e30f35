/**
 * Conversation events between gateways, in Redis. Each event is numbered, kept and announced in
 * one atomic script: INCR of the conversation's counter, XADD to its Stream (the recent events,
 * for resume on any gateway; the entry's ID is `<seq>-1`, so a range of seqs is a range of
 * IDs), PUBLISH on its channel (the live feed). Every gateway listens to
 * every conversation's channel with one PSUBSCRIBE, so a new local subscriber never waits for
 * a SUBSCRIBE to be confirmed, and nothing published while it joins is missed.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';

const prefix = 'hearth:conv:';
const seqKey = (id: string) => `${prefix}${id}:seq`;
const streamKey = (id: string) => `${prefix}${id}:events`;
const channelOf = (id: string) => `${prefix}${id}`;
/** The seq of the running turn's `turn.started`, while one runs. */
const turnKey = (id: string) => `${prefix}${id}:turn`;
/** turnId → conversation, for every turn running on any gateway (for Stop from elsewhere). */
const runningTurns = 'hearth:turns';
/** Keys of a conversation nobody writes to for this long expire (7 days). */
const keyTtlMs = 7 * 24 * 3600 * 1000;

/**
 * KEYS: counter, stream, running turn's start, running turns. ARGV: floor ('' when unknown),
 * max stream length, the frame's JSON without its closing brace, the channel, the keys' TTL,
 * the event's type, its turn. The counter starts from the floor when
 * it is missing (a Redis that lost its data), so seqs never go back; without a floor the script
 * refuses with NOFLOOR and the caller asks the central service for one.
 */
const appendScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[1] == '' then return redis.error_reply('NOFLOOR') end
  redis.call('SET', KEYS[1], ARGV[1])
end
local seq = redis.call('INCR', KEYS[1])
local frame = ARGV[3] .. ',"seq":' .. seq .. '}'
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-1', 'f', frame)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
if ARGV[6] == 'turn.started' then
  redis.call('SET', KEYS[3], seq, 'PX', ARGV[5])
  redis.call('HSET', KEYS[4], ARGV[7], ARGV[4])
elseif ARGV[6] == 'turn.done' or ARGV[6] == 'turn.error' then
  redis.call('DEL', KEYS[3])
  redis.call('HDEL', KEYS[4], ARGV[7])
end
redis.call('PUBLISH', ARGV[4], seq .. ' ' .. frame)
return seq
`;

export interface StoredEvent {
  seq: number;
  frame: string;
}

export type EventListener = (conversationId: string, seq: number, frame: string) => void;

type AppendingRedis = Redis & {
  hearthAppend(
    counter: string,
    stream: string,
    turn: string,
    turns: string,
    floor: string,
    maxLength: number,
    head: string,
    channel: string,
    ttl: number,
    type: string,
    turnId: string,
  ): Promise<number>;
};

export class RedisEvents {
  readonly #commands: AppendingRedis;
  readonly #listener: Redis;
  readonly #logger: Logger;
  readonly #maxLength: number;
  readonly #onEvent = new Set<EventListener>();
  readonly #onReconnect = new Set<() => void>();
  #listenerWasReady = false;
  #closed = false;

  /** Connects and listens; rejects when Redis cannot be reached (fail fast at start). */
  static async connect(options: {
    url: string;
    logger: Logger;
    streamEvents: number;
  }): Promise<RedisEvents> {
    const events = new RedisEvents(options);
    try {
      await Promise.all([events.#commands.connect(), events.#listener.connect()]);
      await events.#listener.psubscribe(`${prefix}*`);
    } catch (error) {
      await events.close();
      throw new HearthError(ErrorCode.unavailable, `Cannot reach Redis for conversation events`, {
        cause: error,
      });
    }
    return events;
  }

  private constructor(options: { url: string; logger: Logger; streamEvents: number }) {
    this.#logger = options.logger.child({ component: 'conversation-events' });
    this.#maxLength = options.streamEvents;
    const common: RedisOptions = {
      lazyConnect: true,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    };
    // Commands wait out an outage in order (the offline queue) rather than fail: a turn's
    // events reach Redis late, numbered in order, instead of being lost.
    this.#commands = new Redis(options.url, {
      ...common,
      connectionName: 'hearth-events',
      maxRetriesPerRequest: null,
    }) as AppendingRedis;
    this.#commands.defineCommand('hearthAppend', { numberOfKeys: 4, lua: appendScript });
    this.#listener = new Redis(options.url, {
      ...common,
      connectionName: 'hearth-events-listen',
      autoResubscribe: true,
    });
    this.#commands.on('error', (error: Error) =>
      this.#logger.warn({ err: error }, 'Redis (events) connection error'),
    );
    this.#listener.on('error', (error: Error) =>
      this.#logger.warn({ err: error }, 'Redis (events listener) connection error'),
    );
    this.#listener.on('pmessage', (_pattern: string, channel: string, message: string) => {
      const space = message.indexOf(' ');
      const seq = Number(message.slice(0, space));
      if (space < 0 || !Number.isSafeInteger(seq)) return;
      const conversationId = channel.slice(prefix.length);
      for (const listener of this.#onEvent) listener(conversationId, seq, message.slice(space + 1));
    });
    this.#listener.on('ready', () => {
      // ioredis subscribes again by itself (autoResubscribe) right after `ready`.
      if (this.#listenerWasReady && !this.#closed) {
        this.#logger.info('Redis (events) is back: catching up');
        for (const listener of this.#onReconnect) listener();
      }
      this.#listenerWasReady = true;
    });
  }

  onEvent(listener: EventListener): void {
    this.#onEvent.add(listener);
  }

  /** Called once the live feed is back after Redis went away: catch up from the Streams. */
  onReconnect(listener: () => void): void {
    this.#onReconnect.add(listener);
  }

  /**
   * Numbers, keeps and announces one event; `head` is its JSON without the closing brace.
   * Calls for one conversation are numbered in call order. Rejects with NOFLOOR (see above).
   */
  append(
    conversationId: string,
    event: { type: string; turnId: string; head: string },
    floor: number | undefined,
  ): Promise<number> {
    return this.#commands.hearthAppend(
      seqKey(conversationId),
      streamKey(conversationId),
      turnKey(conversationId),
      runningTurns,
      floor === undefined ? '' : String(floor),
      this.#maxLength,
      event.head,
      channelOf(conversationId),
      keyTtlMs,
      event.type,
      event.turnId,
    );
  }

  /** The seq at which the conversation's running turn started, if one runs. */
  async runningTurnStart(conversationId: string): Promise<number | undefined> {
    const value = await this.#commands.get(turnKey(conversationId));
    return value === null ? undefined : Number(value);
  }

  /** Whether a turn with this id runs on some gateway. */
  async isTurnRunning(turnId: string): Promise<boolean> {
    return (await this.#commands.hexists(runningTurns, turnId)) === 1;
  }

  /** Drops what Redis keeps of a deleted conversation. */
  async forget(conversationId: string): Promise<void> {
    await this.#commands.del(
      seqKey(conversationId),
      streamKey(conversationId),
      turnKey(conversationId),
    );
  }

  /** The conversation's last seq in Redis, or undefined when Redis has none. */
  async lastSeq(conversationId: string): Promise<number | undefined> {
    const value = await this.#commands.get(seqKey(conversationId));
    return value === null ? undefined : Number(value);
  }

  /**
   * The kept events with seq in (afterSeq, upTo], oldest first; undefined when the Stream no
   * longer holds all of them (trimmed, or lost with Redis).
   */
  async range(
    conversationId: string,
    afterSeq: number,
    upTo: number,
  ): Promise<StoredEvent[] | undefined> {
    if (upTo <= afterSeq) return [];
    const entries = await this.#commands.xrange(
      streamKey(conversationId),
      `${afterSeq + 1}-1`,
      `${upTo}-1`,
    );
    if (entries.length !== upTo - afterSeq) return undefined;
    return entries.map(([id, fields]) => ({
      seq: Number.parseInt(id, 10),
      frame: fields[1] ?? '',
    }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#commands.disconnect();
    this.#listener.disconnect();
    await Promise.resolve();
  }
}
