import { afterEach, describe, expect, it } from 'vitest';
import { McpAggregator } from '../../src/mcp/aggregator/aggregator.ts';
import { serversFile, startHttpFixture, tempDb, waitFor } from './upstream-support.ts';

const cleanups: (() => PromiseLike<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function aggregatorFor(servers: Record<string, unknown>): Promise<McpAggregator> {
  const temp = await tempDb();
  const aggregator = new McpAggregator({
    db: temp.db,
    file: serversFile(servers),
    restartPolicy: { maxRestarts: 1, baseDelayMs: 50, maxDelayMs: 50 },
  });
  cleanups.push(() => temp[Symbol.asyncDispose]());
  cleanups.push(() => aggregator.stop());
  return aggregator;
}

describe('HTTP upstreams', () => {
  it('talks Streamable HTTP: list, call, progress, cancellation, list_changed', async () => {
    const fixture = await startHttpFixture('streamable');
    cleanups.push(() => fixture.stop());
    const aggregator = await aggregatorFor({
      web: { url: fixture.url('/mcp'), headers: { 'x-token': 'abc' } },
    });
    await aggregator.discover({ keepRunning: true });
    expect(aggregator.server('web')).toMatchObject({
      state: 'ready',
      transport: 'streamable-http',
      era: '2025-11-25',
    });
    expect((await aggregator.callTool('web__echo', { text: 'over http' })).content).toEqual([
      { type: 'text', text: 'echo: over http' },
    ]);

    const progress: number[] = [];
    await aggregator.callTool(
      'web__slow',
      { steps: 3, stepMs: 30 },
      { onProgress: (p) => progress.push(p.progress) },
    );
    expect(progress).toEqual([1, 2, 3]);

    const controller = new AbortController();
    const call = aggregator.callTool(
      'web__slow',
      { steps: 40, stepMs: 50 },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 100);
    await expect(call).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await aggregator.callTool('web__cancellations', {})).structuredContent).toMatchObject({
      cancelled: 1,
    });

    await aggregator.callTool('web__add-tool', {});
    await waitFor(
      () => aggregator.tools().some((t) => t.name === 'web__added-1'),
      5_000,
      'list_changed over HTTP',
    );
  });

  it('reads calls answered with plain JSON, and unknown tools as protocol errors', async () => {
    const fixture = await startHttpFixture('json');
    cleanups.push(() => fixture.stop());
    const aggregator = await aggregatorFor({ web: { url: fixture.url('/mcp') } });
    expect((await aggregator.callTool('web__echo', { text: 'json' })).content).toEqual([
      { type: 'text', text: 'echo: json' },
    ]);
    // Progress cannot ride a JSON answer; the call still ends with its result.
    const result = await aggregator.callTool('web__slow', { steps: 2, stepMs: 10 });
    expect(result.content).toEqual([{ type: 'text', text: 'done after 2 steps' }]);
    const failure = await aggregator
      .upstream('web')!
      .callTool('no-such-tool', {})
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ProtocolError', code: -32602 });
  });

  it('times out a call with no answer and no progress, and cancels it upstream', async () => {
    const fixture = await startHttpFixture('streamable');
    cleanups.push(() => fixture.stop());
    const temp = await tempDb();
    cleanups.push(() => temp[Symbol.asyncDispose]());
    const aggregator = new McpAggregator({
      db: temp.db,
      file: serversFile({ web: { url: fixture.url('/mcp') } }),
      callTimeoutMs: 500,
    });
    cleanups.push(() => aggregator.stop());
    // Progress every 50 ms keeps a call of twice the timeout alive (a wide margin per step).
    const kept = await aggregator.callTool(
      'web__slow',
      { steps: 20, stepMs: 50 },
      { onProgress: () => undefined },
    );
    expect(kept.content).toEqual([{ type: 'text', text: 'done after 20 steps' }]);
    await expect(aggregator.callTool('web__slow', { steps: 1, stepMs: 2_000 })).rejects.toThrow(
      /timed out/,
    );
    let counts: Record<string, unknown> | undefined;
    for (let tries = 0; tries < 50 && counts?.cancelled !== 1; tries += 1) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      counts = (await aggregator.callTool('web__cancellations', {})).structuredContent as
        Record<string, unknown> | undefined;
    }
    expect(counts).toMatchObject({ cancelled: 1 });
  });

  it('opens a new session when a restarted server no longer knows the old one', async () => {
    const first = await startHttpFixture('streamable');
    const aggregator = await aggregatorFor({ web: { url: first.url('/mcp') } });
    const pidOf = async (): Promise<number> => {
      const [block] = (await aggregator.callTool('web__pid', {})).content;
      return Number(block?.type === 'text' ? block.text : NaN);
    };
    expect(await pidOf()).toBe(first.pid);
    await first.stop();
    const second = await startHttpFixture('streamable', 'http-streamable', first.port);
    cleanups.push(() => second.stop());
    // The call reached the new process through a new session, not an error.
    expect(await pidOf()).toBe(second.pid);
    expect(aggregator.server('web')).toMatchObject({ state: 'ready' });
  });

  it('falls back to legacy SSE, caches that verdict, and honours a forced type', async () => {
    const fixture = await startHttpFixture('sse');
    cleanups.push(() => fixture.stop());
    const temp = await tempDb();
    cleanups.push(() => temp[Symbol.asyncDispose]());
    const file = serversFile({
      probed: { url: fixture.url('/sse') },
      forced: { url: fixture.url('/sse'), type: 'sse' },
      wrong: { url: fixture.url('/sse'), type: 'http' },
    });
    const aggregator = new McpAggregator({
      db: temp.db,
      file,
      restartPolicy: { maxRestarts: 0, baseDelayMs: 10, maxDelayMs: 10 },
    });
    cleanups.push(() => aggregator.stop());
    await aggregator.discover({ keepRunning: true });
    expect(aggregator.server('probed')).toMatchObject({ state: 'ready', transport: 'sse' });
    expect(aggregator.server('forced')).toMatchObject({ state: 'ready', transport: 'sse' });
    expect(aggregator.server('wrong')).toMatchObject({ state: 'failed' });
    expect(aggregator.server('wrong')?.lastError).toBeTruthy();
    const progress: number[] = [];
    const result = await aggregator.callTool(
      'probed__slow',
      { steps: 2, stepMs: 30 },
      { onProgress: (p) => progress.push(p.progress) },
    );
    expect(result.content).toEqual([{ type: 'text', text: 'done after 2 steps' }]);
    expect(progress).toEqual([1, 2]);
    await aggregator.stop();

    // The verdict is in the database: a restarted Hearth goes straight to SSE.
    const again = new McpAggregator({ db: temp.reopen(), file });
    cleanups.push(() => again.stop());
    expect(again.server('probed')).toMatchObject({ state: 'idle', transport: 'sse' });
    expect((await again.callTool('probed__echo', { text: 'sse' })).content).toEqual([
      { type: 'text', text: 'echo: sse' },
    ]);
  });

  it('reports an unreachable server as failed without touching the others', async () => {
    const fixture = await startHttpFixture('streamable');
    cleanups.push(() => fixture.stop());
    const aggregator = await aggregatorFor({
      up: { url: fixture.url('/mcp') },
      down: { url: 'http://127.0.0.1:9/mcp', startTimeoutMs: 2000 },
      missing: { command: '/nonexistent/mcp-server', args: ['--stdio'] },
    });
    await expect(aggregator.callTool('down__echo', { text: 'x' })).rejects.toThrow(
      /Unknown MCP tool/,
    );
    await waitFor(() => aggregator.server('down')?.state === 'failed', 5_000, 'down failed');
    expect(aggregator.server('down')?.restarts).toBe(1);
    await expect(aggregator.callTool('missing__echo', {})).rejects.toThrow(/Unknown MCP tool/);
    await waitFor(() => aggregator.server('missing')?.state === 'failed', 5_000, 'missing failed');
    expect(aggregator.server('missing')?.lastError).toMatch(/ENOENT/);
    expect((await aggregator.callTool('up__echo', { text: 'fine' })).content).toEqual([
      { type: 'text', text: 'echo: fine' },
    ]);
  });
});
