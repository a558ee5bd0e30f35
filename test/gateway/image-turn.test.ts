import { describe, expect, it } from 'vitest';
import { previewColors, startAutomatic1111Double } from '../doubles/automatic1111-double.ts';
import { imageColors, startOpenAIImagesDouble } from '../doubles/openai-images-double.ts';
import { isPng, readSolidPng } from '../doubles/png.ts';
import {
  adminToken,
  startTestHearth,
  userToken,
  type TestHearth,
} from '../support/hearth-fixture.ts';
import { connectClient, type TestClient } from '../support/ws-client.ts';

async function fetchMedia(h: TestHearth, url: string, token: string | null = adminToken) {
  return fetch(
    `${h.url}${url}`,
    token === null ? {} : { headers: { authorization: `Bearer ${token}` } },
  );
}

const turnEvents = (client: TestClient, turnId: string): Array<Record<string, any>> =>
  client.frames.filter((f) => f.turnId === turnId && f.type !== 'ack');

describe('image turns', () => {
  it('streams OpenAI partials and the final image by URL to every subscriber, and keeps only the URL', async () => {
    await using double = await startOpenAIImagesDouble({ apiKey: 'sk-img' });
    await using h = await startTestHearth({
      providerKeys: { images: 'sk-img' },
      config: {
        providers: {
          images: { kind: 'openai-images', baseURL: double.baseURL, apiKeyEnv: 'OPENAI_API_KEY' },
        },
        profiles: { paint: { provider: 'images', model: 'gpt-image-1' } },
      },
    });
    await using sender = await connectClient(h.wsUrl, adminToken);
    expect(sender.welcome).toMatchObject({
      defaultImageProfile: 'paint',
      setup: { configured: false },
    });
    expect(sender.welcome.profiles).toEqual([
      { id: 'paint', label: 'paint', model: 'gpt-image-1', provider: 'images', kind: 'image' },
    ]);
    await expect(
      sender.request({
        type: 'chat.send',
        profile: 'paint',
        content: [{ type: 'text', text: 'x' }],
      }),
    ).rejects.toMatchObject({
      code: 'unknown_profile',
      message: expect.stringMatching(/image\.generate/),
    });

    const ack = await sender.request({
      type: 'image.generate',
      prompt: 'a red fox in snow',
      size: '1024x1024',
    });
    await using watcher = await connectClient(h.wsUrl, userToken);
    await watcher.request({ type: 'subscribe', conversationId: ack.conversationId, afterSeq: 0 });
    await sender.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
    await watcher.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);

    const events = turnEvents(sender, ack.turnId);
    expect(events.map((f) => f.type)).toEqual([
      'turn.started',
      'image.partial',
      'image.partial',
      'image.done',
      'turn.done',
    ]);
    expect(turnEvents(watcher, ack.turnId)).toEqual(events);
    expect(double.requests[0]?.body).toMatchObject({
      model: 'gpt-image-1',
      prompt: 'a red fox in snow',
      size: '1024x1024',
      stream: true,
      partial_images: 2,
    });

    const partial = await fetchMedia(h, events[1]!.url);
    expect(readSolidPng(new Uint8Array(await partial.arrayBuffer())).color).toEqual(
      imageColors.partial(0),
    );
    const final = await fetchMedia(h, events[3]!.url);
    expect(final.headers.get('content-type')).toBe('image/png');
    const bytes = new Uint8Array(await final.arrayBuffer());
    expect(isPng(bytes)).toBe(true);
    expect(readSolidPng(bytes).color).toEqual(imageColors.final);
    expect(events[3]!.url).toMatch(/^\/media\/[0-9a-f]{64}\.png$/);

    expect((await fetchMedia(h, events[3]!.url, null)).status).toBe(401);
    expect((await fetchMedia(h, events[3]!.url, 'not-a-token-at-all')).status).toBe(401);
    expect((await fetchMedia(h, '/media/../hearth.db')).status).toBe(404);
    expect((await fetchMedia(h, `/media/${'0'.repeat(64)}.png`)).status).toBe(404);

    await using late = await connectClient(h.wsUrl, userToken);
    await late.request({ type: 'subscribe', conversationId: ack.conversationId });
    const snapshot = await late.waitFor((f) => f.type === 'snapshot');
    const reply = snapshot.messages.at(-1);
    expect(reply).toMatchObject({
      status: 'complete',
      content: [{ type: 'image', url: events[3]!.url, mediaType: 'image/png' }],
    });
    expect(JSON.stringify(snapshot)).not.toMatch(/base64|b64_json/);
  });

  it('turns AUTOMATIC1111 previews into partials, and Stop interrupts the GPU job', async () => {
    await using sd = await startAutomatic1111Double({
      steps: 40,
      stepDelayMs: 25,
      holdPreviewsForPolls: 1,
    });
    await using h = await startTestHearth({
      config: {
        providers: { sd: { kind: 'automatic1111', baseURL: sd.baseURL, pollMs: 20 } },
        profiles: { sdxl: { provider: 'sd', model: 'default' } },
      },
    });
    await using client = await connectClient(h.wsUrl, adminToken);
    const ack = await client.request({
      type: 'image.generate',
      prompt: 'a lighthouse',
      size: '512x512',
    });
    const first = await client.waitFor(
      (f) => f.type === 'image.partial' && f.turnId === ack.turnId,
    );
    const preview = await fetchMedia(h, first.url);
    expect(readSolidPng(new Uint8Array(await preview.arrayBuffer())).color).toEqual(
      previewColors.preview(1),
    );
    await client.request({ type: 'chat.cancel', turnId: ack.turnId });
    expect(await client.waitFor((f) => f.type === 'turn.done')).toMatchObject({
      finishReason: 'cancelled',
    });
    await sd.idle();
    await client.request({ type: 'subscribe', conversationId: ack.conversationId });
    const snapshot = await client.waitFor((f) => f.type === 'snapshot');
    const partials = client.frames.filter(
      (f) => f.type === 'image.partial' && f.turnId === ack.turnId,
    );
    expect(snapshot.messages.at(-1)).toMatchObject({
      status: 'cancelled',
      content: [{ type: 'image', url: partials.at(-1)?.url, preview: true }],
    });
    expect(sd.interrupts).toBeGreaterThanOrEqual(1);
    expect(sd.interruptedJobs).toBe(1);
  });

  it('says so when no image provider is configured', async () => {
    await using h = await startTestHearth();
    await using client = await connectClient(h.wsUrl, adminToken);
    await expect(client.request({ type: 'image.generate', prompt: 'x' })).rejects.toMatchObject({
      code: 'no_provider',
      message: expect.stringMatching(/image provider/),
    });
  });
});
