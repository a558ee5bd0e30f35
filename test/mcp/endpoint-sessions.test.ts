/**
 * The endpoint's sessions and signals over real HTTP: the token gate, cancellation reaching the
 * source (2025 `notifications/cancelled`, 2026 closed request, 2025 session DELETE), list
 * changes reaching clients of both eras, and the bounds on sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, type Era } from './support/connect-client.ts';
import {
  otherToken,
  startEndpointServer,
  testToken,
  type EndpointServer,
} from './support/endpoint-server.ts';
import { createFakeSource } from './support/fake-source.ts';
import { within } from '../support/within.ts';

let server: EndpointServer;
const merged = createFakeSource({ toolCount: 10, prefix: 'home__' });
const url = () => `${server.origin}/mcp`;

beforeAll(async () => {
  server = await startEndpointServer({ merged });
});
afterAll(async () => {
  await server.close();
});

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const initialize = (token?: string) =>
  fetch(url(), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      },
    }),
  });

describe('the token gate', () => {
  it('refuses a request without a token with 401 and a JSON-RPC error', async () => {
    const response = await initialize();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001 },
    });
  });

  it('refuses a wrong token, and a client without one cannot connect', async () => {
    expect((await initialize('wrong')).status).toBe(401);
    await expect(connectClient(url(), { era: 'legacy' })).rejects.toThrow();
    await expect(connectClient(url(), { era: 'modern' })).rejects.toThrow();
    expect(server.endpoint.sessionCount()).toBe(0);
  });
});

describe.each<Era>(['legacy', 'modern'])('%s-era client', (era) => {
  it('cancelling a call aborts the source signal, and the connection stays usable', async () => {
    await using c = await connectClient(url(), { era, token: testToken });
    const started = merged.nextBlockStart();
    const aborted = merged.nextAbort();
    const controller = new AbortController();
    const call = c.client
      .callTool({ name: 'home__block', arguments: {} }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await within(started);
    controller.abort();
    await within(aborted);
    expect(await call).toBeInstanceOf(Error);
    const again = await c.client.callTool({ name: 'home__echo', arguments: { ok: true } });
    expect(again.content).toEqual([{ type: 'text', text: '{"ok":true}' }]);
  });

  it('passes a list change from the source to the client', async () => {
    await using c = await connectClient(url(), { era, token: testToken });
    let seen = 0;
    c.client.setNotificationHandler('notifications/tools/list_changed', () => {
      seen += 1;
    });
    if (era === 'modern') await c.client.listen({ toolsListChanged: true });
    // A 2025 client opens its GET stream on its own time; announce until it is there.
    await until(() => {
      merged.emit('tools');
      return seen > 0;
    });
    expect(seen).toBeGreaterThan(0);
  });
});

describe('2025-era sessions', () => {
  it('a DELETE ends the session and aborts its running call, freeing its listener', async () => {
    const listenersBefore = merged.listenerCount();
    const c = await connectClient(url(), { era: 'legacy', token: testToken });
    expect(server.endpoint.sessionCount()).toBe(1);
    expect(merged.listenerCount()).toBe(listenersBefore + 1);
    const started = merged.nextBlockStart();
    const aborted = merged.nextAbort();
    const call = c.client.callTool({ name: 'home__block', arguments: {} }).catch((e: unknown) => e);
    await within(started);
    await c.transport.terminateSession();
    await within(aborted);
    await until(() => server.endpoint.sessionCount() === 0);
    expect(merged.listenerCount()).toBe(listenersBefore);
    await c.client.close();
    expect(await call).toBeInstanceOf(Error);
  });

  it('a session id from another path, another token holder or an ended session gets 404', async () => {
    const opened = await initialize(testToken);
    const id = opened.headers.get('mcp-session-id');
    expect(id).toEqual(expect.any(String));
    await opened.body?.cancel();
    const elsewhere = await fetch(`${url()}/home`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${testToken}`, 'mcp-session-id': id ?? '' },
    });
    expect(elsewhere.status).toBe(404);
    const stranger = await fetch(url(), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${otherToken}`, 'mcp-session-id': id ?? '' },
    });
    expect(stranger.status).toBe(404);
    const owner = await fetch(url(), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${testToken}`, 'mcp-session-id': id ?? '' },
    });
    expect(owner.status).toBe(200);
    const gone = await fetch(url(), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${testToken}`, 'mcp-session-id': id ?? '' },
    });
    expect(gone.status).toBe(404);
  });
});

describe('bounds', () => {
  it('caps live sessions and closes idle ones', async () => {
    const source = createFakeSource({ toolCount: 3 });
    await using bounded = await startEndpointServer({
      merged: source,
      extra: { maxSessions: 2, sessionIdleMs: 300 },
    });
    const open = () =>
      fetch(`${bounded.origin}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${testToken}`,
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'r', version: '1' },
          },
        }),
      });
    for (const response of [await open(), await open()]) {
      expect(response.status).toBe(200);
      await response.text();
    }
    expect(bounded.endpoint.sessionCount()).toBe(2);
    const third = await open();
    expect(third.status).toBe(503);
    expect(await third.json()).toMatchObject({ error: { code: -32000 } });
    // Nobody uses the two sessions: they expire and their listeners go.
    await until(() => bounded.endpoint.sessionCount() === 0, 3_000);
    expect(source.listenerCount()).toBe(0);
    const fourth = await open();
    expect(fourth.status).toBe(200);
    await fourth.text();
  });
});
