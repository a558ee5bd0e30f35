/**
 * The contract every Bus keeps, as one vitest suite that memory-bus.test.ts and
 * redis-bus.test.ts both run. No sleeps decide a result: "nothing more arrived" is shown by a
 * marker published afterwards arriving, since delivery keeps publish order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defineTopic, publishTopic, subscribeTopic, type Bus, type BusHandler } from './bus.ts';
import { HearthError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';

export type BusFactory = (options: { logger: Logger }) => Promise<Bus>;

/** A logger that keeps its lines, to check what a bus reports. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    stream: {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines };
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A handler that records what it gets. */
export function recorder(): {
  handler: BusHandler;
  messages: unknown[];
  channels: string[];
} {
  const messages: unknown[] = [];
  const channels: string[] = [];
  return {
    messages,
    channels,
    handler: (message, channel) => {
      messages.push(message);
      channels.push(channel);
    },
  };
}

let counter = 0;
/** A channel name no other test (or test file sharing the Redis) uses. */
export function uniqueChannel(prefix = 'test'): string {
  counter += 1;
  return `${prefix}.${process.pid}.${Date.now().toString(36)}.${counter}`;
}

export function busSuite(name: string, factory: BusFactory): void {
  describe(`${name}: the Bus contract`, () => {
    const open: Bus[] = [];
    let logLines: Array<Record<string, unknown>> = [];

    async function makeBus(): Promise<Bus> {
      const captured = capturingLogger();
      logLines = captured.lines;
      const bus = await factory({ logger: captured.logger });
      open.push(bus);
      return bus;
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((bus) => bus.close()));
    });

    it('delivers a message to every subscriber of the channel, each with its own copy', async () => {
      const bus = await makeBus();
      const channel = uniqueChannel();
      const received = [recorder(), recorder(), recorder()];
      for (const r of received) await bus.subscribe(channel, r.handler);

      const sent = { kind: 'config.changed', keys: ['a', 'b'], nested: { n: 1 } };
      await bus.publish(channel, sent);
      await waitFor(() => received.every((r) => r.messages.length === 1), 'three deliveries');

      const copies = received.map((r) => r.messages[0]);
      for (const copy of copies) {
        expect(copy).toEqual(sent);
        expect(copy).not.toBe(sent);
      }
      expect(copies[0]).not.toBe(copies[1]);
      expect(received.map((r) => r.channels[0])).toEqual([channel, channel, channel]);
      // One subscriber changing its copy changes nobody else's, nor the publisher's.
      (copies[0] as { keys: string[] }).keys.push('mutated');
      expect((copies[1] as { keys: string[] }).keys).toEqual(['a', 'b']);
      expect(sent.keys).toEqual(['a', 'b']);
    });

    it('delivers asynchronously, never inside publish', async () => {
      const bus = await makeBus();
      const channel = uniqueChannel();
      const r = recorder();
      await bus.subscribe(channel, r.handler);
      const publishing = bus.publish(channel, 1);
      expect(r.messages).toEqual([]);
      await publishing;
      await waitFor(() => r.messages.length === 1, 'delivery');
    });

    it('keeps publish order for 1,000 messages', async () => {
      const bus = await makeBus();
      const channel = uniqueChannel();
      const r = recorder();
      await bus.subscribe(channel, r.handler);
      const count = 1000;
      await Promise.all(Array.from({ length: count }, (_, i) => bus.publish(channel, { i })));
      await waitFor(() => r.messages.length === count, '1,000 messages');
      expect(r.messages).toEqual(Array.from({ length: count }, (_, i) => ({ i })));
    });

    it('stops delivering to a handler once it unsubscribes, and only to that handler', async () => {
      const bus = await makeBus();
      const channel = uniqueChannel();
      const marker = uniqueChannel('marker');
      const leaving = recorder();
      const staying = recorder();
      const alone = recorder();
      const markers = recorder();
      const unsubscribeLeaving = await bus.subscribe(channel, leaving.handler);
      await bus.subscribe(channel, staying.handler);
      const aloneChannel = uniqueChannel();
      const unsubscribeAlone = await bus.subscribe(aloneChannel, alone.handler);
      await bus.subscribe(marker, markers.handler);

      await bus.publish(channel, 1);
      await bus.publish(aloneChannel, 1);
      await waitFor(() => staying.messages.length === 1 && alone.messages.length === 1, 'first');
      await unsubscribeLeaving();
      await unsubscribeLeaving(); // idempotent
      await unsubscribeAlone(); // the channel's last subscriber
      await bus.publish(channel, 2);
      await bus.publish(aloneChannel, 2);
      await bus.publish(marker, 'done');
      await waitFor(() => markers.messages.length === 1, 'the marker');

      expect(leaving.messages).toEqual([1]);
      expect(staying.messages).toEqual([1, 2]);
      expect(alone.messages).toEqual([1]);

      // Subscribing again to a channel left empty works.
      const again = recorder();
      await bus.subscribe(aloneChannel, again.handler);
      await bus.publish(aloneChannel, 3);
      await waitFor(() => again.messages.length === 1, 'the resubscribed channel');
      expect(again.messages).toEqual([3]);
    });

    it('does not deliver a message published before the handler unsubscribed but not yet delivered', async () => {
      const bus = await makeBus();
      const channel = uniqueChannel();
      const marker = uniqueChannel('marker');
      const markers = recorder();
      const calls: unknown[] = [];
      const unsubscribe = await bus.subscribe(channel, (message) => {
        calls.push(message);
        void unsubscribe();
      });
      await bus.subscribe(marker, markers.handler);
      await Promise.all([bus.publish(channel, 1), bus.publish(channel, 2)]);
      await bus.publish(marker, 'done');
      await waitFor(() => markers.messages.length === 1, 'the marker');
      expect(calls).toEqual([1]);
    });

    it('keeps channels apart', async () => {
      const bus = await makeBus();
      const a = uniqueChannel('a');
      const b = uniqueChannel('b');
      const ra = recorder();
      const rb = recorder();
      await bus.subscribe(a, ra.handler);
      await bus.subscribe(b, rb.handler);
      await bus.publish(b, 'for b');
      await bus.publish(uniqueChannel('nobody'), 'for nobody');
      await bus.publish(a, 'for a');
      await waitFor(() => ra.messages.length === 1, 'the message on a');
      expect(ra.messages).toEqual(['for a']);
      expect(rb.messages).toEqual(['for b']);
      expect(rb.channels).toEqual([b]);
    });

    it('round-trips JSON values and refuses what JSON cannot carry', async () => {
      const bus = await makeBus();
      const channel = uniqueChannel();
      const r = recorder();
      await bus.subscribe(channel, r.handler);
      const values: unknown[] = [
        {
          text: 'héllo ☕ 👋 "quoted" \\ \n line',
          numbers: [0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER, -0.000001],
          flags: [true, false],
          nothing: null,
          empty: { list: [], object: {}, string: '' },
          deep: { a: { b: { c: [{ d: [1, [2, [3]]] }] } } },
        },
        'a string',
        42,
        true,
        null,
        [],
        Object.assign(Object.create(null) as object, { bare: 'object' }),
      ];
      for (const value of values) await bus.publish(channel, value);
      // Properties set to undefined are left out, as JSON.stringify does.
      await bus.publish(channel, { kept: 1, dropped: undefined });
      await waitFor(() => r.messages.length === values.length + 1, 'every value');
      expect(r.messages.slice(0, values.length)).toEqual(values);
      expect(r.messages.at(-1)).toStrictEqual({ kept: 1 });

      class Point {
        x = 1;
      }
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const refused: Array<[unknown, RegExp]> = [
        [undefined, /message is undefined/],
        [Number.NaN, /is NaN/],
        [{ n: Number.POSITIVE_INFINITY }, /message\.n is Infinity/],
        [{ at: new Date(0) }, /message\.at is a Date/],
        [new Map(), /is a Map/],
        [new Point(), /is a Point/],
        [{ f: () => 1 }, /message\.f is a function/],
        [{ big: 1n }, /is a bigint/],
        [[1, undefined], /message\[1\] is undefined/],
        [[1, , 3], /message\[1\] is undefined/], // eslint-disable-line no-sparse-arrays
        [circular, /refers back to itself/],
        [{ s: Symbol('s') }, /is a symbol/],
      ];
      for (const [value, problem] of refused) {
        const error = await bus.publish(channel, value).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, String(problem)).toBeInstanceOf(HearthError);
        expect((error as HearthError).code).toBe('bad_request');
        expect((error as HearthError).message).toMatch(problem);
      }
      // A value reached twice without a cycle is fine.
      const shared = { x: 1 };
      await bus.publish(channel, { a: shared, b: shared });
      await waitFor(() => r.messages.length === values.length + 2, 'the shared value');
      expect(r.messages.at(-1)).toEqual({ a: { x: 1 }, b: { x: 1 } });

      await expect(bus.publish('', 1)).rejects.toMatchObject({ code: 'bad_request' });
      await expect(bus.subscribe('', () => {})).rejects.toMatchObject({ code: 'bad_request' });
    });

    it('keeps delivering to other handlers when one throws or rejects, and logs it', async () => {
      const bus = await makeBus();
      const channel = uniqueChannel();
      const good = recorder();
      await bus.subscribe(channel, () => {
        throw new Error('handler exploded');
      });
      await bus.subscribe(channel, async () => {
        await Promise.resolve();
        throw new Error('async handler exploded');
      });
      await bus.subscribe(channel, good.handler);
      await bus.publish(channel, 1);
      await bus.publish(channel, 2);
      await waitFor(() => good.messages.length === 2, 'both messages');
      expect(good.messages).toEqual([1, 2]);
      await waitFor(
        () => logLines.filter((line) => line.msg === 'bus handler failed').length === 4,
        'four handler failures logged',
      );
      const failures = logLines.filter((line) => line.msg === 'bus handler failed');
      expect(failures.map((line) => (line.err as { message: string }).message).sort()).toEqual([
        'async handler exploded',
        'async handler exploded',
        'handler exploded',
        'handler exploded',
      ]);
      expect(failures.every((line) => line.channel === channel)).toBe(true);
    });

    it('delivers to pattern subscribers with the channel, alongside exact subscribers', async () => {
      const bus = await makeBus();
      const base = uniqueChannel('config');
      const star = recorder();
      const single = recorder();
      const exact = recorder();
      const unsubscribeStar = await bus.subscribePattern(`${base}.*`, star.handler);
      await bus.subscribePattern(`${base}.?`, single.handler);
      await bus.subscribe(`${base}.a`, exact.handler);

      await bus.publish(`${base}.a`, 1);
      await bus.publish(`${base}.bb.c`, 2);
      await bus.publish(`${base}x`, 'not matching');
      await bus.publish(`${base}.`, 3);
      await waitFor(() => star.messages.length === 3, 'three pattern deliveries');
      expect(star.messages).toEqual([1, 2, 3]);
      expect(star.channels).toEqual([`${base}.a`, `${base}.bb.c`, `${base}.`]);
      expect(single.messages).toEqual([1]);
      expect(exact.messages).toEqual([1]);

      await unsubscribeStar();
      await bus.publish(`${base}.b`, 4);
      await waitFor(() => single.messages.length === 2, 'the single-character pattern');
      expect(star.messages).toEqual([1, 2, 3]);

      // Characters that are special elsewhere are literal here.
      const literal = recorder();
      await bus.subscribePattern(`${base}(x)+.$*`, literal.handler);
      await bus.publish(`${base}(x)+.$end`, 5);
      await bus.publish(`${base}xx.end`, 'no');
      await bus.publish(`${base}(x)+.$`, 6);
      await waitFor(() => literal.messages.length === 2, 'the literal pattern');
      expect(literal.messages).toEqual([5, 6]);

      for (const bad of [`${base}.[ab]`, `${base}.\\*`, '']) {
        await expect(bus.subscribePattern(bad, () => {})).rejects.toMatchObject({
          code: 'bad_request',
        });
      }
    });

    it('types a channel with a topic', async () => {
      const bus = await makeBus();
      const topic = defineTopic(uniqueChannel('topic'), (message) => {
        const { id } = message as { id?: unknown };
        if (typeof id !== 'string') throw new Error('a device event needs an id');
        return { id };
      });
      const got: Array<{ id: string }> = [];
      await subscribeTopic(bus, topic, (event) => {
        got.push(event);
      });
      await bus.publish(topic.channel, { nope: true });
      await publishTopic(bus, topic, { id: 'lamp' });
      await waitFor(() => got.length === 1, 'the typed message');
      expect(got).toEqual([{ id: 'lamp' }]);
      await waitFor(
        () => logLines.some((line) => line.msg === 'bus handler failed'),
        'the invalid message logged',
      );
      expect(() => defineTopic('', (m) => m)).toThrow(HearthError);
    });

    it('stops everything on close', async () => {
      const bus = await makeBus();
      const channel = uniqueChannel();
      const r = recorder();
      const pattern = recorder();
      await bus.subscribe(channel, r.handler);
      await bus.subscribePattern(`${channel}*`, pattern.handler);
      await bus.publish(channel, 1);
      await waitFor(() => r.messages.length === 1 && pattern.messages.length === 1, 'delivery');

      // Published and closed at once: whatever was not delivered by close() never is.
      const publishing = bus.publish(channel, 2).catch(() => undefined);
      await bus.close();
      await publishing;
      const countAtClose = r.messages.length;
      await bus.close(); // idempotent
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(r.messages.length).toBe(countAtClose);

      await expect(bus.publish(channel, 3)).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/closed/) as unknown,
      });
      await expect(bus.subscribe(channel, () => {})).rejects.toBeInstanceOf(HearthError);
      await expect(bus.subscribePattern('x.*', () => {})).rejects.toBeInstanceOf(HearthError);
    });
  });
}
