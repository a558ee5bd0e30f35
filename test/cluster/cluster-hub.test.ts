import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.ts';
import { ClusterHub } from '../../src/gateway/cluster/cluster-hub.ts';
import { ClusterEventSink } from '../../src/gateway/cluster/cluster-sink.ts';
import { RedisEvents } from '../../src/gateway/cluster/redis-events.ts';
import { startRedisServer, type TestRedis } from '../support/redis-server.ts';

const logger = createLogger({ level: 'silent' });
let redis: TestRedis;
let events: RedisEvents;
let raw: Redis;
let hub: ClusterHub;
const reserved = new Map<string, number>();

class Probe {
  frames: Array<Record<string, any>> = [];
  deliver(frame: Buffer): void {
    this.frames.push(JSON.parse(frame.toString()) as Record<string, any>);
  }
  seqs(): number[] {
    return this.frames.map((f) => f.seq as number);
  }
}

beforeEach(async () => {
  redis = await startRedisServer();
  events = await RedisEvents.connect({ url: redis.url, logger, streamEvents: 100 });
  raw = new Redis(redis.url);
  reserved.clear();
  const reservations = {
    reserved: (id: string) => Promise.resolve(reserved.get(id) ?? 0),
    reserve: (id: string, seq: number) => {
      reserved.set(id, Math.max(seq, reserved.get(id) ?? 0));
      return Promise.resolve();
    },
  };
  hub = new ClusterHub({
    events,
    logger,
    sink: new ClusterEventSink({ events, reservations, logger }),
    source: {
      reserved: reservations.reserved,
      // The limit asked for shows as the count of earlier messages, for the tests to see.
      detail: (id, limit) =>
        Promise.resolve({
          conversation: { id, title: 't', profile: null, createdAt: '', updatedAt: '' },
          messages: [],
          earlier: limit ?? -1,
        }),
    },
  });
});
afterEach(async () => {
  raw.disconnect();
  await events.close();
  await redis.stop();
});

const delta = (text: string) => ({ type: 'text.delta' as const, turnId: 't1', text });

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Numbers and keeps an event in Redis without announcing it: a live message that got lost. */
async function keepWithoutAnnouncing(id: string, text: string): Promise<number> {
  const seq = await raw.incr(`hearth:conv:${id}:seq`);
  const frame = JSON.stringify({ ...delta(text), conversationId: id, seq });
  await raw.xadd(`hearth:conv:${id}:events`, `${seq}-1`, 'f', frame);
  return seq;
}

describe('ClusterHub over a real Redis', () => {
  it('fills a gap in the live stream from the Stream, in order', async () => {
    const probe = new Probe();
    await hub.subscribe(probe, 'c1', { liveOnly: true });
    hub.emit('c1', delta('a'));
    await until(() => probe.frames.length === 1);
    await keepWithoutAnnouncing('c1', 'b');
    hub.emit('c1', delta('c'));
    await until(() => probe.frames.length === 3);
    expect(probe.frames.map((f) => [f.seq, f.text])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    // A late subscriber resumes from the Stream, gets exactly what it missed, then live events.
    const late = new Probe();
    let ackSeq = -1;
    const joined = await hub.subscribe(late, 'c1', {
      afterSeq: 1,
      onReady: (seq) => (ackSeq = seq),
    });
    expect(joined).toEqual({ mode: 'replay', seq: 3 });
    expect(ackSeq).toBe(3);
    hub.emit('c1', delta('d'));
    await until(() => late.frames.length === 3);
    expect(late.seqs()).toEqual([2, 3, 4]);
  });

  it('sends a snapshot when the missing events are gone, then goes on live', async () => {
    const probe = new Probe();
    await hub.subscribe(probe, 'c2', { liveOnly: true });
    hub.emit('c2', delta('a'));
    await until(() => probe.frames.length === 1);
    await raw.set('hearth:conv:c2:seq', 10); // seqs 2..10 were numbered and lost
    hub.emit('c2', delta('z'));
    await until(() => probe.frames.length === 3);
    expect(probe.frames.map((f) => [f.type, f.seq])).toEqual([
      ['text.delta', 1],
      ['snapshot', 10],
      ['text.delta', 11],
    ]);
    // Of the default size: the source was asked for no particular limit.
    expect(probe.frames[1]).toMatchObject({ earlier: -1 });
  });

  it('forgets a deleted conversation: its subscribers get nothing more of it', async () => {
    const probe = new Probe();
    await hub.subscribe(probe, 'c5', { liveOnly: true });
    const watcher = new Probe();
    await hub.subscribe(watcher, 'c6', { liveOnly: true });
    hub.emit('c5', delta('a'));
    await until(() => probe.frames.length === 1);
    hub.forget('c5');
    expect(hub.isSubscribed(probe, 'c5')).toBe(false);
    expect(hub.isSubscribed(watcher, 'c6')).toBe(true);
    // Published after 'b' on the same connection, 'x' arrives after it: by then a probe still
    // subscribed would have 'b'.
    hub.emit('c5', delta('b'));
    hub.emit('c6', delta('x'));
    await until(() => watcher.frames.length === 1);
    expect(probe.frames.map((f) => f.text)).toEqual(['a']);
  });

  it('numbers beyond the reservation when Redis lost the counter', async () => {
    reserved.set('c3', 2000);
    const probe = new Probe();
    await hub.subscribe(probe, 'c3', { liveOnly: true });
    for (const text of ['a', 'b', 'c']) hub.emit('c3', delta(text));
    await until(() => probe.frames.length === 3);
    expect(probe.seqs()).toEqual([2001, 2002, 2003]);
    // Seqs are reserved ahead in the central service as they are used.
    await until(() => (reserved.get('c3') ?? 0) >= 3001);
    // A subscriber that asks for a seq ahead of the conversation gets a snapshot.
    const ahead = new Probe();
    expect(await hub.subscribe(ahead, 'c3', { afterSeq: 9999, snapshotLimit: 5 })).toEqual({
      mode: 'snapshot',
      seq: 2003,
    });
    // The limit it asked for reached the source.
    expect(ahead.frames[0]).toMatchObject({ type: 'snapshot', seq: 2003, earlier: 5 });
    hub.unsubscribeAll(ahead);
    expect(hub.isSubscribed(ahead, 'c3')).toBe(false);
    expect(hub.unsubscribe(probe, 'c3')).toBe(true);
    expect(hub.entryCount).toBe(0);
  });
});
