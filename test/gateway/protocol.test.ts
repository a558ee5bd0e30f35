import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  startTestHearth,
  userToken,
  type TestHearth,
} from '../support/hearth-fixture.ts';
import { connectClient, openClient } from '../support/ws-client.ts';

let h: TestHearth;
beforeAll(async () => {
  h = await startTestHearth({
    config: {
      limits: {
        helloTimeoutMs: 300,
        messagesPerSecond: 5,
        messageBurst: 10,
        maxFrameBytes: 64 * 1024,
      },
    },
  });
});
afterAll(async () => {
  await h[Symbol.asyncDispose]();
});

describe('hello', () => {
  it('welcomes a valid token with its user, role and the setup hint when no provider exists', async () => {
    await using client = await connectClient(h.wsUrl, userToken);
    expect(client.welcome).toMatchObject({
      type: 'welcome',
      protocol: 1,
      user: 'kid',
      role: 'user',
      profiles: [],
    });
    expect(client.welcome.sessionId).toMatch(/^s_/);
    expect(client.welcome.setup).toMatchObject({
      configured: false,
      message: expect.stringMatching(/providers/),
    });
  });

  it('closes with 4001 when the first frame is anything else', async () => {
    const client = await openClient(h.wsUrl);
    client.send({ type: 'ping', id: 'p1' });
    expect((await client.closed).code).toBe(4001);
    expect(client.frames[0]).toMatchObject({ id: 'p1' });
    expect(client.frames[0]).toMatchObject({ type: 'error', code: 'unauthorized' });
  });

  it('closes with 4001 when the first frame is not JSON', async () => {
    const client = await openClient(h.wsUrl);
    client.sendRaw('hello?');
    expect((await client.closed).code).toBe(4001);
    expect(client.frames[0]).toMatchObject({ type: 'error', code: 'bad_json' });
  });

  it('closes with 4002 when no hello comes in time', async () => {
    const client = await openClient(h.wsUrl);
    expect(await client.closed).toEqual({ code: 4002, reason: 'hello expected' });
  });

  it('closes with 4003 on a bad token and 4004 on another protocol', async () => {
    const bad = await openClient(h.wsUrl);
    bad.send({ type: 'hello', protocol: 1, token: 'wrong-token-wrong-token' });
    expect((await bad.closed).code).toBe(4003);
    const old = await openClient(h.wsUrl);
    old.send({ type: 'hello', protocol: 2, token: adminToken });
    expect((await old.closed).code).toBe(4004);
  });
});

describe('bad input after hello', () => {
  it('answers not-JSON, unknown types and schema violations with error frames and stays open', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    client.sendRaw('{oops');
    await client.waitFor((f) => f.code === 'bad_json');
    await expect(client.request({ type: 'teleport' })).rejects.toMatchObject({
      code: 'unknown_type',
    });
    await expect(client.request({ type: 'subscribe' })).rejects.toMatchObject({
      code: 'bad_request',
    });
    await expect(
      client.request({ type: 'hello', protocol: 1, token: adminToken }),
    ).rejects.toMatchObject({ code: 'bad_request' });
    await expect(
      client.request({ type: 'subscribe', conversationId: 'c_nope' }),
    ).rejects.toMatchObject({ code: 'unknown_conversation' });
    await expect(client.request({ type: 'chat.cancel', turnId: 't_nope' })).rejects.toMatchObject({
      code: 'unknown_turn',
    });
    await expect(
      client.request({ type: 'chat.send', content: [{ type: 'text', text: 'hi' }] }),
    ).rejects.toMatchObject({
      code: 'no_provider',
      message: expect.stringMatching(/config\.yaml/),
    });
    await expect(client.request({ type: 'devices.subscribe' })).rejects.toMatchObject({
      code: 'unsupported',
    });
    expect(await client.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it('closes with 1009 on a frame over the size limit', async () => {
    const client = await connectClient(h.wsUrl, adminToken);
    client.sendRaw(JSON.stringify({ type: 'ping', pad: 'x'.repeat(70 * 1024) }));
    expect((await client.closed).code).toBe(1009);
  });

  it('closes with 1008 when a client floods', async () => {
    const client = await connectClient(h.wsUrl, adminToken);
    for (let i = 0; i < 40; i += 1) client.send({ type: 'ping' });
    expect((await client.closed).code).toBe(1008);
    expect(client.frames.at(-1)).toMatchObject({ type: 'error', code: 'rate_limited' });
    expect(client.frames.filter((f) => f.type === 'pong').length).toBeLessThan(12);
  });
});

describe('HTTP', () => {
  it('serves /healthz without details and errors in one JSON shape', async () => {
    const health = await fetch(`${h.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const missing = await fetch(`${h.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'not_found', message: 'No such route' },
    });
  });

  it('serves the page', async () => {
    const page = await fetch(`${h.url}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
  });

  it('refuses WebSocket upgrades from a foreign origin and accepts its own', async () => {
    await expect(
      openClient(h.wsUrl, { headers: { origin: 'http://evil.example' } }),
    ).rejects.toThrow(/403/);
    const own = await openClient(h.wsUrl, { headers: { origin: h.url } });
    await own.close();
  });
});

describe('LAN only', () => {
  it('refuses HTTP and WebSocket from addresses outside allowedNetworks', async () => {
    await using narrow = await startTestHearth({
      config: { server: { host: '127.0.0.1', port: 0, allowedNetworks: ['192.168.0.0/16'] } },
    });
    const response = await fetch(`${narrow.url}/healthz`);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'forbidden' } });
    await expect(openClient(narrow.wsUrl)).rejects.toThrow(/403/);
  });
});
