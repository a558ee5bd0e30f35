import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIDouble, type OpenAIDouble } from '../doubles/openai-double.ts';
import { adminToken, startTestHearth, type TestHearth } from '../support/hearth-fixture.ts';
import { appendStoredTurns } from '../support/stored-turns.ts';
import { connectClient, type Frame, type TestClient } from '../support/ws-client.ts';

let double: OpenAIDouble;
let h: TestHearth;
beforeEach(async () => {
  double = await startOpenAIDouble();
  h = await startTestHearth({ providerBaseURL: double.baseURL });
});
afterEach(async () => {
  await h[Symbol.asyncDispose]();
  await double.close();
});

const say = (text: string) => [{ type: 'text', text }];
const texts = (frame: Frame) => (frame.messages as any[]).map((m) => m.content[0]?.text);

/** A conversation of `turns` finished turns, sent over the socket. */
async function converse(client: TestClient, turns: number): Promise<string> {
  let conversationId: string | undefined;
  for (let index = 0; index < turns; index++) {
    const ack = await client.request({
      type: 'chat.send',
      ...(conversationId && { conversationId }),
      content: say(`q${index}`),
    });
    conversationId = ack.conversationId;
    await client.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
  }
  return conversationId!;
}

describe('paged snapshots and history', () => {
  it('a snapshot carries the newest messages; history pages back to the first, in order', async () => {
    await using sender = await connectClient(h.wsUrl, adminToken);
    const conversationId = await converse(sender, 4);
    await using reader = await connectClient(h.wsUrl, adminToken);
    const ack = await reader.request({ type: 'subscribe', conversationId, snapshotLimit: 3 });
    const snapshot = await reader.waitFor((f) => f.type === 'snapshot');
    expect(snapshot).toMatchObject({ conversationId, seq: ack.seq, earlier: 5 });
    expect(texts(snapshot)).toEqual(['Echo: q2', 'q3', 'Echo: q3']);

    const page = await reader.request({
      type: 'history',
      conversationId,
      before: snapshot.messages[0].id,
      limit: 3,
    });
    expect(page).toMatchObject({ type: 'ack', conversationId, earlier: 2 });
    expect(texts(page)).toEqual(['q1', 'Echo: q1', 'q2']);
    const first = await reader.request({
      type: 'history',
      conversationId,
      before: page.messages[0].id,
    });
    expect(first.earlier).toBe(0);
    expect(texts(first)).toEqual(['q0', 'Echo: q0']);
    expect(first.messages[0]).toMatchObject({ role: 'user', status: 'complete' });
    // Before the first message there is nothing more.
    const none = await reader.request({
      type: 'history',
      conversationId,
      before: first.messages[0].id,
    });
    expect(none).toMatchObject({ messages: [], earlier: 0 });
  });

  it('a long conversation: the default snapshot holds 100 messages, a page at most 512 KiB', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const conversationId = await converse(client, 1);
    appendStoredTurns(h.dataDir, conversationId, 150, 'short');
    await using reader = await connectClient(h.wsUrl, adminToken);
    await reader.request({ type: 'subscribe', conversationId });
    const snapshot = await reader.waitFor((f) => f.type === 'snapshot');
    expect(snapshot.messages).toHaveLength(100);
    expect(snapshot.earlier).toBe(302 - 100);
    expect(snapshot.messages.at(-1)).toMatchObject({ id: 'm_stored149a' });

    // Replies of 100,000 characters: five fit in 512 KiB of stored content, six do not.
    const big = 'x'.repeat(100_000);
    const db = new DatabaseSync(join(h.dataDir, 'hearth.db'));
    db.prepare('UPDATE messages SET content = ? WHERE id LIKE ? AND role = ?').run(
      JSON.stringify(say(big)),
      'm_stored%',
      'assistant',
    );
    db.close();
    const sizes: number[] = [];
    reader.socket.on('message', (data: Buffer) => sizes.push(data.length));
    await reader.request({ type: 'subscribe', conversationId, snapshotLimit: 500 });
    const bounded = await reader.waitFor((f) => f.type === 'snapshot' && f !== snapshot);
    expect(bounded.messages.map((m: any) => m.id)).toEqual([
      'm_stored145u',
      'm_stored145a',
      'm_stored146u',
      'm_stored146a',
      'm_stored147u',
      'm_stored147a',
      'm_stored148u',
      'm_stored148a',
      'm_stored149u',
      'm_stored149a',
    ]);
    expect(bounded.earlier).toBe(302 - 10);
    expect(Math.max(...sizes)).toBeLessThan(1 << 20);
  });

  it('a snapshot of one message mid-turn is the streaming reply, and the stream goes on', async () => {
    await using sender = await connectClient(h.wsUrl, adminToken);
    const conversationId = await converse(sender, 2);
    double.enqueue({ type: 'text', chunks: ['a', 'b', 'c', 'd'], delayMs: 60 });
    const ack = await sender.request({ type: 'chat.send', conversationId, content: say('more') });
    await sender.waitFor((f) => f.type === 'text.delta' && f.turnId === ack.turnId);
    await using late = await connectClient(h.wsUrl, adminToken);
    await late.request({ type: 'subscribe', conversationId, snapshotLimit: 1 });
    const snapshot = await late.waitFor((f) => f.type === 'snapshot');
    expect(snapshot.earlier).toBe(5);
    expect(snapshot.messages).toMatchObject([
      { id: ack.assistantMessageId, status: 'streaming', role: 'assistant' },
    ]);
    await late.waitFor((f) => f.type === 'turn.done');
    const rest = late.frames
      .filter((f) => f.type === 'text.delta' && f.seq > snapshot.seq)
      .map((f) => f.text)
      .join('');
    expect((snapshot.messages[0].content[0]?.text ?? '') + rest).toBe('abcd');
  });

  it('refuses bad history requests with a stable code and keeps the connection', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const conversationId = await converse(client, 1);
    const failures: Array<[Frame, string]> = [
      [{ type: 'history', conversationId: 'c_nope', before: 'm_x' }, 'unknown_conversation'],
      [{ type: 'history', conversationId, before: 'm_nope' }, 'unknown_message'],
      [{ type: 'history', conversationId, before: 'm_x', limit: 0 }, 'bad_request'],
      [{ type: 'history', conversationId, before: 'm_x', limit: 501 }, 'bad_request'],
      [{ type: 'history', conversationId }, 'bad_request'],
      [{ type: 'subscribe', conversationId, snapshotLimit: 0 }, 'bad_request'],
    ];
    for (const [frame, code] of failures) {
      await expect(client.request(frame)).rejects.toMatchObject({ code });
    }
    const pong = await client.request({ type: 'ping' });
    expect(pong.type).toBe('pong');
  });
});
