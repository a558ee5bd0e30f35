import { describe, expect, it } from 'vitest';
import { ToolCatalogue, autoSearchAbove } from './catalogue.ts';
import { callToolName, searchToolName, searchTools } from './meta-tools.ts';
import type { Tool, ToolSource } from './tool.ts';

function tool(name: string, description: string, calls: unknown[] = []): Tool {
  return {
    name,
    description,
    inputSchema: {
      type: 'object',
      properties: { n: { type: 'integer' } },
      required: ['n'],
      additionalProperties: false,
    },
    call(args) {
      calls.push(args);
      return Promise.resolve({ content: `${name}:${String(args.n)}` });
    },
  };
}

const own: ToolSource = { tools: () => [tool('hearth__clock', 'Current time')] };

function largeSource(count: number, calls: unknown[] = []): ToolSource {
  const tools = Array.from({ length: count }, (_, i) =>
    tool(`srv${i}__op`, `Operation number ${i} of server ${i}`, calls),
  );
  tools.push(tool('weather__forecast', 'Weather forecast for a city, days ahead', calls));
  tools.push(tool('files__read_file', 'Read a text file from the shared folder', calls));
  return { large: true, tools: () => tools };
}

const signal = new AbortController().signal;

describe('ToolCatalogue.forProfile', () => {
  it('offers nothing without an allow list, and only allowed names with one', () => {
    const catalogue = new ToolCatalogue([own, largeSource(3)]);
    expect(catalogue.forProfile(undefined).size).toBe(0);
    expect([...catalogue.forProfile(['hearth__*', 'weather__*']).keys()]).toEqual([
      'hearth__clock',
      'weather__forecast',
    ]);
  });

  it('sends every schema in direct mode, however many', () => {
    const catalogue = new ToolCatalogue([own, largeSource(100)]);
    expect(catalogue.forProfile(['*'], 'direct').size).toBe(103);
  });

  it('puts large sources behind two meta-tools in search mode; small sources stay direct', () => {
    const catalogue = new ToolCatalogue([own, largeSource(3)]);
    expect([...catalogue.forProfile(['*'], 'search').keys()]).toEqual([
      'hearth__clock',
      searchToolName,
      callToolName,
    ]);
  });

  it('searches automatically only above the threshold', () => {
    const few = new ToolCatalogue([own, largeSource(autoSearchAbove - 2)]);
    expect(few.forProfile(['*'], 'auto').has(searchToolName)).toBe(false);
    const many = new ToolCatalogue([own, largeSource(autoSearchAbove)]);
    expect([...many.forProfile(['*'], 'auto').keys()]).toEqual([
      'hearth__clock',
      searchToolName,
      callToolName,
    ]);
  });

  it('keeps the allow list behind the meta-tools: a hidden tool not allowed cannot be called', async () => {
    const catalogue = new ToolCatalogue([own, largeSource(40)]);
    const tools = catalogue.forProfile(['hearth__*', 'weather__*'], 'search');
    const call = tools.get(callToolName) as Tool;
    const refused = await call.call({ name: 'files__read_file', arguments: { n: 1 } }, { signal });
    expect(refused.isError).toBe(true);
    const found = await (tools.get(searchToolName) as Tool).call({ query: 'file' }, { signal });
    expect(found.content).not.toContain('files__read_file');
  });
});

describe('meta-tools', () => {
  const calls: unknown[] = [];
  const tools = new ToolCatalogue([largeSource(40, calls)]).forProfile(['*'], 'search');
  const search = tools.get(searchToolName) as Tool;
  const call = tools.get(callToolName) as Tool;

  it('finds tools by words in name and description, best first, with their schemas', async () => {
    const result = await search.call({ query: 'weather forecast' }, { signal });
    const hits = JSON.parse(result.content) as Array<{ name: string; inputSchema: unknown }>;
    expect(hits[0]?.name).toBe('weather__forecast');
    expect(hits[0]?.inputSchema).toMatchObject({ required: ['n'] });
    const none = await search.call({ query: 'zebra' }, { signal });
    expect(none.content).toMatch(/No tool matches "zebra"/);
  });

  it('ranks a name match above a description match and honours the limit', () => {
    const list = [
      tool('a__other', 'mentions files somewhere'),
      tool('b__files', 'lists things'),
      tool('c__files_too', 'more files'),
    ];
    expect(searchTools(list, 'files', 2).map((t) => t.name)).toEqual(['c__files_too', 'b__files']);
    // camelCase names split into words: "turn light" finds lights__turnOn.
    const lights = [
      tool('github__create_issue', 'Open an issue'),
      tool('lights__turnOn', 'Switch a light on'),
    ];
    expect(searchTools(lights, 'turn light', 5).map((t) => t.name)).toEqual(['lights__turnOn']);
  });

  it('calls a hidden tool by name after checking its arguments against its own schema', async () => {
    const ok = await call.call({ name: 'weather__forecast', arguments: { n: 3 } }, { signal });
    expect(ok).toEqual({ content: 'weather__forecast:3' });
    expect(calls).toEqual([{ n: 3 }]);
    const bad = await call.call({ name: 'weather__forecast', arguments: { n: 'x' } }, { signal });
    expect(bad.isError).toBe(true);
    expect(bad.content).toMatch(/schema/);
    expect(calls).toHaveLength(1);
  });

  it('answers an unknown name with an error and near names', async () => {
    const result = await call.call({ name: 'weather_forcast' }, { signal });
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(/no tool named "weather_forcast"/);
    expect(result.content).toContain('weather__forecast');
  });
});
