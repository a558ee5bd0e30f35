import { describe, expect, it } from 'vitest';
import { parseFrame } from './parse-frame.ts';

const parse = (value: unknown) =>
  parseFrame(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), false);

describe('parseFrame', () => {
  it('accepts valid frames', () => {
    const result = parse({ type: 'chat.send', id: 7, content: [{ type: 'text', text: 'hi' }] });
    expect(result).toEqual({
      ok: true,
      frame: { type: 'chat.send', id: 7, content: [{ type: 'text', text: 'hi' }] },
    });
  });

  it.each([
    ['{not json', 'bad_json', undefined],
    ['[1,2]', 'bad_request', undefined],
    [{ id: 'a' }, 'bad_request', 'a'],
    [{ type: 'launch.rockets', id: 'b' }, 'unknown_type', 'b'],
    [{ type: 'subscribe', id: 'c' }, 'bad_request', 'c'],
    [{ type: 'subscribe', id: 'd', conversationId: 'x', afterSeq: -1 }, 'bad_request', 'd'],
    [{ type: 'chat.send', id: 'e', content: [] }, 'bad_request', 'e'],
    [{ type: 'ping', id: 'f', extra: true }, 'bad_request', 'f'],
  ])('rejects %j with %s, echoing the id', (input, code, id) => {
    const result = parse(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.id).toBe(id);
    }
  });

  it('rejects binary frames and names the field at fault', () => {
    const binary = parseFrame(Buffer.from('{}'), true);
    expect(binary.ok || binary.error.code).toBe('bad_json');
    const result = parse({ type: 'subscribe', conversationId: 5 });
    expect(result.ok || result.error.message).toMatch(/conversationId/);
  });
});
