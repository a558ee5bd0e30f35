/**
 * MCP over plain `fetch`, for tests that check the wire itself: a JSON-RPC POST with the
 * tester's token, and a 2025-era session opened by hand (initialize, then initialized).
 */
import { testToken } from './endpoint-server.ts';

export function rawPost(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${testToken}`,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

/** Opens a session at `url`; returns the headers every later request of it carries. */
export async function openRawSession(url: string): Promise<Record<string, string>> {
  const init = await rawPost(url, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  });
  await init.text();
  const inSession = {
    'mcp-session-id': init.headers.get('mcp-session-id') ?? '',
    'mcp-protocol-version': '2025-11-25',
  };
  const ready = await rawPost(
    url,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    inSession,
  );
  await ready.text();
  return inSession;
}
