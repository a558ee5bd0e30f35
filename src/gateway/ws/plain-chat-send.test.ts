import { describe, expect, it } from 'vitest';
import { clientFrameSchemas } from '../../common/protocol.ts';
import { chatSendBounds, plainChatSend } from './plain-chat-send.ts';

const part = { type: 'text', text: 'hi' };
const frame = (fields: Record<string, unknown>) => ({
  type: 'chat.send',
  content: [part],
  ...fields,
});
const text = (length: number) => 'x'.repeat(length);
const { id, conversationId, profile, parts, text: textBound } = chatSendBounds;

/** Frames at each bound (the check takes them) and just past it (zod refuses them). */
const atBounds: Array<Record<string, unknown>> = [
  frame({}),
  frame({ id: text(id) }),
  frame({ id: '' }),
  frame({ id: -7 }),
  frame({ id: Number.MAX_SAFE_INTEGER }),
  frame({ conversationId: text(1), profile: text(1) }),
  frame({ conversationId: text(conversationId), profile: text(profile) }),
  frame({ content: Array.from({ length: parts }, () => part) }),
  frame({ content: [{ type: 'text', text: text(textBound) }] }),
  // Lengths count UTF-16 units, as zod counts them.
  frame({ content: [{ text: '\u{1F955}'.repeat(textBound / 2), type: 'text' }] }),
];
const pastBounds: Array<Record<string, unknown>> = [
  frame({ id: text(id + 1) }),
  frame({ id: 1.5 }),
  frame({ id: Number.MAX_SAFE_INTEGER + 1 }),
  frame({ id: null }),
  frame({ conversationId: '' }),
  frame({ conversationId: text(conversationId + 1) }),
  frame({ conversationId: 5 }),
  frame({ profile: '' }),
  frame({ profile: text(profile + 1) }),
  frame({ content: [] }),
  frame({ content: Array.from({ length: parts + 1 }, () => part) }),
  frame({ content: part }),
  frame({ content: [{ type: 'text', text: '' }] }),
  frame({ content: [{ type: 'text', text: text(textBound + 1) }] }),
  frame({ content: [{ type: 'text', text: 'hi', extra: 1 }] }),
  frame({ content: [{ type: 'image', text: 'hi' }] }),
  frame({ content: [null] }),
  frame({ content: [['text', 'hi']] }),
  frame({ extra: true }),
  JSON.parse('{"type":"chat.send","content":[{"type":"text","text":"hi"}],"__proto__":{}}'),
];

describe('plainChatSend', () => {
  it('takes frames at every bound of the schema, returning what zod returns', () => {
    for (const value of atBounds) {
      const parsed = clientFrameSchemas['chat.send'].safeParse(value);
      expect(parsed.success).toBe(true);
      expect(plainChatSend(value)).toEqual(parsed.data);
    }
  });

  it('leaves to zod every frame past a bound, which zod refuses', () => {
    for (const value of pastBounds) {
      expect(plainChatSend(value)).toBeUndefined();
      expect(clientFrameSchemas['chat.send'].safeParse(value).success).toBe(false);
    }
  });
});
