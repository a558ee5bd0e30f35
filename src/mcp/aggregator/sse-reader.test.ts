import { describe, expect, it } from 'vitest';
import { SseReader } from './sse-reader.ts';

function read(chunks: string[]): string[] {
  const events: string[] = [];
  const reader = new SseReader((data) => events.push(data));
  for (const chunk of chunks) reader.push(chunk);
  return events;
}

describe('SseReader', () => {
  it('hands on each event’s data when its blank line arrives', () => {
    expect(read(['event: message\ndata: {"a":1}\n\n', 'data: {"b":2}\n\n'])).toEqual([
      '{"a":1}',
      '{"b":2}',
    ]);
    expect(read(['data: incomplete\n'])).toEqual([]);
  });

  it('joins data lines and reads past comments, ids, retries and empty events', () => {
    const stream = ': keep-alive\n\nid: 4\nretry: 100\ndata: one\ndata:two\ndata\n\n';
    expect(read([stream])).toEqual(['one\ntwo\n']);
  });

  it('accepts any line ending, split anywhere between chunks', () => {
    const stream = 'data: crlf\r\n\r\ndata: cr\r\rdata: lf\n\n';
    const whole = read([stream]);
    expect(whole).toEqual(['crlf', 'cr', 'lf']);
    for (let cut = 1; cut < stream.length; cut += 1) {
      expect(read([stream.slice(0, cut), stream.slice(cut)])).toEqual(whole);
    }
    expect(read([...stream])).toEqual(whole);
  });
});
