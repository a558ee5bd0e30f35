import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { busSuite, capturingLogger, recorder, uniqueChannel, waitFor } from './bus.suite.ts';
import { RedisBus } from './redis-bus.ts';
import { HearthError } from '../errors.ts';
import { startRedisServer, type TestRedis } from '../../../test/support/redis-server.ts';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis.stop();
});

busSuite('RedisBus', ({ logger }) =>
  RedisBus.connect({ url: redis.url, logger, maxReconnectDelayMs: 200 }),
);

describe('RedisBus across processes and outages', () => {
  const open: Array<{ close(): Promise<unknown> }> = [];

  async function connect(): Promise<{ bus: RedisBus; lines: Array<Record<string, unknown>> }> {
    const { logger, lines } = capturingLogger();
    const bus = await RedisBus.connect({ url: redis.url, logger, maxReconnectDelayMs: 200 });
    open.push(bus);
    return { bus, lines };
  }

  function rawClient(): Redis {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    client.on('error', () => {}); // restarts are on purpose
    open.push({ close: () => client.quit().catch(() => client.disconnect()) });
    return client;
  }

  /** Publishes once the publishing connection is back, as a caller that retries would. */
  async function publishWhenUp(bus: RedisBus, channel: string, message: unknown): Promise<void> {
    await waitFor(
      () =>
        bus.publish(channel, message).then(
          () => true,
          () => false,
        ),
      'a publish to succeed',
    );
  }

  afterEach(async () => {
    await Promise.all(open.splice(0).map((item) => item.close()));
  });

  it('lets two buses (two processes) see each other’s messages', async () => {
    const { bus: a } = await connect();
    const { bus: b } = await connect();
    const channel = uniqueChannel();
    const atA = recorder();
    const atB = recorder();
    await a.subscribe(channel, atA.handler);
    await b.subscribe(channel, atB.handler);
    await a.publish(channel, { from: 'a' });
    await b.publish(channel, { from: 'b' });
    await waitFor(() => atA.messages.length === 2 && atB.messages.length === 2, 'both messages');
    expect(atA.messages).toEqual([{ from: 'a' }, { from: 'b' }]);
    expect(atB.messages).toEqual([{ from: 'a' }, { from: 'b' }]);
  });

  it('resubscribes after Redis restarts, then calls onReconnect, and delivers again', async () => {
    const { bus, lines } = await connect();
    const channel = uniqueChannel();
    const base = uniqueChannel('pattern');
    const exact = recorder();
    const pattern = recorder();
    await bus.subscribe(channel, exact.handler);
    await bus.subscribePattern(`${base}.*`, pattern.handler);
    let reconnects = 0;
    bus.onReconnect(() => {
      reconnects += 1;
    });
    const removed = bus.onReconnect(() => {
      throw new Error('should have been removed');
    });
    removed();
    bus.onReconnect(() => {
      throw new Error('listener exploded');
    });
    await bus.publish(channel, 'before');
    await waitFor(() => exact.messages.length === 1, 'the first message');

    await redis.restart();
    await waitFor(() => reconnects === 1, 'onReconnect');

    // onReconnect came after Redis confirmed the subscriptions: a message published by
    // anyone from now on arrives.
    const other = rawClient();
    await other.publish(channel, JSON.stringify('from another client'));
    await other.publish(`${base}.x`, JSON.stringify('pattern after restart'));
    await publishWhenUp(bus, channel, 'after');
    await waitFor(() => exact.messages.length === 3, 'messages after the restart');
    expect(exact.messages).toEqual(['before', 'from another client', 'after']);
    await waitFor(() => pattern.messages.length === 1, 'the pattern message');
    expect(pattern.messages).toEqual(['pattern after restart']);
    expect(reconnects).toBe(1);
    expect(lines.some((line) => line.msg === 'bus reconnect listener failed')).toBe(true);
    expect(lines.some((line) => line.msg === 'Redis connection lost; reconnecting')).toBe(true);
    expect(lines.some((line) => line.msg === 'bus subscriptions restored after reconnect')).toBe(
      true,
    );
  });

  it('rejects publish and subscribe at once while Redis is down, instead of queueing', async () => {
    const { bus } = await connect();
    const channel = uniqueChannel();
    const r = recorder();
    const unsubscribe = await bus.subscribe(channel, r.handler);
    const kept = recorder();
    const keptChannel = uniqueChannel();
    await bus.subscribe(keptChannel, kept.handler);

    await redis.restart({
      whileDown: async () => {
        // The bus notices the dropped connection within moments.
        let failure: unknown;
        await waitFor(async () => {
          failure = await bus.publish(channel, 'lost').then(
            () => undefined,
            (error: unknown) => error,
          );
          return failure !== undefined;
        }, 'publish to fail');
        expect(failure).toBeInstanceOf(HearthError);
        expect((failure as HearthError).code).toBe('unavailable');
        expect((failure as HearthError).message).toMatch(
          /^Event bus unavailable: not connected to Redis at 127\.0\.0\.1:\d+/,
        );

        let subscribeFailure: unknown;
        await waitFor(async () => {
          subscribeFailure = await bus
            .subscribe(uniqueChannel(), () => {})
            .then(
              () => undefined,
              (error: unknown) => error,
            );
          return subscribeFailure !== undefined;
        }, 'subscribe to fail');
        expect(subscribeFailure).toMatchObject({
          code: 'unavailable',
          message: expect.stringMatching(/not connected to Redis/) as unknown,
        });

        // Once the bus knows, it answers at once.
        const started = Date.now();
        await expect(bus.publish(channel, 'again')).rejects.toBeInstanceOf(HearthError);
        await expect(bus.subscribe(uniqueChannel(), () => {})).rejects.toBeInstanceOf(HearthError);
        // Joining a channel already held fails too, though it needs no new SUBSCRIBE.
        await expect(bus.subscribe(keptChannel, () => {})).rejects.toBeInstanceOf(HearthError);
        expect(Date.now() - started).toBeLessThan(500);

        // Leaving during the outage works, and the channel does not come back afterwards.
        await unsubscribe();
      },
    });

    const other = rawClient();
    await waitFor(
      async () => Number((await other.pubsub('NUMSUB', keptChannel))[1]) === 1,
      'the kept channel resubscribed',
    );
    expect(await other.pubsub('NUMSUB', channel)).toEqual([channel, 0]);
    await publishWhenUp(bus, channel, 'nobody listens');
    await bus.publish(keptChannel, 'after');
    await waitFor(() => kept.messages.length === 1, 'the kept channel');
    expect(r.messages).toEqual([]);
    expect(kept.messages).toEqual(['after']);
  });

  it('rejects a publish Redis does not answer in time, and never replays one cut off', async () => {
    const { logger } = capturingLogger();
    const bus = await RedisBus.connect({
      url: redis.url,
      logger,
      maxReconnectDelayMs: 200,
      commandTimeoutMs: 300,
    });
    open.push(bus);
    const channel = uniqueChannel();
    const r = recorder();
    await bus.subscribe(channel, r.handler);
    let reconnected = false;
    bus.onReconnect(() => {
      reconnected = true;
    });
    const admin = rawClient();

    // Redis holds every PUBLISH while clients are paused for writes.
    await admin.client('PAUSE', 5000, 'WRITE');
    const started = Date.now();
    await expect(bus.publish(channel, 'slow')).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(
        /Redis at 127\.0\.0\.1:\d+ failed: Command timed out/,
      ) as unknown,
    });
    expect(Date.now() - started).toBeLessThan(2000);

    // In flight when the connection drops: rejected, and not sent again after the reconnect.
    const inFlight = bus.publish(channel, 'cut off').then(
      () => undefined,
      (error: unknown) => error,
    );
    await redis.restart();
    const error = await inFlight;
    expect(error).toBeInstanceOf(HearthError);
    expect((error as HearthError).message).toMatch(/not connected to Redis/);
    await waitFor(() => reconnected, 'the subscriptions to be back');
    await publishWhenUp(bus, channel, 'after');
    await waitFor(() => r.messages.includes('after'), 'the message after the restart');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.messages).toEqual(['after']);
  });

  it('logs and drops a message that is not JSON', async () => {
    const { bus, lines } = await connect();
    const channel = uniqueChannel();
    const r = recorder();
    await bus.subscribe(channel, r.handler);
    const other = rawClient();
    await other.publish(channel, 'not json {');
    await other.publish(channel, JSON.stringify({ ok: true }));
    await waitFor(() => r.messages.length === 1, 'the valid message');
    expect(r.messages).toEqual([{ ok: true }]);
    const dropped = lines.find((line) => line.msg === 'dropping a bus message that is not JSON');
    expect(dropped).toMatchObject({ channel, sample: 'not json {' });
  });

  it('fails to connect with a clear error when Redis is not there', async () => {
    const { logger } = capturingLogger();
    const gone = await startRedisServer();
    await gone.stop();
    const error: unknown = await RedisBus.connect({
      url: `redis://user:secret@127.0.0.1:${gone.port}`,
      logger,
      connectTimeoutMs: 1000,
    }).then(
      (bus) => bus.close(),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HearthError);
    expect((error as HearthError).code).toBe('unavailable');
    expect((error as HearthError).message).toMatch(
      new RegExp(`^Event bus unavailable: cannot connect to Redis at 127\\.0\\.0\\.1:${gone.port}`),
    );
    expect((error as HearthError).message).not.toMatch(/secret/);
  });

  it('closes cleanly while Redis is down', async () => {
    const { bus } = await connect();
    await bus.subscribe(uniqueChannel(), () => {});
    await redis.restart({
      whileDown: async () => {
        await waitFor(
          () =>
            bus.publish('x', 1).then(
              () => false,
              () => true,
            ),
          'the bus to notice',
        );
        await bus.close();
      },
    });
    await expect(bus.publish('x', 1)).rejects.toMatchObject({
      message: expect.stringMatching(/closed/) as unknown,
    });
  });
});
