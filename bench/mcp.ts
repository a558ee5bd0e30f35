/**
 * The MCP aggregator with many configured servers (`bench/mcp.ts`): Hearth runs as its own
 * process (`node src/main.ts`) with a servers file of fixture servers, mostly stdio and some
 * Streamable HTTP, as a household's file would hold.
 *
 * - Start-up: spawn → "Hearth is listening", with the catalogues already cached (a later
 *   start) and on the very first start, against the same Hearth with an empty servers file.
 * - Merged `tools/list` through `/mcp`: one page, and the whole catalogue page by page.
 * - `tools/call` through `/mcp` against the same call made directly to the HTTP upstream, by
 *   the same client library, alternating, in the same run.
 * - Memory: Hearth's RSS with every server configured (none running) minus its RSS with none,
 *   per configured server.
 */
import { spawn } from 'node:child_process';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Client } from '@modelcontextprotocol/client';
import { McpAggregator } from '../src/mcp/aggregator/aggregator.ts';
import { loadServersFile } from '../src/mcp/aggregator/servers-file.ts';
import { openDatabase } from '../src/mcp/service/store/database.ts';
import { adminToken } from '../test/support/hearth-fixture.ts';
import type { HearthProcess } from '../test/support/hearth-process.ts';
import { connectClient } from '../test/mcp/support/connect-client.ts';
import { startHttpFixture, stdioFixture, type HttpFixture } from '../test/mcp/upstream-support.ts';
import { spawnBenchHearth } from './support/bench-hearth.ts';
import { now, round, roundSummary, sleep, summarize, type Summary } from './support/stats.ts';

export const mcpDefaults = {
  servers: 300,
  httpServers: 10,
  listRequests: 200,
  calls: 500,
  starts: 3,
};
export type McpOptions = typeof mcpDefaults;

export interface McpResult {
  options: McpOptions;
  tools: number;
  startupMs: { cached: Summary; firstStart: number; emptyFile: Summary };
  discoveryMs: number;
  listMs: { onePage: Summary; wholeCatalogue: Summary; pages: number };
  callMs: {
    direct: Summary;
    /** Through a bare HTTP relay process (bench/support/http-relay.ts) to the same upstream. */
    throughRelay?: Summary;
    /** Through `/mcp` with a 2025-era client (a session; the endpoint's fast path). */
    throughHearth: Summary;
    /** Through `/mcp` with a 2026-07-28 client (stateless: the SDK serves every request). */
    throughHearthModern?: Summary;
    addedP50: number;
    addedP99: number;
  };
  memory: {
    rssEmptyMiB: number;
    rssConfiguredMiB: number;
    perServerKiB: number;
    /** In this process, after full GCs: the aggregator with every server and its catalogue. */
    heapPerServerKiB: number;
    rssPerServerInProcessKiB: number;
  };
}

/** The bare relay of bench/support/http-relay.ts in its own process, in front of `target`. */
async function startRelay(target: string): Promise<{ origin: string } & AsyncDisposable> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'support', 'http-relay.ts'), target],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', () => reject(new Error('the relay exited')));
    child.stdout.once('data', (data: Buffer) =>
      resolve(Number(/listening (\d+)/.exec(String(data))?.[1])),
    );
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    [Symbol.asyncDispose]: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

async function startHearth(
  dir: string,
  serversFile: string,
): Promise<{ hearth: HearthProcess; ms: number }> {
  const started = now();
  const hearth = await spawnBenchHearth(dir, { HEARTH_MCP_SERVERS: serversFile });
  return { hearth, ms: now() - started };
}

async function mcpServers(
  url: string,
): Promise<Array<{ name: string; tools: number; state: string }>> {
  const response = await fetch(`${url}/api/v1/mcp-servers`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  return (
    (await response.json()) as { servers: Array<{ name: string; tools: number; state: string }> }
  ).servers;
}

async function settledRss(pid: number): Promise<number> {
  await sleep(2000);
  const samples = [];
  for (let i = 0; i < 3; i++) {
    samples.push(await rssMiB(pid));
    await sleep(300);
  }
  return samples.sort((a, b) => a - b)[1] as number;
}

async function timed(times: number, work: () => Promise<unknown>): Promise<Summary> {
  const values: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = now();
    await work();
    values.push(now() - started);
  }
  return roundSummary(summarize(values));
}

/**
 * The aggregator's own memory per configured server, measured in this process after full
 * GCs: every server registered with its cached catalogue and the merged catalogue built.
 */
async function aggregatorMemory(
  dataDir: string,
  file: string,
  servers: number,
): Promise<{ heap: number; rss: number }> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      gc();
      await sleep(50);
    }
    return process.memoryUsage();
  };
  const db = openDatabase({ dataDir });
  const parsed = await loadServersFile(file);
  const before = await settle();
  const aggregator = new McpAggregator({ db, file: parsed });
  if (aggregator.tools().length === 0) throw new Error('no cached catalogues to measure');
  const after = await settle();
  const result = {
    heap: (after.heapUsed - before.heapUsed) / 1024 / servers,
    rss: (after.rss - before.rss) / 1024 / servers,
  };
  await aggregator.stop();
  db.close();
  return result;
}

export async function runMcp(options: McpOptions = mcpDefaults): Promise<McpResult> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-mcp-'));
  const fixtures: HttpFixture[] = [];
  const running: HearthProcess[] = [];
  try {
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'discovery: { ollama: false }',
        'log: { level: info }',
        'auth:',
        '  tokens:',
        '    - { name: admin, role: admin, tokenEnv: HEARTH_ADMIN }',
        '',
      ].join('\n'),
    );
    for (let i = 0; i < options.httpServers; i++)
      fixtures.push(await startHttpFixture('streamable', `h${i}`));
    const servers: Record<string, unknown> = {};
    fixtures.forEach((fixture, i) => (servers[`h${i}`] = { url: fixture.url('/mcp') }));
    for (let i = fixtures.length; i < options.servers; i++)
      servers[`s${i}`] = stdioFixture(`s${i}`);
    const file = join(dir, 'mcp-servers.json');
    await writeFile(file, JSON.stringify({ mcpServers: servers }));
    const emptyFile = join(dir, 'empty.json');
    await writeFile(emptyFile, JSON.stringify({ mcpServers: {} }));

    // The very first start: nothing cached; discovery then lists every server once.
    const first = await startHearth(dir, file);
    running.push(first.hearth);
    const discoveryStarted = now();
    for (;;) {
      const list = await mcpServers(first.hearth.url);
      if (list.length === options.servers && list.every((s) => s.tools > 0)) break;
      if (now() - discoveryStarted > 600_000)
        throw new Error('discovery did not finish in 10 minutes');
      await sleep(500);
    }
    const discoveryMs = now() - discoveryStarted;
    // Let discovery stop the servers it started.
    await sleep(3000);
    await first.hearth.stop();
    running.pop();

    const cachedStarts: number[] = [];
    const emptyStarts: number[] = [];
    let rssConfigured = 0;
    let rssEmpty = 0;
    for (let i = 0; i < options.starts; i++) {
      const empty = await startHearth(dir, emptyFile);
      emptyStarts.push(empty.ms);
      if (i === 0) rssEmpty = await settledRss(empty.hearth.child.pid!);
      await empty.hearth.stop();
      const cached = await startHearth(dir, file);
      cachedStarts.push(cached.ms);
      if (i < options.starts - 1) {
        await cached.hearth.stop();
        continue;
      }
      running.push(cached.hearth);
      rssConfigured = await settledRss(cached.hearth.child.pid!);
    }
    const hearth = running.at(-1) as HearthProcess;

    const viaHearth = await connectClient(`${hearth.url}/mcp`, {
      era: 'legacy',
      token: adminToken,
    });
    const client: Client = viaHearth.client;
    let tools = 0;
    let pages = 0;
    const onePage = await timed(options.listRequests, () =>
      client.request({ method: 'tools/list', params: {} }),
    );
    const whole = await timed(Math.max(10, options.listRequests / 10), async () => {
      let cursor: string | undefined;
      tools = 0;
      pages = 0;
      do {
        const page = await client.request({
          method: 'tools/list',
          params: cursor ? { cursor } : {},
        });
        tools += page.tools.length;
        pages += 1;
        cursor = page.nextCursor;
      } while (cursor);
    });

    await using direct = await connectClient(fixtures[0]!.url('/mcp'), { era: 'legacy' });
    // The floor any aggregator pays: a bare HTTP relay process in front of the same upstream.
    await using relay = await startRelay(fixtures[0]!.url(''));
    await using relayed = await connectClient(`${relay.origin}/mcp`, { era: 'legacy' });
    await using modern = await connectClient(`${hearth.url}/mcp`, {
      era: 'modern',
      token: adminToken,
    });
    const args = { text: 'x'.repeat(64) };
    const paths = {
      direct: () => direct.client.callTool({ name: 'echo', arguments: args }),
      relay: () => relayed.client.callTool({ name: 'echo', arguments: args }),
      hearth: () => client.callTool({ name: 'h0__echo', arguments: args }),
      modern: () => modern.client.callTool({ name: 'h0__echo', arguments: args }),
    };
    type Path = keyof typeof paths;
    const orders: Path[][] = [
      ['direct', 'relay', 'hearth', 'modern'],
      ['hearth', 'modern', 'direct', 'relay'],
      ['modern', 'relay', 'hearth', 'direct'],
      ['relay', 'direct', 'modern', 'hearth'],
    ];
    // Warm every path (Hearth starts the upstream on the first call).
    for (let i = 0; i < 20; i++) for (const path of orders[0]!) await paths[path]();
    const callTimes: Record<Path, number[]> = { direct: [], relay: [], hearth: [], modern: [] };
    for (let i = 0; i < options.calls; i++) {
      for (const path of orders[i % orders.length]!) {
        const started = now();
        await paths[path]();
        callTimes[path].push(now() - started);
      }
    }
    await viaHearth[Symbol.asyncDispose]();
    await hearth.stop();
    running.pop();
    const inProcess = await aggregatorMemory(join(dir, 'data'), file, options.servers);
    const directSummary = roundSummary(summarize(callTimes.direct));
    const relaySummary = roundSummary(summarize(callTimes.relay));
    const hearthSummary = roundSummary(summarize(callTimes.hearth));
    const modernSummary = roundSummary(summarize(callTimes.modern));
    const cachedSummary = roundSummary(summarize(cachedStarts));
    return {
      options,
      tools,
      startupMs: {
        cached: cachedSummary,
        firstStart: round(first.ms, 1),
        emptyFile: roundSummary(summarize(emptyStarts)),
      },
      discoveryMs: round(discoveryMs, 0),
      listMs: { onePage, wholeCatalogue: whole, pages },
      callMs: {
        direct: directSummary,
        throughRelay: relaySummary,
        throughHearth: hearthSummary,
        throughHearthModern: modernSummary,
        addedP50: round(hearthSummary.p50 - directSummary.p50, 3),
        addedP99: round(hearthSummary.p99 - directSummary.p99, 3),
      },
      memory: {
        rssEmptyMiB: round(rssEmpty, 1),
        rssConfiguredMiB: round(rssConfigured, 1),
        perServerKiB: round(((rssConfigured - rssEmpty) * 1024) / options.servers, 1),
        heapPerServerKiB: round(inProcess.heap, 1),
        rssPerServerInProcessKiB: round(inProcess.rss, 1),
      },
    };
  } finally {
    for (const hearth of running) await hearth.stop();
    for (const fixture of fixtures) await fixture.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const result = await runMcp(
    quick ? { servers: 20, httpServers: 2, listRequests: 20, calls: 50, starts: 1 } : mcpDefaults,
  );
  console.log(JSON.stringify(result, null, 2));
}
