/**
 * Cancellation at the wire level, without the SDK client in between: a 2025-era session's
 * `notifications/cancelled` and a 2026-07-28 client closing its request both abort the
 * source's signal of the running call.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEndpointServer, testToken, type EndpointServer } from './support/endpoint-server.ts';
import { createFakeSource } from './support/fake-source.ts';
import { within } from '../support/within.ts';

let server: EndpointServer;
const merged = createFakeSource({ toolCount: 3 });

beforeAll(async () => {
  server = await startEndpointServer({ merged });
});
afterAll(async () => {
  await server.close();
});

function post(body: unknown, headers: Record<string, string>, signal?: AbortSignal) {
  return fetch(`${server.origin}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${testToken}`,
      ...headers,
    },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

it('2025 era: notifications/cancelled for a running call aborts the source signal', async () => {
  const init = await post(
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'r', version: '1' },
      },
    },
    {},
  );
  const session = init.headers.get('mcp-session-id') ?? '';
  await init.text();
  const inSession = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
  await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, inSession)).text();

  const started = merged.nextBlockStart();
  const aborted = merged.nextAbort();
  const call = await post(
    { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'block', arguments: {} } },
    inSession,
  );
  await within(started);
  const cancel = await post(
    {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 7, reason: 'user stopped it' },
    },
    inSession,
  );
  expect(cancel.status).toBe(202);
  await within(aborted);
  await call.body?.cancel();
  expect(server.endpoint.sessionCount()).toBe(1);
  const ended = await fetch(`${server.origin}/mcp`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${testToken}`, ...inSession },
  });
  expect(ended.status).toBe(200);
  expect(server.endpoint.sessionCount()).toBe(0);
});

it('2026 era: closing the request of a running call aborts the source signal', async () => {
  const started = merged.nextBlockStart();
  const aborted = merged.nextAbort();
  const controller = new AbortController();
  const call = post(
    {
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: {
        name: 'block',
        arguments: {},
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    },
    { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'block' },
    controller.signal,
  ).catch((e: unknown) => e);
  await within(started);
  controller.abort();
  await within(aborted);
  expect(await call).toBeInstanceOf(Error);
});
