import { describe, expect, it } from 'vitest';
import { startOpenAIDouble } from '../doubles/openai-double.ts';
import { adminToken, startTestHearth } from '../support/hearth-fixture.ts';
import { connectClient } from '../support/ws-client.ts';

describe('smoke', () => {
  it('streams a turn', async () => {
    await using double = await startOpenAIDouble();
    await using h = await startTestHearth({ providerBaseURL: double.baseURL });
    await using client = await connectClient(h.wsUrl, adminToken);
    const ack = await client.request({
      type: 'chat.send',
      content: [{ type: 'text', text: 'hello there' }],
    });
    const done = await client.waitFor((f) => f.type === 'turn.done');
    const text = client.frames
      .filter((f) => f.type === 'text.delta')
      .map((f) => f.text)
      .join('');
    console.log(JSON.stringify(client.frames.slice(0, 4)), text, JSON.stringify(done));
    expect(ack.conversationId).toBeTruthy();
  });
});
