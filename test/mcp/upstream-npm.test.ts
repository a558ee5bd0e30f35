import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { McpAggregator } from '../../src/mcp/aggregator/aggregator.ts';
import { createMcpToolSource } from '../../src/mcp/aggregator/tool-source.ts';
import { isAlive, npmServer, serversFile, tempDb } from './upstream-support.ts';

const cleanups: (() => PromiseLike<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('real npm MCP servers over stdio', () => {
  it('lists and calls server-everything and server-memory', async () => {
    const temp = await tempDb();
    cleanups.push(() => temp[Symbol.asyncDispose]());
    const memoryFile = join(temp.dir, 'memory.jsonl');
    const aggregator = new McpAggregator({
      db: temp.db,
      file: serversFile({
        everything: npmServer('server-everything'),
        memory: { ...npmServer('server-memory'), env: { MEMORY_FILE_PATH: memoryFile } },
      }),
    });
    cleanups.push(() => aggregator.stop());

    await aggregator.discover({ concurrency: 1, keepRunning: true });
    const everything = aggregator.server('everything')!;
    expect(everything).toMatchObject({ state: 'ready', transport: 'stdio', era: '2025-11-25' });
    expect(everything.toolCount).toBeGreaterThan(5);

    const source = createMcpToolSource(aggregator);
    const signal = new AbortController().signal;
    const echo = source.tools().find((t) => t.name === 'everything__echo')!;
    expect(await echo.call({ message: 'hello hearth' }, { signal })).toEqual({
      content: 'Echo: hello hearth',
    });
    const sum = await aggregator.callTool('everything__get-sum', { a: 2, b: 40 });
    expect(JSON.stringify(sum.content)).toContain('42');

    await aggregator.callTool('memory__create_entities', {
      entities: [{ name: 'Ada', entityType: 'person', observations: ['likes tea'] }],
    });
    const graph = await source
      .tools()
      .find((t) => t.name === 'memory__read_graph')!
      .call({}, { signal });
    expect(graph.content).toContain('likes tea');
    expect(await readFile(memoryFile, 'utf8')).toContain('Ada');

    const pid = everything.pid!;
    await aggregator.setEnabled('everything', false);
    expect(isAlive(pid)).toBe(false);
  });

  it('uses server-filesystem on a temporary folder', async () => {
    const temp = await tempDb();
    const folder = await mkdtemp(join(tmpdir(), 'hearth-fs-'));
    cleanups.push(() => temp[Symbol.asyncDispose]());
    cleanups.push(() => rm(folder, { recursive: true, force: true }));
    await writeFile(join(folder, 'note.txt'), 'the key is under the mat');
    const aggregator = new McpAggregator({
      db: temp.db,
      file: serversFile({
        files: {
          ...npmServer('server-filesystem', folder),
          tools: { deny: ['write_*', 'edit_*', 'move_*', 'create_*'] },
        },
      }),
    });
    cleanups.push(() => aggregator.stop());
    // First call by name: the server was never listed, so the call starts it.
    const read = await aggregator.callTool('files__read_text_file', {
      path: join(folder, 'note.txt'),
    });
    expect(JSON.stringify(read.content)).toContain('under the mat');
    const names = aggregator.tools().map((t) => t.original);
    expect(names).toContain('list_directory');
    expect(names).not.toContain('write_file');
    const denied = await aggregator.callTool('files__read_text_file', { path: '/etc/hostname' });
    expect(denied.isError).toBe(true);
  });
});
