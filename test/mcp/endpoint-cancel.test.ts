/**
 * Cancellation at the wire level, without the SDK client in between: a 2025-era session's
 * `notifications/cancelled` (on both answer paths), its end, and a client closing its request
 * (either era) all abort the source's signal of the running call.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEndpointServer, testToken, type EndpointServer } from './support/endpoint-server.ts';
import { createFakeSource, expectClientCloseAborts } from './support/fake-source.ts';
import { openRawSession, rawPost } from './support/raw-post.ts';
import { within } from '../support/within.ts';

let server: EndpointServer;
const merged = createFakeSource({ toolCount: 3 });

beforeAll(async () => {
  server = await startEndpointServer({ merged });
});
afterAll(async () => {
  await server.close();
});

const post = (body: unknown, headers: Record<string, string>, signal?: AbortSignal) =>
  rawPost(`${server.origin}/mcp`, body, headers, signal);
const openSession = () => openRawSession(`${server.origin}/mcp`);

async function endSession(inSession: Record<string, string>): Promise<void> {
  expect(server.endpoint.sessionCount()).toBe(1);
  const ended = await fetch(`${server.origin}/mcp`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${testToken}`, ...inSession },
  });
  expect(ended.status).toBe(200);
  expect(server.endpoint.sessionCount()).toBe(0);
}

// Without a progress token the call is answered as plain JSON (fast-tool-call.ts); with one,
// by the SDK's transport as an SSE stream. Cancelling must reach the source either way.
for (const [path, meta] of [
  ['plain JSON answer', undefined],
  ['SSE answer (progress token)', { progressToken: 'p7' }],
] as const) {
  it(`2025 era, ${path}: notifications/cancelled aborts the source signal`, async () => {
    const inSession = await openSession();
    const started = merged.nextBlockStart();
    const aborted = merged.nextAbort();
    const params = { name: 'block', arguments: {}, ...(meta ? { _meta: meta } : {}) };
    const call = post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params }, inSession);
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
    const response = await call;
    if (meta) {
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      await response.body?.cancel();
    } else {
      // The client stopped waiting; the answer it no longer reads says so.
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toMatchObject({ id: 7, error: { code: -32800 } });
    }
    await endSession(inSession);
  });
}

it('2025 era, plain JSON answer: a client closing its request aborts the call', async () => {
  const inSession = await openSession();
  await expectClientCloseAborts(merged, (signal) =>
    post(
      { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'block', arguments: {} } },
      inSession,
      signal,
    ),
  );
  await endSession(inSession);
});

it('2025 era, plain JSON answer: ending the session aborts a running call', async () => {
  const inSession = await openSession();
  const started = merged.nextBlockStart();
  const aborted = merged.nextAbort();
  const call = post(
    { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'block', arguments: {} } },
    inSession,
  );
  await within(started);
  await endSession(inSession);
  await within(aborted);
  expect(await (await call).json()).toMatchObject({ id: 9, error: { code: -32800 } });
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
