import { describe, expect, it } from 'vitest';
import type { ConversationView } from '../../common/protocol.ts';
import { Hub, type HistorySource } from './hub.ts';

function probe() {
  const frames: any[] = [];
  return { frames, deliver: (frame: Buffer) => frames.push(JSON.parse(frame.toString())) };
}

function setup(
  options: {
    replayEvents?: number;
    maxIdleLogs?: number;
    lastSeq?: number;
    replayBytes?: number;
  } = {},
) {
  const saved = new Map<string, number>();
  const conversation: ConversationView = {
    id: 'c1',
    title: 't',
    profile: null,
    createdAt: '',
    updatedAt: '',
  };
  const source: HistorySource = {
    lastSeq: (id) => (id.startsWith('c') ? (saved.get(id) ?? options.lastSeq ?? 0) : undefined),
    // The limit asked for shows as the count of earlier messages, for the tests to see.
    snapshot: (id, limit) => ({
      conversation: { ...conversation, id },
      messages: [],
      earlier: limit ?? -1,
    }),
    saveLastSeq: (id, seq) => saved.set(id, seq),
  };
  const hub = new Hub({
    source,
    replayEvents: options.replayEvents ?? 100,
    maxIdleLogs: options.maxIdleLogs ?? 10,
    replayBytes: options.replayBytes ?? 1 << 30,
  });
  return { hub, saved };
}

const delta = (text: string) => ({ type: 'text.delta' as const, turnId: 't1', text });
const started = {
  type: 'turn.started' as const,
  turnId: 't1',
  profile: 'p',
  model: 'm',
  userMessageId: 'u',
  assistantMessageId: 'a',
  content: [],
};

describe('Hub', () => {
  it('fans every event out to every subscriber in the same order', () => {
    const { hub } = setup();
    const a = probe();
    const b = probe();
    hub.subscribe(a, 'c1', { liveOnly: true });
    hub.subscribe(b, 'c1', { liveOnly: true });
    for (const text of ['x', 'y', 'z']) hub.emit('c1', delta(text));
    expect(a.frames).toEqual(b.frames);
    expect(a.frames.map((f) => f.seq)).toEqual([1, 2, 3]);
    expect(a.frames.every((f) => f.conversationId === 'c1')).toBe(true);
  });

  it('replays exactly what a returning subscriber missed, then goes live', () => {
    const { hub } = setup();
    for (const text of ['a', 'b', 'c', 'd']) hub.emit('c1', delta(text));
    const late = probe();
    const result = hub.subscribe(late, 'c1', { afterSeq: 2 });
    hub.emit('c1', delta('e'));
    expect(result).toEqual({ mode: 'replay', seq: 4 });
    expect(late.frames.map((f) => [f.seq, f.text])).toEqual([
      [3, 'c'],
      [4, 'd'],
      [5, 'e'],
    ]);
  });

  it('sends a snapshot when the missed events have left memory or no seq is given', () => {
    const { hub } = setup({ replayEvents: 2 });
    for (const text of ['a', 'b', 'c', 'd']) hub.emit('c1', delta(text));
    const old = probe();
    expect(hub.subscribe(old, 'c1', { afterSeq: 1 }).mode).toBe('snapshot');
    expect(old.frames[0]).toMatchObject({
      type: 'snapshot',
      conversationId: 'c1',
      seq: 4,
      messages: [],
      earlier: -1,
    });
    const fresh = probe();
    expect(hub.subscribe(fresh, 'c1', { snapshotLimit: 7 }).mode).toBe('snapshot');
    expect(fresh.frames[0]).toMatchObject({ type: 'snapshot', earlier: 7 });
    hub.emit('c1', delta('e'));
    expect(fresh.frames.map((f) => f.type)).toEqual(['snapshot', 'text.delta']);
  });

  it('refuses unknown conversations', () => {
    const { hub } = setup();
    expect(() => hub.subscribe(probe(), 'x1')).toThrow(/No conversation/);
    expect(() => hub.emit('x1', delta('a'))).toThrow(/No conversation/);
    expect(hub.lastSeq('x1')).toBeUndefined();
  });

  it('stops delivering after unsubscribe and unsubscribeAll', () => {
    const { hub } = setup();
    const a = probe();
    hub.subscribe(a, 'c1', { liveOnly: true });
    hub.subscribe(a, 'c2', { liveOnly: true });
    expect(hub.unsubscribe(a, 'c1')).toBe(true);
    expect(hub.unsubscribe(a, 'c1')).toBe(false);
    hub.emit('c1', delta('a'));
    hub.unsubscribeAll(a);
    hub.emit('c2', delta('b'));
    expect(a.frames).toEqual([]);
    expect(hub.isSubscribed(a, 'c2')).toBe(false);
  });

  it('reserves seqs ahead in storage so a crash never reuses one', () => {
    const { hub, saved } = setup({ lastSeq: 50 });
    hub.emit('c1', delta('a'));
    expect(hub.lastSeq('c1')).toBe(51);
    expect(saved.get('c1')).toBe(1051);
    hub.emit('c1', delta('b'));
    expect(saved.get('c1')).toBe(1051);
    hub.flush();
    expect(saved.get('c1')).toBe(52);
  });

  it('reserves again on reaching the reserved seq, so a restart never lands on a seen seq', () => {
    const { hub, saved } = setup({ lastSeq: 0 });
    for (let i = 0; i < 1001; i += 1) hub.emit('c1', delta('a'));
    expect(hub.lastSeq('c1')).toBe(1001);
    expect(saved.get('c1')).toBe(2001);
  });

  it('forgets a deleted conversation and its subscribers', () => {
    const { hub } = setup();
    const a = probe();
    hub.subscribe(a, 'c1', { liveOnly: true });
    hub.emit('c1', delta('x'));
    const other = probe();
    hub.subscribe(other, 'c2', { liveOnly: true });
    hub.forget('c1');
    expect(hub.isSubscribed(a, 'c1')).toBe(false);
    expect(hub.logCount).toBe(1);
    // Nothing more reaches its subscribers (clients hear of the deletion from the gateway).
    hub.emit('c1', delta('late'));
    expect(a.frames.map((f) => f.text)).toEqual(['x']);
    expect(other.frames).toEqual([]);
  });

  it('evicts idle logs past the limit, never one with a running turn, and keeps numbering', () => {
    const { hub, saved } = setup({ maxIdleLogs: 1 });
    hub.emit('c1', started);
    hub.emit('c2', delta('x'));
    hub.emit('c3', delta('y'));
    expect(hub.logCount).toBe(2);
    expect(hub.lastSeq('c1')).toBe(1);
    expect(saved.get('c2')).toBe(1);
    hub.emit('c2', delta('z'));
    expect(hub.lastSeq('c2')).toBe(2);
  });

  it('evicts the log that took an event least recently, even within one millisecond', () => {
    const { hub } = setup({ maxIdleLogs: 2 });
    hub.emit('c1', delta('a'));
    hub.emit('c2', delta('b'));
    hub.emit('c1', delta('c'));
    hub.emit('c3', delta('d'));
    expect(hub.eventsAfter('c2', 0)).toBeUndefined();
    expect(hub.eventsAfter('c1', 0)?.map((e) => e.seq)).toEqual([1, 2]);
    expect(hub.eventsAfter('c3', 0)?.map((e) => e.seq)).toEqual([1]);
  });

  it('seals the frames of a turn into one buffer of their size when the turn ends', () => {
    const { hub } = setup();
    hub.emit('c1', started);
    for (const text of ['a', 'b']) hub.emit('c1', delta(text));
    const before = hub.eventsAfter('c1', 0)!.map((e) => e.frame.toString());
    hub.emit('c1', { type: 'turn.done', turnId: 't1', usage: null, finishReason: 'stop' });
    const events = hub.eventsAfter('c1', 0)!;
    expect(events.slice(0, 3).map((e) => e.frame.toString())).toEqual(before);
    const buffers = new Set(events.map((e) => e.frame.buffer));
    expect(buffers.size).toBe(1);
    const total = events.reduce((sum, e) => sum + e.frame.length, 0);
    expect(events[0]!.frame.buffer.byteLength).toBe(total);
    expect(hub.bytesHeld).toBe(total);
  });

  it('keeps all logs within replayBytes, emptying the least recently active idle ones', () => {
    const { hub } = setup({ replayBytes: 1000 });
    const a = probe();
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    for (const id of ids) hub.subscribe(a, id, { liveOnly: true });
    // c1's turn runs: what it holds is kept, whatever the budget.
    hub.emit('c1', started);
    for (const id of ids) for (const text of ['a', 'b', 'c', 'd', 'e']) hub.emit(id, delta(text));
    expect(hub.bytesHeld).toBeLessThanOrEqual(1000);
    expect(hub.eventsAfter('c1', 0)).toHaveLength(6);
    expect(hub.eventsAfter('c6', 0)).toHaveLength(5);
    expect(hub.eventsAfter('c2', 0)).toBeUndefined();
    // Every frame still held, from the oldest each log can replay.
    const held = (id: string) => {
      for (let after = 0; after <= hub.lastSeq(id)!; after += 1) {
        const events = hub.eventsAfter(id, after);
        if (events) return events.reduce((n, e) => n + e.frame.length, 0);
      }
      return 0;
    };
    expect(ids.reduce((n, id) => n + held(id), 0)).toBe(hub.bytesHeld);

    // An emptied log keeps its subscribers and its numbering; resuming from before gets a
    // snapshot, resuming from its last seq gets nothing missed.
    expect(hub.isSubscribed(a, 'c2')).toBe(true);
    hub.emit('c2', delta('f'));
    expect(a.frames.at(-1)).toMatchObject({ conversationId: 'c2', seq: 6, text: 'f' });
    expect(hub.subscribe(probe(), 'c2', { afterSeq: 2 }).mode).toBe('snapshot');
    expect(hub.subscribe(probe(), 'c2', { afterSeq: 6 }).mode).toBe('replay');
  });

  it('keeps a running turn whole past replayBytes, and trims it once the turn ends', () => {
    const { hub } = setup({ replayBytes: 300 });
    const a = probe();
    hub.subscribe(a, 'c1', { liveOnly: true });
    hub.emit('c1', started);
    for (const text of ['a', 'b', 'c', 'd', 'e', 'f']) hub.emit('c1', delta(text));
    expect(hub.bytesHeld).toBeGreaterThan(300);
    expect(hub.eventsAfter('c1', 0)).toHaveLength(7);
    hub.emit('c1', { type: 'turn.done', turnId: 't1', usage: null, finishReason: 'stop' });
    expect(hub.bytesHeld).toBe(0);
    expect(hub.subscribe(probe(), 'c1', { afterSeq: 7 }).mode).toBe('snapshot');
    expect(hub.subscribe(probe(), 'c1', { afterSeq: 8 }).mode).toBe('replay');
    expect(a.frames.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('applies a smaller replayBytes from the next event on', () => {
    const { hub } = setup();
    for (const text of ['a', 'b', 'c']) hub.emit('c1', delta(text));
    hub.emit('c2', delta('d'));
    expect(hub.eventsAfter('c1', 0)).toHaveLength(3);
    hub.configure({ replayEvents: 100, maxIdleLogs: 10, replayBytes: 120 });
    hub.emit('c2', delta('e'));
    expect(hub.bytesHeld).toBeLessThanOrEqual(120);
    expect(hub.eventsAfter('c1', 0)).toBeUndefined();
  });

  it('counts no bytes for logs it drops', () => {
    const { hub } = setup({ maxIdleLogs: 1 });
    hub.emit('c1', delta('a'));
    hub.emit('c2', delta('b'));
    const kept = hub.eventsAfter('c2', 0)![0]!.frame.length;
    expect(hub.bytesHeld).toBe(kept);
    hub.forget('c2');
    expect(hub.bytesHeld).toBe(0);
  });
});
