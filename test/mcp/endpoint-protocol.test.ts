/**
 * The `/mcp` endpoint answers the official MCP client over real HTTP on 127.0.0.1, in both
 * protocol eras: paginated lists, calls, unknown names, progress, prompts, resources, and the
 * per-server path.
 */
import { ProtocolError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, type Era } from './support/connect-client.ts';
import { startEndpointServer, testToken, type EndpointServer } from './support/endpoint-server.ts';
import { createFakeSource } from './support/fake-source.ts';

let server: EndpointServer;
const merged = createFakeSource({ toolCount: 250, prefix: 'home__' });
const single = createFakeSource({ toolCount: 5 });

beforeAll(async () => {
  server = await startEndpointServer({
    merged,
    servers: { home: single },
    extra: { pageSize: 100 },
  });
});
afterAll(async () => {
  await server.close();
});

describe.each<Era>(['legacy', 'modern'])('%s-era client', (era) => {
  const open = (path = '/mcp') =>
    connectClient(`${server.origin}${path}`, { era, token: testToken });

  it('pages tools/list 100 at a time with opaque cursors', async () => {
    await using c = await open();
    const first = await c.client.request({ method: 'tools/list', params: {} });
    expect(first.tools).toHaveLength(100);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(first.nextCursor).not.toMatch(/^\d+$/);
    const second = await c.client.listTools({ cursor: first.nextCursor });
    expect(second.tools).toHaveLength(100);
    const third = await c.client.listTools({ cursor: second.nextCursor });
    expect(third.tools).toHaveLength(50);
    expect(third.nextCursor).toBeUndefined();
    const names = [...first.tools, ...second.tools, ...third.tools].map((tool) => tool.name);
    expect(new Set(names).size).toBe(250);
    expect(names).toEqual((await merged.listTools()).map((tool) => tool.name));
    // The SDK's own walk over the same cursors sees the whole list.
    expect((await c.client.listTools()).tools).toHaveLength(250);
  });

  it('answers a cursor it did not issue with -32602', async () => {
    await using c = await open();
    const failure = await c.client
      .listTools({ cursor: 'bm90LWEtY3Vyc29y' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProtocolError);
    expect((failure as ProtocolError).code).toBe(-32602);
  });

  it('calls a tool and returns its result', async () => {
    await using c = await open();
    const result = await c.client.callTool({ name: 'home__echo', arguments: { n: 7 } });
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([{ type: 'text', text: '{"n":7}' }]);
  });

  it('answers an unknown tool with the JSON-RPC error -32602, not a result', async () => {
    await using c = await open();
    const failure = await c.client
      .callTool({ name: 'home__nope', arguments: {} })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProtocolError);
    expect((failure as ProtocolError).code).toBe(-32602);
    expect((failure as ProtocolError).message).toContain('home__nope');
  });

  it('passes progress to a client that sent a progress token, before the result', async () => {
    await using c = await open();
    const seen: number[] = [];
    const result = await c.client.callTool(
      { name: 'home__progress', arguments: {} },
      { onprogress: (p) => seen.push(p.progress) },
    );
    expect(seen).toEqual([1, 2, 3]);
    expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
  });

  it('serves prompts and resources, and -32602 for an unknown resource', async () => {
    await using c = await open();
    const prompts = await c.client.listPrompts();
    expect(prompts.prompts.map((p) => p.name)).toEqual(['home__greet']);
    const prompt = await c.client.getPrompt({ name: 'home__greet', arguments: { who: 'Ann' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Hello Ann' });
    const resources = await c.client.listResources();
    expect(resources.resources.map((r) => r.uri)).toEqual(['fake://note']);
    const read = await c.client.readResource({ uri: 'fake://note' });
    expect(read.contents).toEqual([{ uri: 'fake://note', mimeType: 'text/plain', text: 'a note' }]);
    const missing = await c.client.readResource({ uri: 'fake://none' }).catch((e: unknown) => e);
    expect((missing as ProtocolError).code).toBe(-32602);
  });

  it('serves one server alone, unprefixed, at /mcp/<server>', async () => {
    await using c = await open('/mcp/home');
    const listed = await c.client.listTools();
    expect(listed.tools.map((tool) => tool.name)).toEqual([
      'echo',
      'progress',
      'block',
      'tool_0000',
      'tool_0001',
    ]);
    const result = await c.client.callTool({ name: 'tool_0001', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'ran tool_0001' }]);
  });
});

it('answers 404 for a server it does not know', async () => {
  const response = await fetch(`${server.origin}/mcp/nobody`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${testToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  expect(response.status).toBe(404);
  expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 } });
});
