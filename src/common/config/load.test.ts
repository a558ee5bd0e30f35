import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './load.ts';
import { resolveSecrets } from './secrets.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(text: string): Promise<string> {
  const file = join(dir, 'config.yaml');
  await writeFile(file, text);
  return file;
}

describe('loadConfig', () => {
  it('runs on built-in defaults with no file', async () => {
    const { config, file } = await loadConfig({ env: {}, cwd: dir });
    expect(file).toBeUndefined();
    expect(config.server.port).toBe(8080);
    expect(config.server.allowedNetworks).toContain('192.168.0.0/16');
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.providers).toEqual({});
  });

  it('reads ./config.yaml and lets the environment override it', async () => {
    await writeConfig('server:\n  port: 9000\n  host: 127.0.0.1\nlog:\n  level: warn\n');
    const { config, file } = await loadConfig({
      env: { HEARTH_PORT: '9100', HEARTH_DATA_DIR: '/tmp/x' },
      cwd: dir,
    });
    expect(file).toBe(join(dir, 'config.yaml'));
    expect(config.server.port).toBe(9100);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.log.level).toBe('warn');
    expect(config.dataDir).toBe('/tmp/x');
  });

  it('reads the file HEARTH_CONFIG names, providers and profiles included', async () => {
    const file = join(dir, 'other.yaml');
    await writeFile(
      file,
      [
        'providers:',
        '  local: { kind: openai-compatible, baseURL: "http://127.0.0.1:8081/v1" }',
        'profiles:',
        '  chat: { provider: local, model: qwen, temperature: 0.2, maxTokens: 512 }',
        'defaultProfile: chat',
      ].join('\n'),
    );
    const { config } = await loadConfig({ env: { HEARTH_CONFIG: file }, cwd: dir });
    expect(config.profiles.chat).toMatchObject({
      provider: 'local',
      model: 'qwen',
      temperature: 0.2,
    });
    expect(config.defaultProfile).toBe('chat');
  });

  it('names the file, the key and the problem for an invalid value', async () => {
    const file = await writeConfig('server:\n  port: 70000\n');
    await expect(loadConfig({ env: {}, cwd: dir })).rejects.toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*server\\.port.*70000`),
    );
  });

  it('names the environment variable when its value is the problem', async () => {
    await expect(loadConfig({ env: { HEARTH_PORT: 'eighty' }, cwd: dir })).rejects.toThrow(
      /HEARTH_PORT.*whole number/,
    );
    await expect(loadConfig({ env: { HEARTH_LOG_LEVEL: 'loud' }, cwd: dir })).rejects.toThrow(
      /HEARTH_LOG_LEVEL: log\.level/,
    );
  });

  it('refuses unknown keys, bad YAML, a missing HEARTH_CONFIG and dangling references', async () => {
    await writeConfig('sever:\n  port: 1\n');
    await expect(loadConfig({ env: {}, cwd: dir })).rejects.toThrow(/sever/);
    await writeConfig('server: [\n');
    await expect(loadConfig({ env: {}, cwd: dir })).rejects.toThrow(/not valid YAML/);
    await expect(loadConfig({ env: { HEARTH_CONFIG: 'nope.yaml' }, cwd: dir })).rejects.toThrow(
      /does not exist/,
    );
    await writeConfig(
      'profiles:\n  chat: { provider: missing, model: m }\ndefaultProfile: other\n',
    );
    const error = (await loadConfig({ env: {}, cwd: dir }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/profiles\.chat\.provider: names provider "missing"/);
    expect(error.message).toMatch(/defaultProfile: names profile "other"/);
    await writeConfig('- a\n- b\n');
    await expect(loadConfig({ env: {}, cwd: dir })).rejects.toThrow(/mapping/);
  });

  it('refuses a network that is not CIDR', async () => {
    await writeConfig('server:\n  allowedNetworks: ["10.0.0.0/99"]\n');
    await expect(loadConfig({ env: {}, cwd: dir })).rejects.toThrow(
      /server\.allowedNetworks\.0.*CIDR.*10\.0\.0\.0\/99/,
    );
  });

  it('accepts an empty file', async () => {
    await writeConfig('# nothing yet\n');
    const { config } = await loadConfig({ env: {}, cwd: dir });
    expect(config.server.port).toBe(8080);
  });
});

describe('config.example.yaml', () => {
  it('is a valid configuration whose secrets resolve from the variables it names', async () => {
    const example = join(import.meta.dirname, '..', '..', '..', 'config.example.yaml');
    const { config } = await loadConfig({ env: { HEARTH_CONFIG: example }, cwd: dir });
    expect(Object.keys(config.profiles)).toEqual([
      'everyday',
      'smart',
      'gpt',
      'paint',
      'paint-cloud',
    ]);
    const env = {
      OPENAI_API_KEY: 'sk-x',
      ANTHROPIC_API_KEY: 'sk-ant-x',
      HEARTH_TOKEN_PARENTS: 'p'.repeat(20),
      HEARTH_TOKEN_KITCHEN: 'k'.repeat(20),
    };
    expect(resolveSecrets(config, env).tokens.map((t) => t.name)).toEqual([
      'parents',
      'kitchen-kiosk',
    ]);
  });
});

describe('profile fallback', () => {
  it('must be a provider of the same kind as the profile', async () => {
    await writeConfig(
      [
        'providers:',
        '  local: { kind: ollama }',
        '  sd: { kind: automatic1111, baseURL: "http://127.0.0.1:7860" }',
        'profiles:',
        '  chat: { provider: local, model: m, fallback: [{ provider: sd, model: x }] }',
      ].join('\n'),
    );
    await expect(loadConfig({ env: {}, cwd: dir })).rejects.toThrow(
      /profiles\.chat\.fallback\.0\.provider: .*same kind/,
    );
  });
});
