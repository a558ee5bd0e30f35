import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resultToText } from '../../src/mcp/aggregator/result-text.ts';
import { watchServersFile } from '../../src/mcp/aggregator/servers-file-watch.ts';
import {
  loadServersFile,
  parseServersFile,
  redact,
  type ServersFile,
} from '../../src/mcp/aggregator/servers-file.ts';
import {
  allowedByFilter,
  NameTable,
  qualifiedName,
  qualifiedResourceUri,
  splitResourceUri,
} from '../../src/mcp/aggregator/tool-names.ts';

const valid = /^[a-zA-Z0-9_-]{1,64}$/;

describe('tool names', () => {
  it('keeps clean names as <server>__<tool>', () => {
    expect(qualifiedName('github', 'create_issue')).toBe('github__create_issue');
    expect(qualifiedName('home-assistant', 'light-on')).toBe('home-assistant__light-on');
  });

  it('sanitises nasty names into valid, distinct, stable names', () => {
    const nasty = [
      ['my.server', 'do it'],
      ['my_server', 'do_it'],
      ['my.server', 'do/it'],
      ['srv', 'ünïcødé ツール'],
      ['srv', ''],
      ['a__b', 'c'],
      ['a', 'b__c'],
      ['_lead', 'x'],
      ['x'.repeat(64), 'y'.repeat(64)],
      ['x'.repeat(64), `${'y'.repeat(63)}z`],
      ['srv', 'tool.with.dots'],
      ['srv', 'tool_with_dots'],
    ] as const;
    const names = nasty.map(([server, tool]) => qualifiedName(server, tool));
    for (const name of names) expect(name).toMatch(valid);
    expect(new Set(names).size).toBe(names.length);
    expect(qualifiedName('my.server', 'do it')).toBe(names[0]);
    // `a__b`/`c` and `a`/`b__c` would both read `a__b__c`: the server name is not clean, so it is hashed.
    expect(names[5]).not.toBe('a__b__c');
    expect(names[6]).toBe('a__b__c');
  });

  it('maps names back and disambiguates a collision with a longer hash', () => {
    const table = new NameTable();
    const first = table.add('srv', 'echo');
    expect(table.add('srv', 'echo')).toBe(first);
    expect(table.resolve(first)).toEqual({ server: 'srv', original: 'echo' });
    // Craft a clean name equal to what rule 2 gives another tool.
    const hashed = qualifiedName('s.x', 't');
    const [server, tool] = hashed.split('__') as [string, string];
    const crafted = table.add(server, tool);
    expect(crafted).toBe(hashed);
    const second = table.add('s.x', 't');
    expect(second).not.toBe(hashed);
    expect(second).toMatch(valid);
    expect(table.resolve(second)).toEqual({ server: 's.x', original: 't' });
  });

  it('namespaces resource URIs reversibly', () => {
    for (const [server, uri] of [
      ['files', 'file:///home/a b.txt'],
      ['we/ird', 'custom://x/y?z=1#f'],
    ] as const) {
      const qualified = qualifiedResourceUri(server, uri);
      expect(splitResourceUri(qualified)).toEqual({ server, uri });
    }
    expect(splitResourceUri('file:///etc/passwd')).toBeUndefined();
  });

  it('filters with allow and deny globs', () => {
    expect(allowedByFilter('read_file', { allow: ['read_*'] })).toBe(true);
    expect(allowedByFilter('write_file', { allow: ['read_*'] })).toBe(false);
    expect(allowedByFilter('delete.all', { deny: ['delete*'] })).toBe(false);
    expect(allowedByFilter('deleteXall', { deny: ['delete.all'] })).toBe(true);
  });
});

describe('servers file', () => {
  it('loads valid entries, reports invalid ones by name, resolves ${VAR} from the environment', () => {
    const text = JSON.stringify({
      mcpServers: {
        files: { command: 'npx', args: ['-y', 'fs', '${HOME_DIR}'], env: { TOKEN: '${SECRET}' } },
        remote: {
          url: 'http://192.168.1.5:8080/mcp',
          headers: { authorization: 'Bearer ${SECRET}' },
          tools: { deny: ['rm*'] },
        },
        legacy: { url: 'http://nas.local/sse', type: 'sse', enabled: false, idleTimeoutMs: 1000 },
        nocommand: { args: ['x'] },
        badurl: { url: 'ftp://x' },
        missingvar: { command: 'x', env: { K: '${NOT_SET_ANYWHERE}' } },
        'bad name!': { command: 'x' },
        typo: { command: 'x', idleTimeout: 5 },
      },
    });
    const file = parseServersFile(text, { env: { HOME_DIR: '/home/a', SECRET: 's3cret' } });
    expect(file.servers.map((s) => s.name)).toEqual(['files', 'remote', 'legacy']);
    const [files, remote, legacy] = file.servers;
    expect(files?.spec).toMatchObject({
      kind: 'stdio',
      args: ['-y', 'fs', '/home/a'],
      env: { TOKEN: 's3cret' },
    });
    expect(files?.idleTimeoutMs).toBe(600_000);
    expect(remote?.spec).toMatchObject({
      kind: 'http',
      headers: { authorization: 'Bearer s3cret' },
    });
    expect(remote?.tools.deny).toEqual(['rm*']);
    expect(legacy).toMatchObject({ enabled: false, idleTimeoutMs: 1000, spec: { type: 'sse' } });
    expect(file.invalid.map((i) => i.server).sort()).toEqual([
      'bad name!',
      'badurl',
      'missingvar',
      'nocommand',
      'typo',
    ]);
    const messages = file.invalid.map((i) => i.message).join(' ');
    expect(messages).toContain('NOT_SET_ANYWHERE');
    expect(messages).not.toContain('s3cret');
  });

  it('knows which values are secrets and redacts them from messages', () => {
    const file = parseServersFile(
      JSON.stringify({
        mcpServers: { a: { url: 'http://x.lan/mcp?key=${KEY}', headers: { t: '${TOKEN}' } } },
      }),
      { env: { KEY: 'k-123456', TOKEN: 'tok-abcdef' } },
    );
    const entry = file.servers[0]!;
    expect(entry.secrets.sort()).toEqual(['k-123456', 'tok-abcdef']);
    expect(redact('POST http://x.lan/mcp?key=k-123456 failed, token tok-abcdef', entry)).toBe(
      'POST http://x.lan/mcp?key=*** failed, token ***',
    );
  });

  it('fingerprints change with the entry but not with the ON/OFF switch', () => {
    const parse = (entry: object) =>
      parseServersFile(JSON.stringify({ mcpServers: { a: entry } })).servers[0]!.fingerprint;
    expect(parse({ command: 'x' })).toBe(parse({ command: 'x', enabled: false }));
    expect(parse({ command: 'x' })).not.toBe(parse({ command: 'x', args: ['1'] }));
  });

  it('reads YAML and rejects a broken file as a whole', () => {
    const yaml = 'mcpServers:\n  mem:\n    command: node\n    args: [server.js]\n';
    expect(parseServersFile(yaml, { format: 'yaml' }).servers[0]?.name).toBe('mem');
    expect(() => parseServersFile('{ not json')).toThrow(/not valid/);
    expect(() => parseServersFile('{"servers": {}}')).toThrow(/mcpServers/);
  });
});

describe('servers file on disk', () => {
  it('fails as a whole when missing, and hands each saved version to the watcher', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-servers-'));
    try {
      const path = join(dir, 'mcp-servers.json');
      await expect(loadServersFile(path)).rejects.toMatchObject({ code: 'invalid_config' });
      await writeFile(path, JSON.stringify({ mcpServers: { a: { command: 'a' } } }));
      expect((await loadServersFile(path)).servers.map((s) => s.name)).toEqual(['a']);

      const loads: ServersFile[] = [];
      const errors: unknown[] = [];
      const watcher = watchServersFile(path, {
        onLoad: (file) => void loads.push(file),
        onError: (error) => errors.push(error),
        debounceMs: 50,
      });
      try {
        // Saved the way editors do: a new file renamed over the old one.
        await writeFile(
          `${path}.tmp`,
          JSON.stringify({ mcpServers: { a: { command: 'a' }, b: { url: 'http://b.lan/mcp' } } }),
        );
        await rename(`${path}.tmp`, path);
        await waitUntil(() => loads.length > 0);
        expect(loads.at(-1)?.servers.map((s) => s.name)).toEqual(['a', 'b']);
        await writeFile(path, '{ broken');
        await waitUntil(() => errors.length > 0);
        expect(errors[0]).toMatchObject({ code: 'invalid_config' });
      } finally {
        watcher.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('results and search', () => {
  it('maps text, images, resources, links and structured content into text', () => {
    const text = resultToText({
      content: [
        { type: 'text', text: 'hello' },
        { type: 'image', data: 'AAAA', mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'note://1', text: 'inside' } },
        {
          type: 'resource',
          resource: { uri: 'bin://1', blob: 'AAAAAAAA', mimeType: 'application/zip' },
        },
        { type: 'resource_link', uri: 'file:///x', name: 'x' },
      ],
    });
    expect(text.content).toBe(
      'hello\n[image image/png, 3 bytes]\n[resource note://1]\ninside\n[resource bin://1: application/zip, 6 bytes]\n[resource link file:///x (x)]',
    );
    expect(text.isError).toBeUndefined();
    expect(resultToText({ content: [], structuredContent: { a: 1 } }).content).toBe('{"a":1}');
    expect(resultToText({ content: [], isError: true })).toEqual({
      content: 'The tool failed.',
      isError: true,
    });
  });
});
