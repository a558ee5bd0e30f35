import { describe, expect, it } from 'vitest';
import { startOpenAIDouble } from '../doubles/openai-double.ts';
import { startOpenAIImagesDouble } from '../doubles/openai-images-double.ts';
import { isPng } from '../doubles/png.ts';
import { startTestCluster } from '../support/cluster-fixture.ts';
import { userToken } from '../support/hearth-fixture.ts';
import { connectClient } from '../support/ws-client.ts';

describe('images on a split Hearth', () => {
  it('an image made on one gateway is served by the other', async () => {
    await using chat = await startOpenAIDouble();
    await using images = await startOpenAIImagesDouble({ apiKey: 'sk-img' });
    await using cluster = await startTestCluster({
      providerBaseURL: chat.baseURL,
      gatewayEnv: { OPENAI_API_KEY: 'sk-img' },
      config: {
        providers: {
          double: { kind: 'openai-compatible', baseURL: chat.baseURL },
          images: { kind: 'openai-images', baseURL: images.baseURL, apiKeyEnv: 'OPENAI_API_KEY' },
        },
        profiles: {
          default: { provider: 'double', model: 'test-model' },
          paint: { provider: 'images', model: 'gpt-image-1' },
        },
      },
    });
    await using one = await connectClient(cluster.wsUrls[0]!, userToken);
    const ack = await one.request({ type: 'image.generate', prompt: 'a fox' });
    const done = await one.waitFor((f) => f.type === 'image.done' && f.turnId === ack.turnId);
    const fetchFrom = (gateway: number) =>
      fetch(`${cluster.gateways[gateway]!.url}${done.url as string}`, {
        headers: { authorization: `Bearer ${userToken}` },
      });
    const here = await fetchFrom(0);
    const there = await fetchFrom(1);
    expect([here.status, there.status]).toEqual([200, 200]);
    const [a, b] = [Buffer.from(await here.arrayBuffer()), Buffer.from(await there.arrayBuffer())];
    expect(isPng(b)).toBe(true);
    expect(b.equals(a)).toBe(true);
    expect(there.headers.get('content-type')).toBe('image/png');
    // A name nobody made is a 404 on every gateway, not an error.
    const missing = await fetch(`${cluster.gateways[1]!.url}/media/${'0'.repeat(64)}.png`, {
      headers: { authorization: `Bearer ${userToken}` },
    });
    expect(missing.status).toBe(404);
  });
});
