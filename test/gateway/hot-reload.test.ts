import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/common/config/load.ts';
import { hashToken } from '../../src/common/config/secrets.ts';
import { createLogger } from '../../src/common/logger.ts';
import type { ChatProvider } from '../../src/adapters/provider.ts';
import { startHearth, type RunningHearth } from '../../src/hearth.ts';
import { startOpenAIDouble, type OpenAIDouble } from '../doubles/openai-double.ts';
import { adminToken, startTestHearth, userToken } from '../support/hearth-fixture.ts';
import { connectClient } from '../support/ws-client.ts';

let double: OpenAIDouble;
beforeEach(async () => {
  double = await startOpenAIDouble();
});
afterEach(async () => {
  await double.close();
});

async function api(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  token = adminToken,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: response.status === 204 ? undefined : await response.json(),
  };
}

describe('profiles and config over REST, applied without restart', () => {
  it('a new profile reaches every client and its next turn', async () => {
    await using h = await startTestHearth({ providerBaseURL: double.baseURL });
    await using client = await connectClient(h.wsUrl, userToken);
    const created = await api(h.url, 'PUT', '/profiles/kids', {
      provider: 'double',
      model: 'kid-model',
      system: 'Be gentle.',
    });
    expect(created).toMatchObject({
      status: 200,
      body: { id: 'kids', model: 'kid-model', maxToolRounds: 8 },
    });
    const changed = await client.waitFor((f) => f.type === 'config.changed');
    expect(changed.profiles.map((p: any) => p.id)).toContain('kids');
    await client.request({
      type: 'chat.send',
      profile: 'kids',
      content: [{ type: 'text', text: 'hi' }],
    });
    await client.waitFor((f) => f.type === 'turn.done');
    expect(double.requests.at(-1)?.body).toMatchObject({
      model: 'kid-model',
      messages: [
        { role: 'system', content: 'Be gentle.' },
        { role: 'user', content: 'hi' },
      ],
    });

    // A changed model applies to the next turn of an existing conversation too.
    await api(h.url, 'PUT', '/profiles/kids', { provider: 'double', model: 'kid-model-2' });
    expect((await api(h.url, 'GET', '/profiles/kids')).body).toEqual(
      expect.objectContaining({ model: 'kid-model-2' }),
    );
    expect((await api(h.url, 'GET', '/profiles/kids')).body.system).toBeUndefined();
    await client.request({
      type: 'chat.send',
      profile: 'kids',
      content: [{ type: 'text', text: 'again' }],
    });
    await client.waitFor(
      (f) =>
        f.type === 'turn.done' && client.frames.filter((x) => x.type === 'turn.done').length === 2,
    );
    expect(double.requests.at(-1)?.body.model).toBe('kid-model-2');

    expect((await api(h.url, 'DELETE', '/profiles/kids')).status).toBe(204);
    expect((await api(h.url, 'GET', '/profiles/kids')).status).toBe(404);
  });

  it('refuses writes from a user token, invalid changes and restart-only sections, changing nothing', async () => {
    await using h = await startTestHearth({ providerBaseURL: double.baseURL });
    expect(
      (await api(h.url, 'PUT', '/profiles/x', { provider: 'double', model: 'm' }, userToken))
        .status,
    ).toBe(403);
    const bad = await api(h.url, 'PUT', '/profiles/x', { provider: 'nowhere', model: 'm' });
    expect(bad).toMatchObject({
      status: 400,
      body: {
        error: { code: 'invalid_config', message: expect.stringMatching(/profiles\.x\.provider/) },
      },
    });
    const fixed = await api(h.url, 'PATCH', '/config', { server: { port: 1 } });
    expect(fixed).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', message: expect.stringMatching(/server.*restart/) } },
    });
    const config = await api(h.url, 'GET', '/config', undefined, userToken);
    expect(config.status).toBe(200);
    expect(Object.keys(config.body.profiles)).toEqual(['default', 'second']);
    const patched = await api(h.url, 'PATCH', '/config', {
      defaultProfile: 'second',
      limits: { messagesPerSecond: 50 },
    });
    expect(patched.body).toMatchObject({
      defaultProfile: 'second',
      limits: { messagesPerSecond: 50 },
    });
  });

  it('keeps API changes across a restart', async () => {
    const first = await startTestHearth({ providerBaseURL: double.baseURL });
    await api(first.url, 'PUT', '/profiles/kept', { provider: 'double', model: 'kept-model' });
    await first.stop();
    await using again = await startTestHearth({
      providerBaseURL: double.baseURL,
      dataDir: first.dataDir,
    });
    expect((await api(again.url, 'GET', '/profiles/kept')).body.model).toBe('kept-model');
    await rm(first.dataDir, { recursive: true, force: true });
  });

  it('a provider given in code serves its configured id, also after a change rebuilds the providers', async () => {
    const models: string[] = [];
    const inCode: ChatProvider = {
      id: 'double',
      async *stream(request) {
        models.push(request.model);
        await Promise.resolve();
        yield { type: 'text', text: `in code: ${request.model}` };
        yield { type: 'finish', reason: 'stop' };
      },
    };
    await using h = await startTestHearth({
      providerBaseURL: double.baseURL,
      chatProviders: new Map([['double', inCode]]),
    });
    await using client = await connectClient(h.wsUrl, adminToken);
    const turnText = async (text: string): Promise<string> => {
      const { turnId } = await client.request({
        type: 'chat.send',
        content: [{ type: 'text', text }],
      });
      await client.waitFor((f) => f.type === 'turn.done' && f.turnId === turnId);
      return client.frames
        .filter((f) => f.type === 'text.delta' && f.turnId === turnId)
        .map((f) => f.text as string)
        .join('');
    };
    expect(await turnText('one')).toBe('in code: test-model');
    await api(h.url, 'PUT', '/profiles/default', { provider: 'double', model: 'changed-model' });
    await client.waitFor((f) => f.type === 'config.changed');
    expect(await turnText('two')).toBe('in code: changed-model');
    expect(models).toEqual(['test-model', 'changed-model']);
    // The configured double was never asked.
    expect(double.requests).toHaveLength(0);
  });

  it('refuses at start a provider given in code for an id the config does not declare', async () => {
    const stray: ChatProvider = {
      id: 'nowhere',
      async *stream() {
        await Promise.resolve();
        yield { type: 'finish', reason: 'stop' };
      },
    };
    await expect(
      startTestHearth({
        providerBaseURL: double.baseURL,
        chatProviders: new Map([['nowhere', stray]]),
      }),
    ).rejects.toThrow('chatProviders: "nowhere" is not a chat provider in the configuration');
  });
});

describe('config.yaml changed on disk', () => {
  let dir: string;
  let hearth: RunningHearth | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-reload-'));
  });
  afterEach(async () => {
    await hearth?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const yaml = (model: string) =>
    [
      'server: { host: 127.0.0.1, port: 0 }',
      `dataDir: ${join(dir, 'data')}`,
      'log: { level: silent }',
      'discovery: { ollama: false }',
      'providers:',
      `  double: { kind: openai-compatible, baseURL: "${double.baseURL}" }`,
      'profiles:',
      `  home: { provider: double, model: ${model} }`,
      'auth:',
      '  tokens: [{ name: admin, role: admin, tokenEnv: HEARTH_TEST_ADMIN }]',
    ].join('\n');

  it('is validated and applied; an invalid file keeps the running config and tells admins', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, yaml('first-model'));
    const env = { HEARTH_CONFIG: file, HEARTH_TEST_ADMIN: adminToken };
    const { config, raw } = await loadConfig({ env });
    hearth = await startHearth({
      config,
      raw,
      configFile: file,
      env,
      secrets: {
        providerKeys: new Map(),
        tokens: [{ name: 'admin', role: 'admin', hash: hashToken(adminToken) }],
      },
      logger: createLogger({ level: 'silent' }),
    });
    await using client = await connectClient(`${hearth.url.replace('http', 'ws')}/ws`, adminToken);
    await writeFile(file, yaml('second-model'));
    const changed = await client.waitFor((f) => f.type === 'config.changed' && !f.error);
    expect(changed.profiles).toEqual([
      expect.objectContaining({ id: 'home', model: 'second-model' }),
    ]);

    await writeFile(file, `${yaml('third-model')}\nlimits: { messagesPerSecond: -5 }\n`);
    const refused = await client.waitFor((f) => f.type === 'config.changed' && f.error);
    expect(refused.error).toMatchObject({
      code: 'invalid_config',
      message: expect.stringMatching(/limits\.messagesPerSecond/),
    });
    await client.request({ type: 'chat.send', content: [{ type: 'text', text: 'which?' }] });
    await client.waitFor((f) => f.type === 'turn.done');
    expect(double.requests.at(-1)?.body.model).toBe('second-model');
  });
});
