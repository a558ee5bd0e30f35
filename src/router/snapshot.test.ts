import { describe, expect, it } from 'vitest';
import type { ContentPart, MessageView } from '../common/protocol.ts';
import { conversationSnapshot, withinBytes } from './snapshot.ts';

const text = (value: string): ContentPart[] => [{ type: 'text', text: value }];
const message = (id: string, value: string): MessageView => ({
  id,
  turnId: `t_${id}`,
  role: 'assistant',
  content: text(value),
  status: 'complete',
  profile: null,
  model: null,
  usage: null,
  error: null,
  createdAt: '',
});
const size = (value: string) => Buffer.byteLength(JSON.stringify(text(value)));

describe('withinBytes', () => {
  it('keeps a page that fits, and drops its oldest messages into earlier when not', () => {
    const page = [message('a', 'aaaa'), message('b', 'bb'), message('c', 'ccc')];
    const all = size('aaaa') + size('bb') + size('ccc');
    expect(withinBytes(page, 4, all)).toEqual({ messages: page, earlier: 4 });
    expect(withinBytes(page, 4, all - 1)).toEqual({ messages: page.slice(1), earlier: 5 });
    expect(withinBytes(page, 4, size('ccc'))).toEqual({ messages: page.slice(2), earlier: 6 });
  });

  it('never drops the newest message, however large', () => {
    const page = [message('a', 'a'), message('b', 'b'.repeat(1000))];
    expect(withinBytes(page, 0, 10)).toEqual({ messages: page.slice(1), earlier: 1 });
    expect(withinBytes([], 0, 10)).toEqual({ messages: [], earlier: 0 });
  });
});

describe('conversationSnapshot', () => {
  const conversation = { id: 'c', title: 't', profile: null, createdAt: '', updatedAt: '' };
  const stored = [message('q', 'question'), message('r', 'so far')];

  it('shows a running reply as far as it has come, and keeps the page within its budget', () => {
    const asked: unknown[] = [];
    const store = {
      getConversation: () => conversation,
      messagePage: (_id: string, request: unknown) => {
        asked.push(request);
        return { messages: stored, earlier: 7 };
      },
    };
    // The live reply has outgrown its checkpoint: past the page's 512 KiB, the question goes.
    const live = text('x'.repeat(600_000));
    const router = { replyInProgress: () => ({ messageId: 'r', content: live }) };
    const snapshot = conversationSnapshot(store, router, 'c', 20);
    expect(asked).toEqual([{ limit: 20, maxBytes: 512 * 1024 }]);
    expect(snapshot).toEqual({
      conversation,
      messages: [{ ...stored[1], content: live }],
      earlier: 8,
    });
    const small = text('so far, and more');
    const fits = conversationSnapshot(
      store,
      { replyInProgress: () => ({ messageId: 'r', content: small }) },
      'c',
    );
    expect(fits?.messages).toEqual([stored[0], { ...stored[1], content: small }]);
    expect(fits?.earlier).toBe(7);
    expect(asked[1]).toEqual({ limit: 100, maxBytes: 512 * 1024 });
  });

  it('is undefined for an unknown conversation', () => {
    const store = { getConversation: () => undefined, messagePage: () => undefined };
    expect(conversationSnapshot(store, { replyInProgress: () => undefined }, 'c')).toBe(undefined);
  });
});
