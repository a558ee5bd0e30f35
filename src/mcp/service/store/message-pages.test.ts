import { describe, expect, it } from 'vitest';
import type { ContentPart } from '../../../common/protocol.ts';
import { SqliteConversationStore } from './conversation-store.ts';
import { openDatabase } from './database.ts';
import { newestRows } from './message-pages.ts';

const text = (value: string): ContentPart[] => [{ type: 'text', text: value }];
const stored = (value: string) => Buffer.byteLength(JSON.stringify(text(value)));

/** Two conversations whose messages interleave in storage, so rowids of one have gaps. */
function library(turns: number) {
  const store = new SqliteConversationStore(openDatabase({ memory: true }));
  for (let index = 0; index < turns; index++) {
    for (const conversationId of ['c_a', 'c_b']) {
      const common = { conversationId, turnId: `t_${conversationId}${index}`, profile: 'p' };
      store.writeTurn({
        ...(index === 0 && { newConversation: { id: conversationId, title: 'T', profile: 'p' } }),
        user: {
          ...common,
          id: `m_${conversationId}${index}u`,
          role: 'user',
          content: text(`q${index}`),
          status: 'complete',
          model: null,
        },
        reply: {
          ...common,
          id: `m_${conversationId}${index}a`,
          role: 'assistant',
          content: text(`answer ${index}`),
          status: 'complete',
          model: 'm',
        },
      });
    }
  }
  return store;
}

const ids = (page: { messages: Array<{ id: string }> } | undefined) =>
  page?.messages.map((m) => m.id);

describe('messagePage', () => {
  it('gives the newest messages, oldest first, and counts the ones before them', () => {
    const store = library(5);
    const page = store.messagePage('c_a', { limit: 3, maxBytes: 10_000 });
    expect(ids(page)).toEqual(['m_c_a3a', 'm_c_a4u', 'm_c_a4a']);
    expect(page?.earlier).toBe(7);
    expect(page?.messages[1]).toMatchObject({
      role: 'user',
      content: text('q4'),
      turnId: 't_c_a4',
    });
  });

  it('pages back from a message until the start, each page joining the next', () => {
    const store = library(5);
    const seen: string[] = [];
    let page = store.messagePage('c_a', { limit: 4, maxBytes: 10_000 });
    const earlierCounts: number[] = [];
    while (page) {
      seen.unshift(...(ids(page) ?? []));
      earlierCounts.push(page.earlier);
      if (page.earlier === 0) break;
      page = store.messagePage('c_a', { limit: 4, maxBytes: 10_000, before: seen[0] });
    }
    expect(seen).toEqual(store.listMessages('c_a').map((m) => m.id));
    expect(earlierCounts).toEqual([6, 2, 0]);
  });

  it('stops at the byte budget but always gives one message', () => {
    const store = library(3);
    const budget = stored('answer 2') + stored('q2');
    expect(ids(store.messagePage('c_b', { limit: 10, maxBytes: budget }))).toEqual([
      'm_c_b2u',
      'm_c_b2a',
    ]);
    expect(ids(store.messagePage('c_b', { limit: 10, maxBytes: budget - 1 }))).toEqual(['m_c_b2a']);
    const one = store.messagePage('c_b', { limit: 10, maxBytes: 1 });
    expect(one).toMatchObject({ earlier: 5 });
    expect(ids(one)).toEqual(['m_c_b2a']);
  });

  it('refuses a message of another conversation or none, and is empty for an unknown one', () => {
    const store = library(2);
    expect(store.messagePage('c_a', { limit: 5, maxBytes: 10_000, before: 'm_c_b1a' })).toBe(
      undefined,
    );
    expect(store.messagePage('c_a', { limit: 5, maxBytes: 10_000, before: 'm_none' })).toBe(
      undefined,
    );
    expect(store.messagePage('c_none', { limit: 5, maxBytes: 10_000 })).toEqual({
      messages: [],
      earlier: 0,
    });
    // Before the first message there is nothing.
    expect(store.messagePage('c_a', { limit: 5, maxBytes: 10_000, before: 'm_c_a0u' })).toEqual({
      messages: [],
      earlier: 0,
    });
  });
});

describe('messagePage, more', () => {
  it('applies the byte budget and the one-message rule to a page before a message', () => {
    const store = library(4);
    const budget = stored('answer 1') + stored('q1');
    const page = store.messagePage('c_a', { limit: 10, maxBytes: budget, before: 'm_c_a2u' });
    expect(ids(page)).toEqual(['m_c_a1u', 'm_c_a1a']);
    expect(page?.earlier).toBe(2);
    const one = store.messagePage('c_a', { limit: 10, maxBytes: 1, before: 'm_c_a2u' });
    expect(ids(one)).toEqual(['m_c_a1a']);
    expect(one?.earlier).toBe(3);
  });

  it('reads pages through the conversation index, newest first, without sorting', () => {
    const db = openDatabase({ memory: true });
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN ${newestRows}`)
      .all('c', 1, 1)
      .map((row) => String(row.detail));
    expect(plan.join(' | ')).toMatch(
      /USING INDEX messages_conversation \(conversation_id=\? AND rowid<\?\)/,
    );
    expect(plan.join(' | ')).not.toMatch(/TEMP B-TREE/);
  });
});
