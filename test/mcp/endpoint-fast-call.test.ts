/**
 * The endpoint's plain-JSON answer to a 2025-era session's `tools/call` (fast-tool-call.ts),
 * at the wire: what it answers itself, and that everything else still gets the SDK's answer
 * (SSE with progress, 400 for an unsupported version, 404 for someone else's session, 401).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  otherToken,
  startEndpointServer,
  testToken,
  type EndpointServer,
} from './support/endpoint-server.ts';
import { createFakeSource, withReshapedResults } from './support/fake-source.ts';
import { openRawSession, rawPost } from './support/raw-post.ts';

let server: EndpointServer;
let inSession: Record<string, string>;

beforeAll(async () => {
  server = await startEndpointServer({
    merged: withReshapedResults(createFakeSource({ toolCount: 3 })),
    servers: { solo: createFakeSource({ toolCount: 1 }) },
  });
  inSession = await openRawSession(`${server.origin}/mcp`);
});
afterAll(async () => {
  await server.close();
});

const post = (body: unknown, headers: Record<string, string> = {}, path = '/mcp') =>
  rawPost(`${server.origin}${path}`, body, headers);

const call = (id: number, name: string, meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: { n: id }, ...(meta ? { _meta: meta } : {}) },
});

it('answers a call with no progress token as one JSON response in the session', async () => {
  const response = await post(call(2, 'echo'), inSession);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('mcp-session-id')).toBe(inSession['mcp-session-id']);
  expect(await response.json()).toEqual({
    jsonrpc: '2.0',
    id: 2,
    result: { content: [{ type: 'text', text: '{"n":2}' }] },
  });
  const unknown = await post(call(3, 'nope'), inSession);
  expect(await unknown.json()).toMatchObject({ id: 3, error: { code: -32602 } });
});

it('hands on results as the SDK does: read by the spec’s schema', async () => {
  for (const name of ['odd', 'bare']) {
    const fast = await post(call(30, name), inSession);
    // With a progress token the SDK answers the same call (as SSE).
    const sdk = await post(call(30, name, { progressToken: 'p' }), inSession);
    const data = (await sdk.text()).split('\n').find((line) => line.startsWith('data: {'));
    expect(await fast.json()).toEqual(JSON.parse(data!.slice('data: '.length)));
  }
});

it('leaves a call with a progress token to the SDK: SSE with every progress step', async () => {
  const response = await post(call(4, 'progress', { progressToken: 'p' }), inSession);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const text = await response.text();
  expect(text.match(/notifications\/progress/g)).toHaveLength(3);
  expect(text).toContain('"id":4');
});

it('gives everything it does not take the SDK’s own answers', async () => {
  const unsupported = await post(call(5, 'echo'), {
    ...inSession,
    'mcp-protocol-version': '1999-01-01',
  });
  expect(unsupported.status).toBe(400);
  await unsupported.text();
  // The session belongs to another principal, and to another path.
  const stranger = await post(call(6, 'echo'), {
    ...inSession,
    authorization: `Bearer ${otherToken}`,
  });
  expect(stranger.status).toBe(404);
  await stranger.text();
  const elsewhere = await post(call(7, 'echo'), inSession, '/mcp/solo');
  expect(elsewhere.status).toBe(404);
  await elsewhere.text();
  const anonymous = await post(call(8, 'echo'), { ...inSession, authorization: 'Bearer wrong' });
  expect(anonymous.status).toBe(401);
  await anonymous.text();
  const notJson = await post('{"jsonrpc":', inSession);
  expect(notJson.status).toBe(400);
  expect(await notJson.json()).toMatchObject({ error: { code: -32700 } });
  // A batch is not taken either: the SDK answers both calls on one SSE stream.
  const batch = await post([call(9, 'echo'), call(10, 'echo')], inSession);
  expect(batch.headers.get('content-type')).toContain('text/event-stream');
  const events = await batch.text();
  expect(events).toContain('"id":9');
  expect(events).toContain('"id":10');
});

it('refuses a body over 4 MiB with 413, whether its length was announced or not', async () => {
  const huge = JSON.stringify(call(11, 'echo')).replace('"n":11', `"n":"${'x'.repeat(4_300_000)}"`);
  const announced = await post(huge, inSession);
  expect(announced.status).toBe(413);
  expect(await announced.json()).toMatchObject({ error: { code: -32000 } });
  const streamed = await fetch(`${server.origin}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${testToken}`,
      ...inSession,
    },
    body: new Blob([huge]).stream(),
    duplex: 'half',
  });
  expect(streamed.status).toBe(413);
  await streamed.text();
  // The session still answers.
  expect((await post(call(12, 'echo'), inSession)).status).toBe(200);
});
