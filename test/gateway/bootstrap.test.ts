import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureBootstrapToken } from '../../src/gateway/auth/bootstrap-token.ts';
import { connectClient } from '../support/ws-client.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-boot-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs `node src/main.ts` as `npm start` does, collecting its output until every pattern of
 * `until` has matched (stdout and stderr are separate pipes, so either may come first).
 */
function runMain(env: Record<string, string>, until: RegExp[] = []) {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const matched = new Promise<void>((resolve) => {
    const check = () => {
      if (until.length > 0 && until.every((pattern) => pattern.test(stdout + stderr))) resolve();
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      check();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      check();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, matched, exited, output: () => ({ stdout, stderr }) };
}

describe('first start', () => {
  it('creates an admin token once, keeps only its hash, and accepts it', async () => {
    const first = await ensureBootstrapToken({ dataDir: dir, configuredTokens: 0 });
    expect(first.createdToken).toMatch(/^hearth_/);
    const stored = await readFile(join(dir, 'admin-token.json'), 'utf8');
    expect(stored).not.toContain(first.createdToken);
    expect(JSON.parse(stored)).toMatchObject({ role: 'admin', hash: first.entry?.hash });
    expect((await stat(join(dir, 'admin-token.json'))).mode & 0o777).toBe(0o600);
    const second = await ensureBootstrapToken({ dataDir: dir, configuredTokens: 0 });
    expect(second).toEqual({ entry: first.entry, createdToken: undefined });
  });

  it('makes none when tokens are configured, and refuses a damaged file', async () => {
    expect(await ensureBootstrapToken({ dataDir: dir, configuredTokens: 1 })).toEqual({
      entry: undefined,
      createdToken: undefined,
    });
    await writeFile(join(dir, 'admin-token.json'), '{"role":"admin","hash":"zz"}');
    await expect(ensureBootstrapToken({ dataDir: dir, configuredTokens: 0 })).rejects.toThrow(
      /damaged/,
    );
  });
});

describe('npm start', () => {
  it('starts on embedded defaults, prints the admin token once outside the JSON log, and stops on SIGTERM', async () => {
    const run = runMain({ HEARTH_DATA_DIR: dir, HEARTH_PORT: '0', HEARTH_HOST: '127.0.0.1' }, [
      /Hearth is listening/,
      /Open the page with it/,
    ]);
    await run.matched;
    const { stdout, stderr } = run.output();
    const token = /hearth_[A-Za-z0-9_-]+/.exec(stderr)?.[0];
    expect(token).toBeDefined();
    expect(stdout).not.toContain(token);
    const listening = stdout
      .split('\n')
      .map((line) => (line ? JSON.parse(line) : {}))
      .find((l) => l.msg === 'Hearth is listening');
    await using client = await connectClient(`${listening.url.replace('http', 'ws')}/ws`, token!);
    expect(client.welcome).toMatchObject({ role: 'admin', setup: { configured: false } });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output().stdout).toMatch(/Hearth stopped/);
  });

  it('exits non-zero at start on invalid config, naming the file, the key and the problem', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'server:\n  port: "many"\n');
    const run = runMain({ HEARTH_CONFIG: file, HEARTH_DATA_DIR: dir });
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toMatch(
      new RegExp(
        `Hearth could not start: Invalid configuration \\(${file}\\): server\\.port: .*number`,
      ),
    );
  });

  it('exits non-zero when a secret the config names is missing', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      'providers:\n  cloud: { kind: openai, apiKeyEnv: HEARTH_TEST_MISSING_KEY }\n',
    );
    const run = runMain({ HEARTH_CONFIG: file, HEARTH_DATA_DIR: dir });
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toMatch(/HEARTH_TEST_MISSING_KEY is not set/);
  });

  it('exits non-zero when the MCP servers file cannot be read, naming it', async () => {
    const missing = join(dir, 'no-such-servers.json');
    const run = runMain({ HEARTH_MCP_SERVERS: missing, HEARTH_DATA_DIR: dir });
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toContain(
      `Hearth could not start: Cannot read MCP servers file ${missing}`,
    );
  });

  it('starts with an MCP servers file whose invalid entries are reported by name', async () => {
    const servers = join(dir, 'servers.json');
    await writeFile(
      servers,
      JSON.stringify({
        mcpServers: { broken: { args: ['no command'] }, fine: { url: 'http://127.0.0.1:9/mcp' } },
      }),
    );
    const run = runMain(
      {
        HEARTH_MCP_SERVERS: servers,
        HEARTH_DATA_DIR: dir,
        HEARTH_PORT: '0',
        HEARTH_HOST: '127.0.0.1',
      },
      [/Hearth is listening/, /MCP server left out/],
    );
    await run.matched;
    const left = run
      .output()
      .stdout.split('\n')
      .filter((line) => line.includes('MCP server left out'))
      .map((line) => JSON.parse(line) as { server: string });
    expect(left.map((entry) => entry.server)).toEqual(['broken']);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
