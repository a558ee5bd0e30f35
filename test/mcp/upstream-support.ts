/**
 * Helpers for the aggregator tests: a throwaway database, servers files built in code, the
 * fixture servers of test/fixtures/mcp (stdio command lines, HTTP servers started as real
 * processes on a free loopback port), and process checks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { parseServersFile, type ServersFile } from '../../src/mcp/aggregator/servers-file.ts';
import { openDatabase } from '../../src/mcp/service/store/database.ts';

const fixtures = fileURLToPath(new URL('../fixtures/mcp/', import.meta.url));
const modules = fileURLToPath(
  new URL('../../node_modules/@modelcontextprotocol/', import.meta.url),
);

export interface TempDb extends AsyncDisposable {
  db: DatabaseSync;
  dir: string;
  /** A second handle on the same file, as a restarted Hearth would open it. */
  reopen(): DatabaseSync;
}

export async function tempDb(): Promise<TempDb> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-mcp-'));
  const db = openDatabase({ dataDir: dir });
  const handles = [db];
  return {
    db,
    dir,
    reopen: () => {
      const again = openDatabase({ dataDir: dir });
      handles.push(again);
      return again;
    },
    [Symbol.asyncDispose]: async () => {
      for (const handle of handles) if (handle.isOpen) handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function serversFile(
  servers: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): ServersFile {
  return parseServersFile(JSON.stringify({ mcpServers: servers }), { env });
}

/** A stdio fixture entry; `legacy` pins the 2025 era. */
export function stdioFixture(
  name: string,
  extra: Record<string, unknown> = {},
  legacy = false,
): Record<string, unknown> {
  return {
    command: process.execPath,
    args: [join(fixtures, 'stdio-server.ts'), name, ...(legacy ? ['legacy'] : [])],
    ...extra,
  };
}

/** Command line of one of the npm MCP servers installed as dev dependencies. */
export function npmServer(
  pkg: 'server-everything' | 'server-memory' | 'server-filesystem',
  ...args: string[]
): Record<string, unknown> {
  return { command: process.execPath, args: [join(modules, pkg, 'dist', 'index.js'), ...args] };
}

export interface HttpFixture extends AsyncDisposable {
  port: number;
  pid: number;
  url(path: string): string;
  stop(): Promise<void>;
}

/**
 * Starts the HTTP fixture server (`streamable`, `json` or `sse`) as a real process, on a free
 * port or on `port` (to restart it where its clients expect it).
 */
export async function startHttpFixture(
  mode: 'streamable' | 'json' | 'sse',
  name = `http-${mode}`,
  fixedPort = 0,
): Promise<HttpFixture> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(fixtures, 'http-server.ts'), mode, name, String(fixedPort)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('HTTP fixture did not start')), 10_000);
    child.stdout?.once('data', (data: Buffer) => {
      clearTimeout(timer);
      resolve(Number(/listening (\d+)/.exec(String(data))?.[1]));
    });
    child.once('exit', () => reject(new Error('HTTP fixture exited')));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    pid: child.pid!,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(
  check: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Child processes of `pid` (Linux /proc), to count what the aggregator spawned. */
export async function childrenOf(pid: number): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const result: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) result.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return result;
}
