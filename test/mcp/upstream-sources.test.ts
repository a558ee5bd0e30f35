import { afterEach, describe, expect, it } from 'vitest';
import { McpAggregator } from '../../src/mcp/aggregator/aggregator.ts';
import { McpNotFoundError } from '../../src/mcp/aggregator/endpoint/source.ts';
import { mergedSource, serverSource } from '../../src/mcp/aggregator/endpoint-sources.ts';
import { childrenOf, serversFile, stdioFixture, tempDb, waitFor } from './upstream-support.ts';

const cleanups: (() => PromiseLike<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the aggregator as endpoint sources', () => {
  it('serves the merged catalogue and one server unprefixed', async () => {
    process.env.HEARTH_PARENT_SECRET = 'do-not-leak';
    cleanups.push(() => {
      delete process.env.HEARTH_PARENT_SECRET;
      return Promise.resolve();
    });
    const temp = await tempDb();
    cleanups.push(() => temp[Symbol.asyncDispose]());
    const aggregator = new McpAggregator({
      db: temp.db,
      file: serversFile(
        {
          fx: stdioFixture('fx', {
            tools: { deny: ['crash'] },
            env: { FIXTURE_TOKEN: '${TOKEN_FOR_FX}' },
          }),
          gone: stdioFixture('gone'),
        },
        { ...process.env, TOKEN_FOR_FX: 'secret-token' },
      ),
    });
    cleanups.push(() => aggregator.stop());
    const merged = mergedSource(aggregator);
    const kinds: string[] = [];
    merged.onListChanged((kind) => kinds.push(kind));
    const signal = new AbortController().signal;

    // The first listing answers at once and discovers in the background.
    expect(await merged.listTools()).toEqual([]);
    await waitFor(
      () =>
        aggregator.tools().some((t) => t.server === 'gone') &&
        aggregator.server('gone')?.state === 'idle',
      10_000,
      'discovery',
    );
    // Discovery lists each server and stops it again: nothing keeps running.
    await waitFor(
      () => aggregator.server('fx')?.state === 'idle',
      5_000,
      'fx stopped after listing',
    );
    expect(await childrenOf(process.pid)).toEqual([]);
    expect(kinds).toContain('tools');
    const names = (await merged.listTools()).map((t) => t.name);
    expect(names).toContain('fx__echo');
    expect(names).not.toContain('fx__crash');
    const echo = await merged.callTool('fx__echo', { text: 'm' }, { signal });
    expect(echo.content).toEqual([{ type: 'text', text: 'echo: m' }]);
    await expect(merged.callTool('fx__nope', {}, { signal })).rejects.toBeInstanceOf(
      McpNotFoundError,
    );
    const resource = (await merged.listResources()).find(
      (r) => r.uri === 'mcp-upstream://fx/fixture://note',
    )!;
    const read = await merged.readResource(resource.uri, { signal });
    expect(read.contents[0]).toMatchObject({
      uri: 'mcp-upstream://fx/fixture://note',
      text: 'note from fx',
    });
    await expect(merged.readResource('mcp-upstream://nobody/x', { signal })).rejects.toBeInstanceOf(
      McpNotFoundError,
    );
    expect((await merged.getPrompt('fx__greet', { who: 'Bo' }, { signal })).messages).toHaveLength(
      1,
    );

    await aggregator.setEnabled('gone', false);
    const off = await merged.callTool('gone__echo', { text: 'x' }, { signal });
    expect(off).toEqual({
      content: [{ type: 'text', text: 'MCP server gone is turned off' }],
      isError: true,
    });

    const single = serverSource(aggregator, 'fx');
    const own = (await single.listTools()).map((t) => t.name);
    expect(own).toContain('echo');
    expect(own).not.toContain('crash');
    expect((await single.callTool('echo', { text: 's' }, { signal })).content).toEqual([
      { type: 'text', text: 'echo: s' },
    ]);
    await expect(single.callTool('crash', {}, { signal })).rejects.toBeInstanceOf(McpNotFoundError);
    expect((await single.readResource('fixture://note', { signal })).contents[0]).toMatchObject({
      text: 'note from fx',
    });

    // A stdio server gets its own env (with ${VAR} from the environment) and a small safe
    // base, never the rest of Hearth's environment.
    const env = async (name: string) => {
      const result = await single.callTool('env', { name }, { signal });
      return (result.content as { text: string }[])[0]?.text;
    };
    expect(await env('FIXTURE_TOKEN')).toBe('set');
    expect(await env('HEARTH_PARENT_SECRET')).toBe('unset');
    expect(await env('PATH')).toBe('set');
  });
});
