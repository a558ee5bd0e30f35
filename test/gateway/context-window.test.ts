import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIDouble, type OpenAIDouble } from '../doubles/openai-double.ts';
import { adminToken, startTestHearth, type TestHearth } from '../support/hearth-fixture.ts';
import { connectClient, type TestClient } from '../support/ws-client.ts';

let double: OpenAIDouble;
let h: TestHearth;
beforeEach(async () => {
  double = await startOpenAIDouble();
  h = await startTestHearth({
    providerBaseURL: double.baseURL,
    config: {
      profiles: {
        // Room for 500 tokens of history by Hearth's estimate (a token per 3 bytes).
        default: {
          provider: 'double',
          model: 'test-model',
          system: 'You are a test.',
          contextTokens: 600,
          maxTokens: 100,
        },
      },
    },
  });
});
afterEach(async () => {
  await h[Symbol.asyncDispose]();
  await double.close();
});

const say = (text: string) => [{ type: 'text', text }];

function messageCount(conversationId: string): number {
  const db = new DatabaseSync(join(h.dataDir, 'hearth.db'), { readOnly: true });
  try {
    const row = db
      .prepare('SELECT count(*) AS n FROM messages WHERE conversation_id = ?')
      .get(conversationId) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

async function turn(client: TestClient, text: string, conversationId?: string) {
  double.enqueue({ type: 'text', chunks: ['ok'] });
  const ack = await client.request({
    type: 'chat.send',
    content: say(text),
    ...(conversationId !== undefined && { conversationId }),
  });
  await client.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
  const started = client.frames.find((f) => f.type === 'turn.started' && f.turnId === ack.turnId);
  return { ack, started };
}

describe('a long conversation and the context window', () => {
  it('leaves the oldest exchanges out of the request and says how many in turn.started', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    // About 204 tokens each: two exchanges fit with the system prompt, three do not.
    const first = await turn(client, `1${'a'.repeat(599)}`);
    const conversationId = String(first.ack.conversationId);
    const second = await turn(client, `2${'b'.repeat(599)}`, conversationId);
    const third = await turn(client, `3${'c'.repeat(599)}`, conversationId);

    expect(first.started).not.toHaveProperty('omittedMessages');
    expect(second.started).not.toHaveProperty('omittedMessages');
    expect(third.started).toMatchObject({ omittedMessages: 2 });
    const sent = (
      double.requests.at(-1)?.body as { messages: Array<{ role: string; content: string }> }
    ).messages;
    expect(sent.map((m) => [m.role, m.content.slice(0, 1)])).toEqual([
      ['system', 'Y'],
      ['user', '2'],
      ['assistant', 'o'],
      ['user', '3'],
    ]);
    // Nothing is lost: storage keeps every message, the model just was not sent them.
    expect(messageCount(conversationId)).toBe(6);
  });

  it('counts, in omittedMessages, the messages storage was not asked for and those left out after', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    // A 600-token window reads 3,600 bytes of stored messages (twice what can fit): of seven
    // exchanges of about 650 bytes, the oldest are never read from storage.
    let conversationId: string | undefined;
    for (let index = 0; index < 7; index += 1) {
      const { ack } = await turn(client, `${index}${'q'.repeat(599)}`, conversationId);
      conversationId = String(ack.conversationId);
    }
    const last = await turn(client, `7${'q'.repeat(599)}`, conversationId);
    const sent = (double.requests.at(-1)?.body as { messages: Array<{ role: string }> }).messages;
    // Stored before the turn: 14; sent: the system prompt, two exchanges... and the new message.
    expect(sent.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(last.started).toMatchObject({ omittedMessages: 14 - 2 });
    expect(messageCount(String(conversationId))).toBe(16);
  });

  it('refuses a message that alone does not fit, with context_too_long, storing nothing', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const first = await turn(client, 'hello');
    const conversationId = String(first.ack.conversationId);
    const requestsBefore = double.requests.length;
    await expect(
      client.request({ type: 'chat.send', conversationId, content: say('x'.repeat(2000)) }),
    ).rejects.toMatchObject({
      code: 'context_too_long',
      message: expect.stringContaining('contextTokens'),
    });
    expect(double.requests.length).toBe(requestsBefore);
    expect(messageCount(conversationId)).toBe(2);
    // The connection stays open and the conversation takes the next message.
    const next = await turn(client, 'shorter', conversationId);
    expect(next.ack.conversationId).toBe(conversationId);
  });
});
