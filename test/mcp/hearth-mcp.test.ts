/**
 * The MCP room inside a whole Hearth: a chat turn that uses a tool of a real npm MCP server,
 * ON/OFF over REST with the change shown to UIs, the servers file hot-reloaded, and the merged
 * catalogue served at /mcp to an official MCP client.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mcpExtension } from '../../src/extensions/mcp.ts';
import { startOpenAIDouble, type OpenAIDouble } from '../doubles/openai-double.ts';
import {
  adminToken,
  startTestHearth,
  userToken,
  type TestHearth,
} from '../support/hearth-fixture.ts';
import { connectClient as connectWs } from '../support/ws-client.ts';
import { connectClient as connectMcp } from './support/connect-client.ts';
import { isAlive, npmServer, stdioFixture, waitFor } from './upstream-support.ts';

let dir: string;
let file: string;
let double: OpenAIDouble;
let h: TestHearth;

async function writeServers(servers: Record<string, unknown>): Promise<void> {
  await writeFile(file, JSON.stringify({ mcpServers: servers }));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-mcp-'));
  file = join(dir, 'mcp-servers.json');
  await writeServers({ everything: npmServer('server-everything'), fx: stdioFixture('fx') });
  double = await startOpenAIDouble();
  h = await startTestHearth({
    providerBaseURL: double.baseURL,
    extensions: [mcpExtension({ healthEveryMs: 60_000 })],
    config: {
      mcp: { serversFile: file },
      profiles: {
        default: { provider: 'double', model: 'm', tools: ['everything__*', 'fx__*'] },
      },
      defaultProfile: 'default',
    },
  });
});

afterEach(async () => {
  await h.stop();
  await double.close();
  await rm(dir, { recursive: true, force: true });
});

async function fxPid(): Promise<number> {
  await using mcp = await connectMcp(`${h.url}/mcp`, { era: 'legacy', token: adminToken });
  const answer = await mcp.client.callTool({ name: 'fx__pid', arguments: {} });
  return Number((answer.content as Array<{ text: string }>)[0]?.text);
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const api = (path: string, token = adminToken, init: RequestInit = {}) =>
  fetch(`${h.url}/api/v1${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
    },
  });

/** Waits until no server runs (discovery stops what it started once it has listed it). */
async function allIdle(): Promise<void> {
  await until(async () => {
    const { servers } = (await (await api('/mcp-servers')).json()) as { servers: any[] };
    return servers.every((server) => server.state === 'idle');
  });
}

/** Waits until discovery has listed every configured server's tools. */
async function listed(count: number): Promise<void> {
  await until(async () => {
    const { servers } = (await (await api('/mcp-servers')).json()) as { servers: any[] };
    return servers.length === count && servers.every((s) => s.tools > 0);
  }, 20_000);
}

describe('MCP servers in a running Hearth', () => {
  it('a chat turn calls a tool of server-everything, started on first use', async () => {
    await listed(2);
    // Discovery listed them and stops them again: started on first use only.
    await allIdle();
    double.enqueue(
      {
        type: 'tool-calls',
        calls: [{ id: 'c1', name: 'everything__echo', arguments: '{"message":"hi from hearth"}' }],
      },
      { type: 'text', chunks: ['It said hi.'] },
    );
    await using client = await connectWs(h.wsUrl, userToken);
    await client.request({ type: 'chat.send', content: [{ type: 'text', text: 'echo' }] });
    const result = await client.waitFor((f) => f.type === 'tool.result', 30_000);
    expect(result).toMatchObject({ name: 'everything__echo', isError: false });
    expect(result.content).toBe('Echo: hi from hearth');
    await client.waitFor((f) => f.type === 'turn.done');
    const offered = double.requests[0]?.body.tools.map((t: any) => t.function.name);
    expect(offered).toContain('fx__echo');
    const after = (await (await api('/mcp-servers/everything')).json()) as Record<string, any>;
    expect(after).toMatchObject({ state: 'ready', transport: 'stdio', switchedBy: 'file' });
  });

  it('switches a server OFF and ON over REST (admin only), telling every UI', async () => {
    await using ui = await connectWs(h.wsUrl, userToken);
    // Let discovery finish (it stops what it started), then start fx through /mcp so that OFF
    // has a process to stop.
    await listed(2);
    await allIdle();
    const pid = await fxPid();
    expect(isAlive(pid)).toBe(true);

    const refused = await api('/mcp-servers/fx/enabled', userToken, {
      method: 'PUT',
      body: JSON.stringify({ enabled: false }),
    });
    expect(refused.status).toBe(403);
    const off = await api('/mcp-servers/fx/enabled', adminToken, {
      method: 'PUT',
      body: JSON.stringify({ enabled: false }),
    });
    expect(await off.json()).toMatchObject({
      name: 'fx',
      enabled: false,
      state: 'off',
      switchedBy: 'override',
    });
    await waitFor(() => !isAlive(pid));
    const frame = await ui.waitFor(
      (f) =>
        f.type === 'mcp.servers' &&
        f.servers.some((s: any) => s.name === 'fx' && s.state === 'off'),
    );
    expect(frame.servers).toHaveLength(2);

    const cleared = await api('/mcp-servers/fx/enabled', adminToken, { method: 'DELETE' });
    expect(await cleared.json()).toMatchObject({ enabled: true, switchedBy: 'file' });
    expect((await api('/mcp-servers/nope')).status).toBe(404);
  });

  it('serves the merged catalogue at /mcp and reloads the servers file when it changes', async () => {
    await listed(2);
    await using mcp = await connectMcp(`${h.url}/mcp`, { era: 'modern', token: userToken });
    const names = (await mcp.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['everything__echo', 'fx__echo']));
    const echoed = await mcp.client.callTool({ name: 'fx__echo', arguments: { text: 'via /mcp' } });
    expect(echoed.content).toEqual([{ type: 'text', text: 'echo: via /mcp' }]);

    await writeServers({ fx: stdioFixture('fx'), fy: stdioFixture('fy') });
    await until(async () => {
      const list = (await (await api('/mcp-servers')).json()) as { servers: any[] };
      return list.servers.map((s) => s.name).join() === 'fx,fy';
    });
  });
});
