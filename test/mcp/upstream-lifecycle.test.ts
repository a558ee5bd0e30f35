import { afterEach, describe, expect, it } from 'vitest';
import { McpAggregator, type AggregatorEvent } from '../../src/mcp/aggregator/aggregator.ts';
import { createMcpToolSource } from '../../src/mcp/aggregator/tool-source.ts';
import {
  childrenOf,
  isAlive,
  serversFile,
  stdioFixture,
  tempDb,
  waitFor,
  type TempDb,
} from './upstream-support.ts';

const fastRestarts = { maxRestarts: 2, baseDelayMs: 50, maxDelayMs: 200 };
const cleanups: (() => PromiseLike<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  servers: Record<string, unknown>,
): Promise<{ aggregator: McpAggregator; temp: TempDb; events: AggregatorEvent[] }> {
  const temp = await tempDb();
  const aggregator = new McpAggregator({
    db: temp.db,
    file: serversFile(servers),
    restartPolicy: fastRestarts,
  });
  const events: AggregatorEvent[] = [];
  aggregator.onChange((event) => events.push(event));
  cleanups.push(() => temp[Symbol.asyncDispose]());
  cleanups.push(() => aggregator.stop());
  return { aggregator, temp, events };
}

function text(result: { content: unknown }): string {
  return (result.content as { type: string; text?: string }[]).map((b) => b.text ?? '').join('');
}

describe('upstream lifecycle (stdio fixture)', () => {
  it('starts lazily, keeps its catalogue in the database, and lists it after a restart without spawning', async () => {
    const { aggregator, temp } = await setup({ fx: stdioFixture('fx') });
    expect(aggregator.server('fx')?.state).toBe('idle');
    expect(await childrenOf(process.pid)).toEqual([]);
    expect(aggregator.tools()).toEqual([]);

    await aggregator.discover({ keepRunning: true });
    const started = aggregator.server('fx')!;
    expect(started).toMatchObject({
      state: 'ready',
      transport: 'stdio',
      era: '2026-07-28',
      source: 'file',
      enabled: true,
    });
    expect(aggregator.tools().map((t) => t.name)).toContain('fx__echo');
    const result = await aggregator.callTool('fx__echo', { text: 'hi' });
    expect(text(result)).toBe('echo: hi');
    await aggregator.stop();
    expect(isAlive(started.pid!)).toBe(false);

    // A restarted Hearth: same database, no process until a call needs one.
    const again = new McpAggregator({
      db: temp.reopen(),
      file: serversFile({ fx: stdioFixture('fx') }),
    });
    cleanups.push(() => again.stop());
    expect(again.tools().map((t) => t.name)).toContain('fx__echo');
    expect(again.server('fx')).toMatchObject({
      state: 'idle',
      transport: 'stdio',
      era: '2026-07-28',
    });
    expect(await childrenOf(process.pid)).toEqual([]);
    expect(text(await again.callTool('fx__echo', { text: 'again' }))).toBe('echo: again');
    expect(again.server('fx')?.state).toBe('ready');
    await again.stop();
    await expect(again.callTool('fx__echo', { text: 'late' })).rejects.toThrow(/stopped/);
    expect(await childrenOf(process.pid)).toEqual([]);
  });

  it('stops after the idle timeout when no call is in flight, but not during a long call', async () => {
    const { aggregator } = await setup({ fx: stdioFixture('fx', { idleTimeoutMs: 300 }) });
    const slow = aggregator.callTool('fx__slow', { steps: 6, stepMs: 100 });
    await waitFor(() => aggregator.server('fx')?.state === 'ready');
    const pid = aggregator.server('fx')!.pid!;
    expect(text(await slow)).toBe('done after 6 steps');
    expect(isAlive(pid)).toBe(true);
    await waitFor(() => aggregator.server('fx')?.state === 'idle', 3_000, 'idle stop');
    await waitFor(() => !isAlive(pid), 3_000, 'process exit');
    expect(aggregator.tools().length).toBeGreaterThan(0);
  });

  it('lets a long call run past the request timeout while progress arrives', async () => {
    const temp = await tempDb();
    cleanups.push(() => temp[Symbol.asyncDispose]());
    const aggregator = new McpAggregator({
      db: temp.db,
      file: serversFile({ fx: stdioFixture('fx') }),
      callTimeoutMs: 400,
    });
    cleanups.push(() => aggregator.stop());
    await aggregator.discover({ keepRunning: true });
    // 8 x 150 ms = 1.2 s, three times the timeout, with progress every 150 ms (none asked for).
    const long = await aggregator.callTool('fx__slow', { steps: 8, stepMs: 150 });
    expect(text(long)).toBe('done after 8 steps');
    // One step of 900 ms: a single progress at the start, then silence past the timeout.
    await expect(aggregator.callTool('fx__slow', { steps: 1, stepMs: 900 })).rejects.toThrow(
      /timed out/i,
    );
  });

  it('restarts a crashing server with backoff, then stays failed until toggled; others are unaffected', async () => {
    const { aggregator, events } = await setup({
      fx: stdioFixture('fx'),
      other: stdioFixture('other'),
    });
    await aggregator.discover({ keepRunning: true });
    const firstPid = aggregator.server('fx')!.pid!;
    await aggregator.callTool('fx__crash', {});
    await waitFor(
      () => aggregator.server('fx')?.restarts === 1 && aggregator.server('fx')?.state === 'ready',
      5_000,
      'restart',
    );
    expect(aggregator.server('fx')!.pid).not.toBe(firstPid);
    // The last error says why, in the server's own words from its stderr.
    expect(aggregator.server('fx')!.lastError).toMatch(
      /exited \(stderr: .*fixture: crashing on purpose\)/,
    );
    await aggregator.callTool('fx__crash', {});
    await waitFor(
      () => aggregator.server('fx')?.restarts === 2 && aggregator.server('fx')?.state === 'ready',
      5_000,
    );
    await aggregator.callTool('fx__crash', {});
    await waitFor(() => aggregator.server('fx')?.state === 'failed', 5_000, 'failed');
    await expect(aggregator.callTool('fx__echo', { text: 'x' })).rejects.toThrow(/failed/);
    expect(aggregator.tools().some((t) => t.server === 'fx')).toBe(false);
    expect(
      events.some((e) => e.type === 'state' && e.server === 'fx' && e.state === 'failed'),
    ).toBe(true);
    expect(aggregator.server('other')?.state).toBe('ready');
    expect(text(await aggregator.callTool('other__echo', { text: 'ok' }))).toBe('echo: ok');

    await aggregator.setEnabled('fx', false);
    await aggregator.setEnabled('fx', true);
    expect(aggregator.server('fx')).toMatchObject({
      state: 'idle',
      restarts: 0,
      source: 'override',
    });
    expect(text(await aggregator.callTool('fx__echo', { text: 'back' }))).toBe('echo: back');
  });

  it('treats a server whose tools/list stops answering as crashed and restarts it', async () => {
    const { aggregator } = await setup({ fx: stdioFixture('fx'), other: stdioFixture('other') });
    await aggregator.discover({ keepRunning: true });
    expect(await aggregator.checkHealth()).toEqual({ fx: true, other: true });
    const frozen = aggregator.server('fx')!.pid!;
    process.kill(frozen, 'SIGSTOP');
    try {
      expect(await aggregator.checkHealth()).toEqual({ fx: false, other: true });
      expect(aggregator.server('fx')?.lastError).toMatch(/unhealthy: tools\/list failed/);
      await waitFor(() => aggregator.server('fx')?.state === 'ready', 5_000, 'restart');
      expect(aggregator.server('fx')?.pid).not.toBe(frozen);
      await waitFor(() => !isAlive(frozen), 5_000, 'frozen process killed');
    } finally {
      if (isAlive(frozen)) process.kill(frozen, 'SIGKILL');
    }
  });

  it('turning a server OFF during a call fails the call and kills the whole process tree', async () => {
    const { aggregator, temp } = await setup({ fx: stdioFixture('fx') });
    const spawned = await aggregator.callTool('fx__spawn-child', {});
    const grandchild = (spawned.structuredContent as { pid: number }).pid;
    const serverPid = aggregator.server('fx')!.pid!;
    expect(isAlive(grandchild)).toBe(true);
    const call = aggregator.callTool('fx__slow', { steps: 50, stepMs: 100 }).then(
      () => new Error('the call went on'),
      (error: unknown) => error as Error,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    await aggregator.setEnabled('fx', false);
    expect((await call).message).toBe('MCP server fx was turned off');
    expect(isAlive(serverPid)).toBe(false);
    await waitFor(() => !isAlive(grandchild), 3_000, 'grandchild gone');
    expect(aggregator.server('fx')).toMatchObject({
      state: 'off',
      enabled: false,
      source: 'override',
    });
    expect(aggregator.tools()).toEqual([]);
    await expect(aggregator.callTool('fx__echo', { text: 'x' })).rejects.toThrow(
      'MCP server fx is turned off',
    );

    // The override survives a restart of Hearth.
    const again = new McpAggregator({
      db: temp.reopen(),
      file: serversFile({ fx: stdioFixture('fx') }),
    });
    cleanups.push(() => again.stop());
    expect(again.server('fx')).toMatchObject({ state: 'off', enabled: false, source: 'override' });
  });

  it('hot reload restarts only changed servers, stops removed ones and registers added ones lazily', async () => {
    const initial = { a: stdioFixture('a'), b: stdioFixture('b'), c: stdioFixture('c') };
    const { aggregator } = await setup(initial);
    await aggregator.discover({ keepRunning: true });
    const pids = Object.fromEntries(aggregator.list().map((s) => [s.name, s.pid!]));
    const result = await aggregator.reload(
      serversFile({
        a: initial.a,
        b: stdioFixture('b', { env: { CHANGED: '1' } }),
        d: stdioFixture('d'),
      }),
    );
    expect(result).toEqual({ added: ['d'], removed: ['c'], restarted: ['b'] });
    expect(aggregator.server('a')?.pid).toBe(pids.a);
    expect(isAlive(pids.a!)).toBe(true);
    expect(isAlive(pids.c!)).toBe(false);
    expect(isAlive(pids.b!)).toBe(false);
    expect(aggregator.server('b')?.state).toBe('ready');
    expect(aggregator.server('b')?.pid).not.toBe(pids.b);
    expect(aggregator.server('c')).toBeUndefined();
    expect(aggregator.server('d')?.state).toBe('idle');
    expect(aggregator.tools().some((t) => t.server === 'c')).toBe(false);
  });

  it('passes list_changed on (both eras), progress through, and cancellation up to the server', async () => {
    const { aggregator, events } = await setup({
      modern: stdioFixture('modern'),
      old: stdioFixture('old', {}, true),
    });
    await aggregator.discover({ keepRunning: true });
    expect(aggregator.server('old')?.era).toBe('2025-11-25');
    for (const server of ['modern', 'old']) {
      events.length = 0;
      await aggregator.callTool(`${server}__add-tool`, {});
      await waitFor(
        () => aggregator.tools().some((t) => t.name === `${server}__added-1`),
        5_000,
        `${server} list_changed`,
      );
      expect(events).toContainEqual({ type: 'catalogue', server });

      const progress: number[] = [];
      const done = await aggregator.callTool(
        `${server}__slow`,
        { steps: 3, stepMs: 30 },
        { onProgress: (p) => progress.push(p.progress) },
      );
      expect(text(done)).toBe('done after 3 steps');
      expect(progress).toEqual([1, 2, 3]);

      const controller = new AbortController();
      const call = aggregator.callTool(
        `${server}__slow`,
        { steps: 50, stepMs: 50 },
        { signal: controller.signal },
      );
      setTimeout(() => controller.abort(new Error('user pressed stop')), 120);
      await expect(call).rejects.toThrow();
      await waitFor(() => true);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const counts = await aggregator.callTool(`${server}__cancellations`, {});
      expect(counts.structuredContent).toMatchObject({ cancelled: 1 });
    }
  });

  it('serves the chat loop as a ToolSource of every tool, marked large', async () => {
    const { aggregator } = await setup({ fx: stdioFixture('fx') });
    await aggregator.discover({ keepRunning: true });
    const all = createMcpToolSource(aggregator);
    const echo = all.tools().find((t) => t.name === 'fx__echo')!;
    expect(echo.inputSchema).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string' } },
    });
    const signal = new AbortController().signal;
    expect(await echo.call({ text: 'yo' }, { signal })).toEqual({ content: 'echo: yo' });
    const picture = await all
      .tools()
      .find((t) => t.name === 'fx__picture')!
      .call({}, { signal });
    expect(picture.content).toBe(
      'a picture\n[image image/png, 8 bytes]\n[resource fixture://note]\nembedded note',
    );

    expect(all.large).toBe(true);

    expect(aggregator.prompts().map((p) => p.name)).toContain('fx__greet');
    const prompt = await aggregator.getPrompt('fx__greet', { who: 'Ada' });
    expect(prompt.messages[0]?.content).toMatchObject({ text: 'Hello Ada' });
    const resource = aggregator.resources().find((r) => r.original === 'fixture://note')!;
    expect(resource.uri).toBe('mcp-upstream://fx/fixture://note');
    const read = await aggregator.readResource(resource.uri);
    expect(read.contents[0]).toMatchObject({ text: 'note from fx' });
  });
});
