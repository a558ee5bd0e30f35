import { describe, expect, it } from 'vitest';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TextBatcher } from './text-batcher.ts';

describe('TextBatcher', () => {
  it('joins text pushed along one promise chain into one send, after the chain', async () => {
    const sent: string[] = [];
    const batcher = new TextBatcher((text) => sent.push(text));
    // As an SDK yields the events of one network read: each after an already-resolved await.
    for (const piece of ['a', 'b', 'c']) {
      await Promise.resolve();
      batcher.push(piece);
    }
    expect(sent).toEqual([]);
    await nextTurn();
    expect(sent).toEqual(['abc']);
  });

  it('keeps text pushed in different turns of the event loop apart', async () => {
    const sent: string[] = [];
    const batcher = new TextBatcher((text) => sent.push(text));
    batcher.push('one ');
    await nextTurn();
    batcher.push('two ');
    batcher.push('three');
    await nextTurn();
    expect(sent).toEqual(['one ', 'two three']);
  });

  it('sends what it holds on flush, once, and nothing when it holds nothing', async () => {
    const sent: string[] = [];
    const batcher = new TextBatcher((text) => sent.push(text));
    batcher.flush();
    batcher.push('x');
    batcher.push('y');
    batcher.flush();
    expect(sent).toEqual(['xy']);
    await nextTurn();
    expect(sent).toEqual(['xy']);
  });

  it('sends at once when it holds as many pieces as its cap', async () => {
    const sent: string[] = [];
    const batcher = new TextBatcher((text) => sent.push(text), 3);
    for (const piece of ['a', 'b', 'c', 'd', 'e']) {
      await Promise.resolve();
      batcher.push(piece);
    }
    expect(sent).toEqual(['abc']);
    await nextTurn();
    expect(sent).toEqual(['abc', 'de']);
  });
});
