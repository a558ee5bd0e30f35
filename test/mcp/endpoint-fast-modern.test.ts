/**
 * The endpoint's plain-JSON answer to a 2026-07-28 `tools/call` (fast-modern-call.ts): which
 * requests it takes (checked on the function itself, behind a bare HTTP server), and that its
 * answers are the SDK's answers (checked against the real endpoint, where a request the fast
 * path leaves alone gets the SDK's).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.ts';
import { readBody } from '../../src/mcp/aggregator/endpoint/node-bridge.ts';
import { tryFastModernCall } from '../../src/mcp/aggregator/endpoint/fast-modern-call.ts';
import { startEndpointServer, testToken, type EndpointServer } from './support/endpoint-server.ts';
import {
  createFakeSource,
  expectClientCloseAborts,
  withReshapedResults,
} from './support/fake-source.ts';
import { rawPost } from './support/raw-post.ts';
import { within } from '../support/within.ts';

const fake = createFakeSource({ toolCount: 3 });
const source = withReshapedResults(fake);
let endpoint: EndpointServer;
let bare: Server;
let bareOrigin: string;
/** What the last request to the bare server got: taken by the fast path, or left alone. */
let taken: boolean[] = [];
let open = 0;

beforeAll(async () => {
  endpoint = await startEndpointServer({ merged: source });
  bare = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const took = await tryFastModernCall(req, res, body, undefined, {
        authenticate: (header) =>
          header === `Bearer ${testToken}` ? { name: 'tester', role: 'user' } : undefined,
        source: () => source,
        beginCall: () => {
          const controller = new AbortController();
          open += 1;
          return {
            signal: controller.signal,
            abort: (reason) => controller.abort(new Error(reason)),
            end: () => (open -= 1),
          };
        },
        serverInfo: () => ({ name: 'hearth', version: '9.9.9' }),
        allowedHosts: undefined,
        logger: createLogger({ level: 'silent' }),
      });
      taken.push(took);
      if (!took) res.writeHead(418).end();
    })();
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  bareOrigin = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await endpoint.close();
  bare.closeAllConnections();
  await new Promise((resolve) => bare.close(resolve));
});

const envelope = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const modernHeaders = (name: string) => ({
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call',
  'mcp-name': name,
});
const call = (id: number, name: string, meta: Record<string, unknown> = envelope) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: { n: id }, _meta: meta },
});

async function viaBare(body: unknown, headers: Record<string, string>): Promise<boolean> {
  taken = [];
  const response = await rawPost(`${bareOrigin}/mcp`, body, headers);
  await response.text();
  return taken[0] ?? false;
}

it('takes a plainly valid call and answers it as the SDK answers the same call', async () => {
  for (const name of ['echo', 'nope', 'odd', 'bare']) {
    const fast = await rawPost(`${endpoint.origin}/mcp`, call(1, name), modernHeaders(name));
    // The same call with one more `_meta` entry is left to the SDK.
    const sdk = await rawPost(
      `${endpoint.origin}/mcp`,
      call(1, name, { ...envelope, 'example.com/note': 'x' }),
      modernHeaders(name),
    );
    expect(fast.status).toBe(sdk.status);
    expect(fast.headers.get('content-type')).toBe('application/json');
    // Hearth's own answer says its length; the SDK's is chunked.
    expect(fast.headers.get('content-length')).not.toBeNull();
    expect(await fast.json()).toEqual(await sdk.json());
  }
  expect(await viaBare(call(2, 'echo'), modernHeaders('echo'))).toBe(true);
  const answer = await rawPost(`${bareOrigin}/mcp`, call(3, 'echo'), modernHeaders('echo'));
  expect(await answer.json()).toEqual({
    jsonrpc: '2.0',
    id: 3,
    result: {
      content: [{ type: 'text', text: '{"n":3}' }],
      resultType: 'complete',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'hearth', version: '9.9.9' } },
    },
  });
  expect(open).toBe(0);
});

it('leaves every other request to the SDK', async () => {
  const { ['io.modelcontextprotocol/clientInfo']: _info, ...noClient } = envelope;
  const cases: Array<[string, unknown, Record<string, string>]> = [
    [
      'a progress token',
      call(4, 'echo', { ...envelope, progressToken: 'p' }),
      modernHeaders('echo'),
    ],
    [
      'null arguments',
      { ...call(4, 'echo'), params: { ...call(4, 'echo').params, arguments: null } },
      modernHeaders('echo'),
    ],
    ['an id past the safe integers', { ...call(4, 'echo'), id: 2 ** 53 }, modernHeaders('echo')],
    ['a key requests do not have', { ...call(4, 'echo'), extra: 1 }, modernHeaders('echo')],
    [
      'capabilities the schema refuses',
      call(4, 'echo', {
        ...envelope,
        'io.modelcontextprotocol/clientCapabilities': { sampling: 5 },
      }),
      modernHeaders('echo'),
    ],
    [
      'client info the schema refuses',
      call(4, 'echo', {
        ...envelope,
        'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1', title: 5 },
      }),
      modernHeaders('echo'),
    ],
    ['an encoded Mcp-Name', call(4, '=?base64?ZWNobw==?='), modernHeaders('=?base64?ZWNobw==?=')],
    ['another envelope entry', call(4, 'echo', { ...envelope, 'x/y': 1 }), modernHeaders('echo')],
    ['no client info', call(4, 'echo', noClient), modernHeaders('echo')],
    [
      'another version in the envelope',
      call(4, 'echo', { ...envelope, 'io.modelcontextprotocol/protocolVersion': '2027-01-01' }),
      modernHeaders('echo'),
    ],
    ['Mcp-Name naming another tool', call(4, 'echo'), modernHeaders('block')],
    ['no Mcp-Name', call(4, 'echo'), { ...modernHeaders('echo'), 'mcp-name': '' }],
    ['another Mcp-Method', call(4, 'echo'), { ...modernHeaders('echo'), 'mcp-method': 'x' }],
    [
      'another version header',
      call(4, 'echo'),
      { ...modernHeaders('echo'), 'mcp-protocol-version': '2025-11-25' },
    ],
    ['a session', call(4, 'echo'), { ...modernHeaders('echo'), 'mcp-session-id': 's' }],
    ['a wrong token', call(4, 'echo'), { ...modernHeaders('echo'), authorization: 'Bearer no' }],
    ['a batch', [call(4, 'echo')], modernHeaders('echo')],
    ['another method', { ...call(4, 'echo'), method: 'tools/list' }, modernHeaders('echo')],
  ];
  for (const [what, body, headers] of cases) expect(await viaBare(body, headers), what).toBe(false);
});

it('aborts the running call when the client closes its request, and when the leg closes', async () => {
  await expectClientCloseAborts(fake, (signal) =>
    rawPost(`${endpoint.origin}/mcp`, call(5, 'block'), modernHeaders('block'), signal),
  );

  // Closing the endpoint aborts a fast-path call that is still running.
  await using own = await startEndpointServer({ merged: source });
  const again = fake.nextBlockStart();
  const abortedAgain = fake.nextAbort();
  const running = rawPost(`${own.origin}/mcp`, call(6, 'block'), modernHeaders('block'));
  await within(again);
  const closed = own.close();
  expect(String(await within(abortedAgain))).toMatch(/closing/);
  // As the SDK answers an exchange its handler closed: 499, no body.
  const answer = await running;
  expect(answer.status).toBe(499);
  expect(await answer.text()).toBe('');
  await closed;
});
