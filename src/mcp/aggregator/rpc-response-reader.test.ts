import { describe, expect, it } from 'vitest';
import { RpcResponseReader, SessionGone, type RpcMessage } from './rpc-response-reader.ts';

function read(status: number, type: string | undefined, chunks: Buffer[]) {
  const messages: RpcMessage[] = [];
  const ends: Array<Error | undefined> = [];
  const reader = new RpcResponseReader(
    (message) => messages.push(message),
    (error) => ends.push(error),
  );
  reader.start(status, type);
  for (const chunk of chunks) reader.data(chunk);
  reader.end();
  return { messages, ends };
}

/** The bytes of `text` cut into pieces of `size` bytes, splitting UTF-8 characters too. */
function pieces(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe('RpcResponseReader', () => {
  const answer = { jsonrpc: '2.0', id: 'a', result: { content: [{ type: 'text', text: 'ø→🏠' }] } };

  it('reads a JSON answer split anywhere, inside UTF-8 characters too', () => {
    for (const size of [1, 2, 3, 7, 1000]) {
      const { messages, ends } = read(
        200,
        'application/json; charset=utf-8',
        pieces(JSON.stringify(answer), size),
      );
      expect(messages).toEqual([answer]);
      expect(ends).toEqual([undefined]);
    }
  });

  it('reads a batch and skips entries that are not JSON-RPC messages', () => {
    const progress = { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } };
    const body = JSON.stringify([progress, { hello: 'world' }, answer]);
    expect(read(200, 'application/json', [Buffer.from(body)]).messages).toEqual([progress, answer]);
  });

  it('hands on every message of an SSE stream as it arrives, then ends cleanly', () => {
    const log = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info' } };
    const stream = `event: message\ndata: ${JSON.stringify(log)}\n\n: ping\n\ndata: ${JSON.stringify(answer)}\n\n`;
    for (const size of [1, 5, 4096]) {
      const { messages, ends } = read(200, 'text/event-stream', pieces(stream, size));
      expect(messages).toEqual([log, answer]);
      expect(ends).toEqual([undefined]);
    }
  });

  it('ends with an error at the first message that is not JSON', () => {
    const { messages, ends } = read(200, 'text/event-stream', [
      Buffer.from('data: {nope\n\ndata: ' + JSON.stringify(answer) + '\n\n'),
    ]);
    expect(ends).toHaveLength(1);
    expect(ends[0]?.message).toMatch(/not JSON/);
    expect(messages).toEqual([answer]);
  });

  it('reports a 404 once as a session the server no longer knows', () => {
    const { messages, ends } = read(404, 'application/json', [Buffer.from('{"error":"gone"}')]);
    expect(messages).toEqual([]);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toBeInstanceOf(SessionGone);
  });

  it('turns another status or content type into an error naming the status and the body', () => {
    const long = 'x'.repeat(2000);
    const refused = read(500, 'text/plain', [Buffer.from('Internal '), Buffer.from(long)]);
    expect(refused.ends[0]?.message).toMatch(
      /^Error POSTing to endpoint \(HTTP 500\): Internal x+$/,
    );
    expect(refused.ends[0]?.message.length).toBeLessThan(600);
    const html = read(200, 'text/html', [Buffer.from('<p>hi</p>')]);
    expect(html.ends[0]?.message).toMatch(/HTTP 200.*<p>hi<\/p>/);
    expect(html.messages).toEqual([]);
  });
});
