import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIDouble, type OpenAIDouble } from '../doubles/openai-double.ts';
import {
  adminToken,
  startTestHearth,
  userToken,
  type TestHearth,
} from '../support/hearth-fixture.ts';
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
const textOf = (frames: Frame[], turnId: string) =>
  frames
    .filter((f) => f.type === 'text.delta' && f.turnId === turnId)
    .map((f) => f.text)
    .join('');
const conversationEvents = (client: TestClient, conversationId: string) =>
  client.frames.filter(
    (f) => f.conversationId === conversationId && f.type !== 'ack' && typeof f.seq === 'number',
  );

function readMessages(dataDir: string, conversationId: string): any[] {
  const db = new DatabaseSync(join(dataDir, 'hearth.db'), { readOnly: true });
  try {
    return db
      .prepare(
        'SELECT role, content, status, error_code, input_tokens FROM messages WHERE conversation_id = ? ORDER BY rowid',
      )
      .all(conversationId);
  } finally {
    db.close();
  }
}

describe('a chat turn', () => {
  it('persists the user message before the ack, streams the reply and persists it with usage', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    double.enqueue({ type: 'text', chunks: ['Hel', 'lo ', 'there'], delayMs: 20 });
    const ack = await client.request({ type: 'chat.send', content: say('hi') });
    const [user, assistant] = readMessages(h.dataDir, ack.conversationId);
    expect(user).toMatchObject({
      role: 'user',
      status: 'complete',
      content: JSON.stringify(say('hi')),
    });
    expect(assistant).toMatchObject({ role: 'assistant', status: 'streaming' });

    const done = await client.waitFor((f) => f.type === 'turn.done');
    expect(textOf(client.frames, ack.turnId)).toBe('Hello there');
    expect(done).toMatchObject({
      finishReason: 'stop',
      usage: { inputTokens: expect.any(Number), outputTokens: 3 },
    });
    const events = conversationEvents(client, ack.conversationId);
    expect(events.map((f) => f.seq)).toEqual(events.map((_f, i) => i + 1));
    expect(events[0]).toMatchObject({
      type: 'turn.started',
      profile: 'default',
      model: 'test-model',
      content: say('hi'),
    });
    expect(readMessages(h.dataDir, ack.conversationId)[1]).toMatchObject({
      status: 'complete',
      content: JSON.stringify(say('Hello there')),
      input_tokens: expect.any(Number),
    });
  });

  it('sends the system prompt and history to the provider, and keeps the conversation profile', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const first = await client.request({
      type: 'chat.send',
      profile: 'second',
      content: say('one'),
    });
    await client.waitFor((f) => f.type === 'turn.done' && f.turnId === first.turnId);
    const second = await client.request({
      type: 'chat.send',
      conversationId: first.conversationId,
      content: say('two'),
    });
    await client.waitFor((f) => f.type === 'turn.done' && f.turnId === second.turnId);
    const body = double.requests.at(-1)?.body;
    expect(body.model).toBe('other-model');
    expect(body.messages.map((m: any) => [m.role, m.content])).toEqual([
      ['user', 'one'],
      ['assistant', 'Echo: one'],
      ['user', 'two'],
    ]);
    const third = await client.request({
      type: 'chat.send',
      conversationId: first.conversationId,
      profile: 'default',
      content: say('3'),
    });
    await client.waitFor((f) => f.type === 'turn.done' && f.turnId === third.turnId);
    expect(double.requests.at(-1)?.body.messages[0]).toEqual({
      role: 'system',
      content: 'You are a test.',
    });
  });

  it('refuses unknown profiles and conversations, and a second turn while one streams', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    await expect(
      client.request({ type: 'chat.send', profile: 'nope', content: say('x') }),
    ).rejects.toMatchObject({ code: 'unknown_profile' });
    await expect(
      client.request({ type: 'chat.send', conversationId: 'c_nope', content: say('x') }),
    ).rejects.toMatchObject({
      code: 'unknown_conversation',
    });
    double.enqueue({ type: 'text', chunks: ['a', 'b', 'c'], delayMs: 100 });
    const ack = await client.request({ type: 'chat.send', content: say('x') });
    await expect(
      client.request({ type: 'chat.send', conversationId: ack.conversationId, content: say('y') }),
    ).rejects.toMatchObject({
      code: 'busy',
    });
  });
});

describe('fan-out and resume', () => {
  it('gives every subscriber the same events in the same order', async () => {
    await using sender = await connectClient(h.wsUrl, adminToken);
    await using watcher = await connectClient(h.wsUrl, userToken);
    const first = await sender.request({ type: 'chat.send', content: say('first') });
    await sender.waitFor((f) => f.type === 'turn.done');
    await watcher.request({ type: 'subscribe', conversationId: first.conversationId, afterSeq: 0 });
    double.enqueue({ type: 'text', chunks: Array.from({ length: 50 }, (_v, i) => `w${i} `) });
    const second = await sender.request({
      type: 'chat.send',
      conversationId: first.conversationId,
      content: say('second'),
    });
    await watcher.waitFor((f) => f.type === 'turn.done' && f.turnId === second.turnId);
    await sender.waitFor((f) => f.type === 'turn.done' && f.turnId === second.turnId);
    expect(conversationEvents(watcher, first.conversationId)).toEqual(
      conversationEvents(sender, first.conversationId),
    );
    expect(textOf(watcher.frames, second.turnId)).toBe(
      Array.from({ length: 50 }, (_v, i) => `w${i} `).join(''),
    );
  });

  it('keeps the turn running when its sender disconnects, and replays exactly what was missed', async () => {
    const chunks = Array.from({ length: 30 }, (_v, i) => `c${i};`);
    double.enqueue({ type: 'text', chunks, delayMs: 15 });
    const sender = await connectClient(h.wsUrl, adminToken);
    const ack = await sender.request({ type: 'chat.send', content: say('long one') });
    await sender.waitFor((f) => f.type === 'text.delta' && f.text === 'c5;');
    await sender.close();
    const seen = conversationEvents(sender, ack.conversationId);
    const lastSeen = seen.at(-1)!.seq;

    await using back = await connectClient(h.wsUrl, adminToken);
    await back.request({
      type: 'subscribe',
      conversationId: ack.conversationId,
      afterSeq: lastSeen,
    });
    await back.waitFor((f) => f.type === 'turn.done');
    const resumed = conversationEvents(back, ack.conversationId);
    expect(resumed[0]?.seq).toBe(lastSeen + 1);
    expect(resumed.map((f) => f.seq)).toEqual(resumed.map((_f, i) => lastSeen + 1 + i));
    expect(back.frames.some((f) => f.type === 'snapshot')).toBe(false);
    expect(textOf([...seen, ...resumed], ack.turnId)).toBe(chunks.join(''));
  });

  it('sends a snapshot with the partial reply, then the rest of the stream', async () => {
    const chunks = Array.from({ length: 20 }, (_v, i) => `s${i};`);
    double.enqueue({ type: 'text', chunks, delayMs: 20 });
    await using sender = await connectClient(h.wsUrl, adminToken);
    const ack = await sender.request({ type: 'chat.send', content: say('snap') });
    await sender.waitFor((f) => f.type === 'text.delta' && f.text === 's4;');
    await using late = await connectClient(h.wsUrl, userToken);
    await late.request({ type: 'subscribe', conversationId: ack.conversationId });
    const snapshot = await late.waitFor((f) => f.type === 'snapshot');
    await late.waitFor((f) => f.type === 'turn.done');
    const assistant = snapshot.messages.find((m: any) => m.role === 'assistant');
    expect(assistant.status).toBe('streaming');
    const after = conversationEvents(late, ack.conversationId).filter((f) => f.seq > snapshot.seq);
    expect(after[0]?.seq).toBe(snapshot.seq + 1);
    expect((assistant.content[0]?.text ?? '') + textOf(after, ack.turnId)).toBe(chunks.join(''));
    expect(snapshot.messages[0]).toMatchObject({
      role: 'user',
      content: say('snap'),
      status: 'complete',
    });
  });
});

describe('stopping a turn', () => {
  it('aborts the upstream request and keeps the partial text, marked cancelled', async () => {
    double.enqueue({
      type: 'text',
      chunks: Array.from({ length: 100 }, (_v, i) => `x${i} `),
      delayMs: 20,
    });
    await using client = await connectClient(h.wsUrl, adminToken);
    const ack = await client.request({ type: 'chat.send', content: say('go on') });
    await client.waitFor((f) => f.type === 'text.delta' && f.text === 'x3 ');
    const upstreamClosed = double.clientClosedEarly();
    await client.request({ type: 'chat.cancel', turnId: ack.turnId });
    const done = await client.waitFor((f) => f.type === 'turn.done');
    await upstreamClosed;
    expect(done.finishReason).toBe('cancelled');
    const partial = textOf(client.frames, ack.turnId);
    expect(partial.startsWith('x0 x1 x2 x3 ')).toBe(true);
    expect(partial.length).toBeLessThan(100 * 4);
    expect(readMessages(h.dataDir, ack.conversationId)[1]).toMatchObject({
      status: 'cancelled',
      content: JSON.stringify(say(partial)),
    });
  });

  it('reports a mid-stream provider error and keeps the partial text, marked failed', async () => {
    double.enqueue({
      type: 'mid-stream-error',
      chunks: ['par', 'tial'],
      error: { message: 'The model crashed', type: 'server_error', param: null, code: null },
    });
    await using client = await connectClient(h.wsUrl, adminToken);
    const ack = await client.request({ type: 'chat.send', content: say('boom') });
    const failure = await client.waitFor((f) => f.type === 'turn.error');
    expect(failure).toMatchObject({
      code: 'provider_error',
      message: expect.stringMatching(/crashed/),
    });
    expect(readMessages(h.dataDir, ack.conversationId)[1]).toMatchObject({
      status: 'failed',
      error_code: 'provider_error',
      content: JSON.stringify(say('partial')),
    });
  });

  it('on shutdown, marks running turns interrupted with their partial text and tells clients', async () => {
    double.enqueue({
      type: 'text',
      chunks: Array.from({ length: 100 }, (_v, i) => `y${i} `),
      delayMs: 20,
    });
    const client = await connectClient(h.wsUrl, adminToken);
    const ack = await client.request({ type: 'chat.send', content: say('and then?') });
    await client.waitFor((f) => f.type === 'text.delta' && f.text === 'y2 ');
    await h.stop();
    const closed = await client.closed;
    expect(closed.code).toBe(1001);
    expect(client.frames.find((f) => f.type === 'turn.error')).toMatchObject({
      code: 'interrupted',
    });
    const [, assistant] = readMessages(h.dataDir, ack.conversationId);
    expect(assistant.status).toBe('interrupted');
    expect(JSON.parse(assistant.content)[0].text).toBe(textOf(client.frames, ack.turnId));
  });
});

describe('restart', () => {
  it('keeps numbering and history across a restart; an old afterSeq gets a snapshot', async () => {
    const client = await connectClient(h.wsUrl, adminToken);
    const ack = await client.request({ type: 'chat.send', content: say('remember me') });
    const done = await client.waitFor((f) => f.type === 'turn.done');
    await client.close();
    await h.stop();

    await using again = await startTestHearth({
      providerBaseURL: double.baseURL,
      dataDir: h.dataDir,
    });
    await using back = await connectClient(again.wsUrl, adminToken);
    await back.request({
      type: 'subscribe',
      conversationId: ack.conversationId,
      afterSeq: done.seq - 2,
    });
    const snapshot = await back.waitFor((f) => f.type === 'snapshot');
    expect(snapshot.seq).toBe(done.seq);
    expect(snapshot.messages.map((m: any) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    const next = await back.request({
      type: 'chat.send',
      conversationId: ack.conversationId,
      content: say('again'),
    });
    const started = await back.waitFor(
      (f) => f.type === 'turn.started' && f.turnId === next.turnId,
    );
    expect(started.seq).toBe(done.seq + 1);
  });
});

describe('slow consumers', () => {
  it('drops a client that cannot keep up with 4008 instead of buffering without limit', async () => {
    await using small = await startTestHearth({
      providerBaseURL: double.baseURL,
      config: { limits: { maxBufferedBytes: 64 * 1024 } },
    });
    await using fast = await connectClient(small.wsUrl, adminToken);
    const slow = await connectClient(small.wsUrl, userToken);
    const big = 'z'.repeat(16 * 1024);
    double.enqueue({ type: 'text', chunks: Array.from({ length: 400 }, () => big) });
    const ack = await fast.request({ type: 'chat.send', content: say('flood') });
    await slow.request({ type: 'subscribe', conversationId: ack.conversationId, afterSeq: 0 });
    slow.socket.pause();
    await fast.waitFor((f) => f.type === 'turn.done', 15_000);
    expect(small.hearth.gateway.sessions.size).toBe(1);
    slow.socket.resume();
    expect((await slow.closed).code).toBe(4008);
    expect(textOf(fast.frames, ack.turnId).length).toBe(400 * big.length);
  });
});
