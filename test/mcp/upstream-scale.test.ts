import { afterEach, describe, expect, it } from 'vitest';
import { McpAggregator } from '../../src/mcp/aggregator/aggregator.ts';
import { CatalogueStore } from '../../src/mcp/aggregator/catalogue-store.ts';
import {
  childrenOf,
  serversFile,
  startHttpFixture,
  stdioFixture,
  tempDb,
} from './upstream-support.ts';

const cleanups: (() => PromiseLike<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('300 configured servers', () => {
  it('start lazily and fast, list the cached catalogue quickly, and start only what is used', async () => {
    const temp = await tempDb();
    cleanups.push(() => temp[Symbol.asyncDispose]());
    const http = await startHttpFixture('streamable');
    cleanups.push(() => http.stop());
    const spawned = async (): Promise<number[]> =>
      (await childrenOf(process.pid)).filter((pid) => pid !== http.pid);
    const servers: Record<string, unknown> = {};
    for (let i = 0; i < 290; i++) servers[`s${i}`] = stdioFixture(`s${i}`);
    for (let i = 0; i < 10; i++) servers[`h${i}`] = { url: http.url('/mcp') };
    const file = serversFile(servers);
    expect(file.servers).toHaveLength(300);

    // Half of them were listed in an earlier run: 10 tools each in the database.
    const store = new CatalogueStore(temp.db);
    for (const entry of file.servers.slice(0, 150)) {
      const tools = Array.from({ length: 10 }, (_, t) => ({
        name: `tool_${t}`,
        description: `Tool ${t} of ${entry.name}, which does something useful`,
        inputSchema: { type: 'object' as const, properties: { value: { type: 'string' } } },
      }));
      store.saveCatalogue({
        server: entry.name,
        fingerprint: entry.fingerprint,
        verdict: undefined,
        tools,
        prompts: [],
        resources: [],
      });
    }

    const aggregator = new McpAggregator({ db: temp.db, file });
    cleanups.push(() => aggregator.stop());
    const tools = aggregator.tools();
    // Start-up time and memory per server are measured by bench/mcp.ts, not here.
    expect(tools).toHaveLength(1500);
    expect(await spawned()).toEqual([]);
    // The same file again restarts nothing.
    expect(await aggregator.reload(file)).toEqual({ added: [], removed: [], restarted: [] });
    expect(aggregator.tools()).toHaveLength(1500);

    // Use a handful: a cached server, two never-listed ones, and an HTTP one.
    await aggregator.callTool('s3__echo', { text: 'x' }).catch(() => undefined);
    expect((await aggregator.callTool('s200__echo', { text: 'a' })).content).toEqual([
      { type: 'text', text: 'echo: a' },
    ]);
    expect((await aggregator.callTool('s201__echo', { text: 'b' })).content).toEqual([
      { type: 'text', text: 'echo: b' },
    ]);
    expect((await aggregator.callTool('h0__echo', { text: 'c' })).content).toEqual([
      { type: 'text', text: 'echo: c' },
    ]);
    const running = aggregator
      .list()
      .filter((s) => s.state === 'ready')
      .map((s) => s.name)
      .sort();
    expect(running).toEqual(['h0', 's200', 's201', 's3']);
    expect(await spawned()).toHaveLength(3);
    await aggregator.stop();
    expect(await spawned()).toEqual([]);
  });
});
