import { describe, expect, it } from 'vitest';
import { startOllamaDouble } from '../doubles/ollama-double.ts';
import { adminToken, startTestHearth } from '../support/hearth-fixture.ts';
import { connectClient } from '../support/ws-client.ts';

describe('local defaults', () => {
  it('offers the models of a local Ollama as profiles when no provider is configured, and chats through it', async () => {
    await using ollama = await startOllamaDouble({ models: ['llama3.2:3b', 'qwen3:0.6b'] });
    await using h = await startTestHearth({
      config: { discovery: { ollama: true, ollamaURL: ollama.baseURL } },
    });
    await using client = await connectClient(h.wsUrl, adminToken);
    expect(client.welcome.setup).toEqual({ configured: true });
    expect(client.welcome.profiles.map((p: any) => [p.id, p.model])).toEqual([
      ['llama3.2-3b', 'llama3.2:3b'],
      ['qwen3-0.6b', 'qwen3:0.6b'],
    ]);
    expect(client.welcome.defaultProfile).toBe('llama3.2-3b');
    await client.request({
      type: 'chat.send',
      profile: 'qwen3-0.6b',
      content: [{ type: 'text', text: 'hej' }],
    });
    const done = await client.waitFor((f) => f.type === 'turn.done');
    expect(done.finishReason).toBe('stop');
    expect(
      client.frames
        .filter((f) => f.type === 'text.delta')
        .map((f) => f.text)
        .join(''),
    ).toMatch(/hej/);
    expect(ollama.requests.find((r) => r.path === '/api/chat')?.body.model).toBe('qwen3:0.6b');
  });

  it('says how to configure a provider when nothing answers', async () => {
    await using h = await startTestHearth({
      config: { discovery: { ollama: true, ollamaURL: 'http://127.0.0.1:9' } },
    });
    await using client = await connectClient(h.wsUrl, adminToken);
    expect(client.welcome.setup).toMatchObject({
      configured: false,
      message: expect.stringMatching(/Ollama/),
    });
  });
});
