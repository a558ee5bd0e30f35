import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIDouble, type OpenAIDouble } from '../doubles/openai-double.ts';
import { adminToken, userToken } from '../support/hearth-fixture.ts';
import { spawnHearth } from '../support/hearth-process.ts';
import { startRedisServer, type TestRedis } from '../support/redis-server.ts';
import { connectClient } from '../support/ws-client.ts';

let double: OpenAIDouble;
let redis: TestRedis;
let dir: string;
beforeEach(async () => {
  double = await startOpenAIDouble();
  redis = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), 'hearth-roles-'));
});
afterEach(async () => {
  await redis.stop();
  await double.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm start --role central and --role gateway, as separate processes', () => {
  it('a profile changed on the central service is applied to the next turn on both gateways', async () => {
    const common = {
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PORT: '0',
      HEARTH_REDIS_URL: redis.url,
      HEARTH_LOG_LEVEL: 'info',
    };
    await using central = await spawnHearth({
      args: ['--role', 'central'],
      env: {
        ...common,
        HEARTH_DATA_DIR: join(dir, 'central'),
        HEARTH_ADMIN: adminToken,
        HEARTH_KID: userToken,
        // The config a household keeps on the central service, as environment-only YAML.
        HEARTH_CONFIG: await writeConfig(dir, double.baseURL),
      },
      listening: 'Hearth central service is listening',
    });
    const gateways = [];
    for (const name of ['g1', 'g2']) {
      gateways.push(
        await spawnHearth({
          args: ['--role', 'gateway'],
          env: {
            ...common,
            HEARTH_DATA_DIR: join(dir, name),
            HEARTH_CENTRAL_URL: central.url,
            HEARTH_CENTRAL_TOKEN: adminToken,
          },
          listening: 'Hearth gateway is listening',
        }),
      );
    }
    try {
      const clients = await Promise.all(
        gateways.map((g) => connectClient(`${g.url.replace('http', 'ws')}/ws`, userToken)),
      );
      expect(clients.map((c) => c.welcome.profiles[0].model)).toEqual(['m1', 'm1']);
      const response = await fetch(`${central.url}/api/v1/profiles/home`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'local', model: 'm2', system: 'Changed.' }),
      });
      expect(response.status).toBe(200);
      for (const client of clients) {
        await client.waitFor((f) => f.type === 'config.changed');
        await client.request({ type: 'chat.send', content: [{ type: 'text', text: 'hi' }] });
        await client.waitFor((f) => f.type === 'turn.done');
      }
      expect(double.requests.map((r) => [r.body.model, r.body.messages[0].content])).toEqual([
        ['m2', 'Changed.'],
        ['m2', 'Changed.'],
      ]);
      for (const client of clients) await client.close();
    } finally {
      for (const gateway of gateways) expect(await gateway.stop()).toBe(0);
    }
    expect(await central.stop()).toBe(0);
  });

  it('refuses to start a gateway without the central service, naming what is missing', async () => {
    const run = spawnHearth({
      args: ['--role', 'gateway'],
      env: { HEARTH_DATA_DIR: join(dir, 'g'), HEARTH_REDIS_URL: redis.url },
      listening: 'Hearth gateway is listening',
    });
    await expect(run).rejects.toThrow(
      /cluster\.centralURL, cluster\.redisURL and a token in HEARTH_CENTRAL_TOKEN/,
    );
    const bad = spawnHearth({ args: ['--role', 'kiosk'], env: {}, listening: 'x' });
    await expect(bad).rejects.toThrow(/"kiosk" is not one of all, central, gateway/);
  });
});

async function writeConfig(dir: string, baseURL: string): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const file = join(dir, 'central.yaml');
  await writeFile(
    file,
    [
      'providers:',
      `  local: { kind: openai-compatible, baseURL: "${baseURL}" }`,
      'profiles:',
      '  home: { provider: local, model: m1 }',
      'defaultProfile: home',
      'discovery: { ollama: false }',
      'auth:',
      '  tokens:',
      '    - { name: admin, role: admin, tokenEnv: HEARTH_ADMIN }',
      '    - { name: kid, role: user, tokenEnv: HEARTH_KID }',
      '',
    ].join('\n'),
  );
  return file;
}
