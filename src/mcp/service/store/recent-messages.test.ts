import { describe, expect, it } from 'vitest';
import type { ContentPart } from '../../../common/protocol.ts';
import { SqliteConversationStore } from './conversation-store.ts';
import { openDatabase } from './database.ts';

const text = (value: string): ContentPart[] => [{ type: 'text', text: value }];
/** Bytes a message of `value` takes stored: its content as JSON. */
const stored = (value: string) => Buffer.byteLength(JSON.stringify(text(value)));

function conversation(turns: Array<[string, string]>) {
  const store = new SqliteConversationStore(openDatabase({ memory: true }));
  const conversationId = 'c_recent';
  turns.forEach(([question, answer], index) => {
    const common = { conversationId, turnId: `t_${index}`, profile: 'p' };
    store.writeTurn({
      ...(index === 0 && { newConversation: { id: conversationId, title: 'T', profile: 'p' } }),
      user: {
        ...common,
        id: `m_${index}u`,
        role: 'user',
        content: text(question),
        status: 'complete',
        model: null,
      },
      reply: {
        ...common,
        id: `m_${index}a`,
        role: 'assistant',
        content: text(answer),
        status: 'complete',
        model: 'm',
      },
    });
  });
  return { store, conversationId };
}

describe('recentMessages', () => {
  const turns: Array<[string, string]> = [
    ['one', 'first answer'],
    ['two', 'second answer'],
    ['three', 'third answer'],
  ];

  it('reads the newest messages within the budget, oldest first, and counts the rest', () => {
    const { store, conversationId } = conversation(turns);
    const budget = stored('three') + stored('third answer') + stored('second answer');
    const recent = store.recentMessages(conversationId, budget);
    // "second answer" fits, but not its question: it goes too, so the tail starts at a question.
    expect(recent.messages.map((m) => m.content)).toEqual([text('three'), text('third answer')]);
    expect(recent.earlier).toBe(4);
    // Reading stopped early; the statement reads again from the start the next time.
    expect(store.recentMessages(conversationId, budget)).toEqual(recent);
  });

  it('reads everything when it fits, and nothing from a budget smaller than the newest message', () => {
    const { store, conversationId } = conversation(turns);
    const all = store.recentMessages(conversationId, 10_000);
    expect(all.messages.map((m) => m.id)).toEqual(['m_0u', 'm_0a', 'm_1u', 'm_1a', 'm_2u', 'm_2a']);
    expect(all.earlier).toBe(0);
    const none = store.recentMessages(conversationId, stored('third answer') - 1);
    expect(none).toEqual({ messages: [], earlier: 6 });
  });

  it('answers an unknown conversation with nothing', () => {
    const { store } = conversation(turns);
    expect(store.recentMessages('c_none', 10_000)).toEqual({ messages: [], earlier: 0 });
  });
});
