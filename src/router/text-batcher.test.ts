import { describe, expect, it } from 'vitest';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TextBatcher } from './text-batcher.ts';

describe('TextBatcher', () => {
  it('sends the first text at once, then joins text pushed along one promise chain', async () => {
    const sent: string[] = [];
    const batcher = new TextBatcher((text) => sent.push(text));
    // As an SDK yields the events of one network read: each after an already-resolved await.
    for (const piece of ['a', 'b', 'c', 'd']) {
      await Promise.resolve();
      batcher.push(piece);
    }
    expect(sent).toEqual(['a']);
    await nextTurn();
    expect(sent).toEqual(['a', 'bcd']);
  });

  it('keeps text pushed in different turns of the event loop apart', async () => {
    const sent: string[] = [];
    const batcher = new TextBatcher((text) => sent.push(text));
    batcher.push('one ');
    batcher.push('two ');
    await nextTurn();
    batcher.push('three ');
    batcher.push('four');
    await nextTurn();
    expect(sent).toEqual(['one ', 'two ', 'three four']);
  });

  it('sends what it holds on flush, once, and nothing when it holds nothing', async () => {
    const sent: string[] = [];
    const batcher = new TextBatcher((text) => sent.push(text));
    batcher.flush();
    batcher.push('w');
    batcher.push('x');
    batcher.push('y');
    batcher.flush();
    expect(sent).toEqual(['w', 'xy']);
    await nextTurn();
    expect(sent).toEqual(['w', 'xy']);
  });

  it('sends at once when it holds as many pieces as its cap', async () => {
    const sent: string[] = [];
    const batcher = new TextBatcher((text) => sent.push(text), 3);
    for (const piece of ['a', 'b', 'c', 'd', 'e', 'f']) {
      await Promise.resolve();
      batcher.push(piece);
    }
    expect(sent).toEqual(['a', 'bcd']);
    await nextTurn();
    expect(sent).toEqual(['a', 'bcd', 'ef']);
  });

  it('keeps a send that fails from the tick for the next push or flush to throw', async () => {
    const sent: string[] = [];
    let failing = false;
    const batcher = new TextBatcher((text) => {
      if (failing) throw new Error('disk full');
      sent.push(text);
    });
    batcher.push('a');
    failing = true;
    batcher.push('b');
    batcher.push('c');
    // The tick's send fails; nothing escapes into Node's tick queue.
    await nextTurn();
    expect(sent).toEqual(['a']);
    failing = false;
    expect(() => batcher.push('d')).toThrow(/disk full/);
    expect(() => batcher.flush()).not.toThrow();
  });
});
