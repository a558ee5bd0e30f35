import { describe, expect, it } from 'vitest';
import { busSuite, capturingLogger, recorder, waitFor } from './bus.suite.ts';
import { MemoryBus } from './memory-bus.ts';

busSuite('MemoryBus', ({ logger }) => Promise.resolve(new MemoryBus({ logger })));

describe('MemoryBus', () => {
  it('calls onReconnect listeners only when asked to simulate a reconnect', async () => {
    const { logger, lines } = capturingLogger();
    const bus = new MemoryBus({ logger });
    const calls: string[] = [];
    const remove = bus.onReconnect(() => {
      calls.push('sync');
    });
    bus.onReconnect(() => {
      throw new Error('listener exploded');
    });
    bus.onReconnect(async () => {
      await Promise.resolve();
      throw new Error('async listener exploded');
    });
    bus.simulateReconnect();
    expect(calls).toEqual(['sync']);
    remove();
    bus.simulateReconnect();
    expect(calls).toEqual(['sync']);
    await waitFor(
      () => lines.filter((line) => line.msg === 'bus reconnect listener failed').length === 4,
      'four listener failures logged',
    );
    await bus.close();
  });

  it('delivers nothing that was published but not yet delivered when it closes', async () => {
    const { logger } = capturingLogger();
    const bus = new MemoryBus({ logger });
    const r = recorder();
    await bus.subscribe('c', r.handler);
    const publishing = bus.publish('c', 1);
    await bus.close();
    await publishing;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(r.messages).toEqual([]);
  });
});
