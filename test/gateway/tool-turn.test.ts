import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIDouble, type OpenAIDouble } from '../doubles/openai-double.ts';
import {
  adminToken,
  startTestHearth,
  userToken,
  type TestHearth,
} from '../support/hearth-fixture.ts';
import { connectClient, type TestClient } from '../support/ws-client.ts';

let double: OpenAIDouble;
let h: TestHearth;
beforeEach(async () => {
  double = await startOpenAIDouble();
  h = await startTestHearth({
    providerBaseURL: double.baseURL,
    config: {
      profiles: { tools: { provider: 'double', model: 'tool-model', tools: ['hearth__*'] } },
      defaultProfile: 'tools',
    },
  });
});
afterEach(async () => {
  await h[Symbol.asyncDispose]();
  await double.close();
});

const events = (client: TestClient, conversationId: string) =>
  client.frames.filter(
    (f) => f.conversationId === conversationId && f.type !== 'ack' && typeof f.seq === 'number',
  );

describe('a turn with tools, over the wire', () => {
  it('streams two tool rounds identically to two subscribed clients and persists them', async () => {
    await using sender = await connectClient(h.wsUrl, adminToken);
    await using watcher = await connectClient(h.wsUrl, userToken);
    const warmup = await sender.request({
      type: 'chat.send',
      content: [{ type: 'text', text: 'hi' }],
    });
    await sender.waitFor((f) => f.type === 'turn.done');
    await watcher.request({
      type: 'subscribe',
      conversationId: warmup.conversationId,
      afterSeq: 0,
    });

    double.enqueue(
      {
        type: 'tool-calls',
        text: ['Let me ', 'compute.'],
        interleave: true,
        calls: [
          { id: 'call_a', name: 'hearth__calculator', arguments: '{"expression":"6*7"}' },
          { id: 'call_b', name: 'hearth__clock', arguments: '{"timeZone":"Europe/Oslo"}' },
        ],
      },
      {
        type: 'tool-calls',
        calls: [{ id: 'call_c', name: 'hearth__calculator', arguments: '{"expression":"42+1"}' }],
      },
      { type: 'text', chunks: ['The answer ', 'is 43.'] },
    );
    const ack = await sender.request({
      type: 'chat.send',
      conversationId: warmup.conversationId,
      content: [{ type: 'text', text: 'six times seven plus one?' }],
    });
    await sender.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
    await watcher.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);

    const seen = events(sender, ack.conversationId);
    expect(events(watcher, ack.conversationId)).toEqual(seen);
    const turn = seen.filter((f) => f.turnId === ack.turnId);
    // Text that arrives together may leave in fewer deltas (router/text-batcher.ts): compare
    // runs of deltas, and their text.
    const kinds = turn.map((f) => f.type).filter((type, i, all) => type !== all[i - 1]);
    expect(kinds).toEqual([
      'turn.started',
      'text.delta',
      'tool.call',
      'tool.result',
      'tool.call',
      'tool.result',
      'text.delta',
      'turn.done',
    ]);
    expect(turn.filter((f) => f.type === 'tool.call').map((f) => f.callId)).toEqual([
      'call_a',
      'call_b',
      'call_c',
    ]);
    expect(turn.filter((f) => f.type === 'tool.result')).toHaveLength(3);
    const firstCall = turn.findIndex((f) => f.type === 'tool.call');
    const text = (frames: typeof turn) =>
      frames
        .filter((f) => f.type === 'text.delta')
        .map((f) => f.text)
        .join('');
    expect(text(turn.slice(0, firstCall))).toBe('Let me compute.');
    expect(text(turn.slice(firstCall))).toBe('The answer is 43.');
    const results = Object.fromEntries(
      turn.filter((f) => f.type === 'tool.result').map((f) => [f.callId, f]),
    );
    expect(results.call_a).toMatchObject({ content: '42', isError: false });
    expect(results.call_c).toMatchObject({ content: '43', isError: false });
    expect(JSON.parse(results.call_b.content)).toMatchObject({ timeZone: 'Europe/Oslo' });

    // The third request carried both rounds back to the model in OpenAI's format.
    const last = double.requests.at(-1)?.body;
    expect(last.tools.map((t: any) => t.function.name).sort()).toEqual([
      'hearth__calculator',
      'hearth__clock',
    ]);
    const roles = last.messages.map((m: any) => m.role);
    expect(roles.slice(-5)).toEqual(['assistant', 'tool', 'tool', 'assistant', 'tool']);
    expect(last.messages.at(-1)).toMatchObject({
      role: 'tool',
      tool_call_id: 'call_c',
      content: '43',
    });

    // A late subscriber's snapshot shows the reply with its tool parts, in order.
    await using late = await connectClient(h.wsUrl, userToken);
    await late.request({ type: 'subscribe', conversationId: ack.conversationId });
    const snapshot = await late.waitFor((f) => f.type === 'snapshot');
    const reply = snapshot.messages.at(-1);
    expect(reply.status).toBe('complete');
    expect(reply.content.map((p: any) => p.type)).toEqual([
      'text',
      'tool_call',
      'tool_call',
      'tool_result',
      'tool_result',
      'tool_call',
      'tool_result',
      'text',
    ]);
  });

  it('tells the model when its tool arguments are broken, and goes on', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    double.enqueue(
      {
        type: 'tool-calls',
        calls: [{ id: 'call_x', name: 'hearth__calculator', arguments: '{"expression": 6*' }],
      },
      { type: 'text', chunks: ['Sorry.'] },
    );
    const ack = await client.request({
      type: 'chat.send',
      content: [{ type: 'text', text: 'compute' }],
    });
    const result = await client.waitFor((f) => f.type === 'tool.result' && f.turnId === ack.turnId);
    expect(result).toMatchObject({
      isError: true,
      content: expect.stringMatching(/not valid JSON/),
    });
    expect(await client.waitFor((f) => f.type === 'turn.done')).toMatchObject({
      finishReason: 'stop',
    });
    expect(double.requests.at(-1)?.body.messages.at(-1)).toMatchObject({
      role: 'tool',
      content: expect.stringMatching(/not valid JSON/),
    });
  });
});
