import { describe, expect, it } from 'vitest';
import { ConversationLog } from './conversation-log.ts';

function fill(log: ConversationLog, count: number): void {
  for (let i = 0; i < count; i += 1) {
    log.append({ type: 'text.delta', turnId: 't', text: `d${log.lastSeq + 1}` });
  }
}

describe('ConversationLog', () => {
  it('numbers events from the persisted seq, one by one', () => {
    const log = new ConversationLog({ conversationId: 'c', capacity: 4, lastSeq: 10 });
    expect(log.firstSeq).toBe(11);
    fill(log, 3);
    expect(log.lastSeq).toBe(13);
    expect(log.readAfter(10)?.map((e) => e.seq)).toEqual([11, 12, 13]);
    expect(log.readAfter(12)?.map((e) => e.seq)).toEqual([13]);
    expect(log.readAfter(13)).toEqual([]);
  });

  it('serialises each event once', () => {
    const log = new ConversationLog({ conversationId: 'c', capacity: 4, lastSeq: 0 });
    fill(log, 1);
    const [event] = log.readAfter(0) ?? [];
    expect(JSON.parse(event!.frame.toString())).toEqual({
      type: 'text.delta',
      turnId: 't',
      text: 'd1',
      conversationId: 'c',
      seq: 1,
    });
  });

  it("makes exactly the JSON of the event with the conversation's id and the seq", () => {
    const conversationId = 'c"\\ü';
    const log = new ConversationLog({ conversationId, capacity: 4, lastSeq: 41 });
    const events = [
      { type: 'text.delta', turnId: 't', text: 'é "quoted" \n\u2028 🔥' },
      { type: 'turn.done', turnId: 't', usage: null, finishReason: 'stop' },
    ] as const;
    const frames = events.map((event) => log.append(event).toString());
    expect(frames).toEqual(
      events.map((event, i) => JSON.stringify({ ...event, conversationId, seq: 42 + i })),
    );
  });

  it('says when events have left the ring or were never seen here', () => {
    const log = new ConversationLog({ conversationId: 'c', capacity: 4, lastSeq: 0 });
    fill(log, 10);
    expect(log.firstSeq).toBe(7);
    expect(log.readAfter(6)?.map((e) => e.seq)).toEqual([7, 8, 9, 10]);
    expect(log.readAfter(5)).toBeUndefined();
    expect(log.readAfter(11)).toBeUndefined();
  });

  it('grows its ring as events come, keeping them all, up to its capacity', () => {
    const log = new ConversationLog({ conversationId: 'c', capacity: 100, lastSeq: 5 });
    fill(log, 70);
    expect(log.firstSeq).toBe(6);
    expect(log.readAfter(5)?.map((e) => e.seq)).toEqual(range(6, 75));
    expect(log.readAfter(5)?.map((e) => JSON.parse(e.frame.toString()).text)).toEqual(
      range(6, 75).map((seq) => `d${seq}`),
    );
    fill(log, 50);
    expect(log.firstSeq).toBe(26);
    expect(log.readAfter(25)?.map((e) => e.seq)).toEqual(range(26, 125));
    expect(log.readAfter(24)).toBeUndefined();
  });

  it('counts the bytes of the frames it holds, as a full ring overwrites its oldest', () => {
    const log = new ConversationLog({ conversationId: 'c', capacity: 4, lastSeq: 0 });
    fill(log, 6);
    const held = log.readAfter(2)!;
    expect(held.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
    expect(log.bytes).toBe(held.reduce((sum, e) => sum + e.frame.length, 0));
  });

  it('seals the frames since the last seal into one buffer of their exact size', () => {
    const log = new ConversationLog({ conversationId: 'c', capacity: 8, lastSeq: 0 });
    fill(log, 3);
    const texts = log.readAfter(0)!.map((e) => e.frame.toString());
    log.seal();
    fill(log, 2);
    const later = log.readAfter(3)!.map((e) => e.frame.toString());
    log.seal();
    const events = log.readAfter(0)!;
    expect(events.map((e) => e.frame.toString())).toEqual([...texts, ...later]);
    const first = events.slice(0, 3);
    const second = events.slice(3);
    for (const group of [first, second]) {
      expect(new Set(group.map((e) => e.frame.buffer)).size).toBe(1);
      expect(group[0]!.frame.buffer.byteLength).toBe(
        group.reduce((sum, e) => sum + e.frame.length, 0),
      );
    }
    expect(first[0]!.frame.buffer).not.toBe(second[0]!.frame.buffer);
    expect(log.bytes).toBe(events.reduce((sum, e) => sum + e.frame.length, 0));
  });

  it('seals frames across a wrapped and grown ring, keeping order and bytes', () => {
    const log = new ConversationLog({ conversationId: 'c', capacity: 64, lastSeq: 0 });
    // 40 events grow the ring from 32 slots to 64; a seal between; 40 more wrap it.
    fill(log, 40);
    log.seal();
    fill(log, 40);
    const before = log.readAfter(16)!.map((e) => e.frame.toString());
    log.seal();
    const events = log.readAfter(16)!;
    expect(events.map((e) => e.seq)).toEqual(range(17, 80));
    expect(events.map((e) => e.frame.toString())).toEqual(before);
    expect(new Set(events.slice(24).map((e) => e.frame.buffer)).size).toBe(1);
    expect(log.bytes).toBe(events.reduce((sum, e) => sum + e.frame.length, 0));
  });

  it('lets go of every frame on clear, keeping the numbering', () => {
    const log = new ConversationLog({ conversationId: 'c', capacity: 4, lastSeq: 0 });
    fill(log, 3);
    log.clear();
    expect(log.bytes).toBe(0);
    expect(log.readAfter(3)).toEqual([]);
    expect(log.readAfter(2)).toBeUndefined();
    fill(log, 1);
    expect(log.readAfter(3)?.map((e) => e.seq)).toEqual([4]);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
