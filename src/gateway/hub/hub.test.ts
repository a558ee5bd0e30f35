import { describe, expect, it } from 'vitest';
import type { ConversationView } from '../../common/protocol.ts';
import { Hub, type HistorySource } from './hub.ts';

function probe() {
  const frames: any[] = [];
  return { frames, deliver: (frame: Buffer) => frames.push(JSON.parse(frame.toString())) };
}

function setup(options: { replayEvents?: number; maxIdleLogs?: number; lastSeq?: number } = {}) {
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
    snapshot: (id) => ({ conversation: { ...conversation, id }, messages: [] }),
    saveLastSeq: (id, seq) => saved.set(id, seq),
  };
  const hub = new Hub({
    source,
    replayEvents: options.replayEvents ?? 100,
    maxIdleLogs: options.maxIdleLogs ?? 10,
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
    });
    const fresh = probe();
    expect(hub.subscribe(fresh, 'c1').mode).toBe('snapshot');
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
    hub.forget('c1');
    expect(hub.isSubscribed(a, 'c1')).toBe(false);
    expect(hub.logCount).toBe(0);
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
});
