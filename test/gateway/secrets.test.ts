import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/common/config/schema.ts';
import { hashToken } from '../../src/common/config/secrets.ts';
import { createLogger } from '../../src/common/logger.ts';
import { startHearth } from '../../src/hearth.ts';
import { startOpenAIDouble } from '../doubles/openai-double.ts';
import { connectClient } from '../support/ws-client.ts';

const apiKey = 'sk-proj-SECRETSECRETSECRET0123456789';
const token = 'household-token-abcdef0123456789';

describe('secrets', () => {
  it('never reach the log or a client, even when the provider refuses the key', async () => {
    await using double = await startOpenAIDouble({ apiKey: 'sk-the-right-key' });
    const dataDir = await mkdtemp(join(tmpdir(), 'hearth-secret-'));
    let logged = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    const config = configSchema.parse({
      server: { host: '127.0.0.1', port: 0 },
      dataDir,
      log: { level: 'trace' },
      providers: {
        cloud: { kind: 'openai', baseURL: double.baseURL, apiKeyEnv: 'OPENAI_API_KEY' },
      },
      profiles: { main: { provider: 'cloud', model: 'gpt-test' } },
    });
    const hearth = await startHearth({
      config,
      secrets: {
        providerKeys: new Map([['cloud', apiKey]]),
        tokens: [{ name: 'home', role: 'admin', hash: hashToken(token) }],
      },
      logger: createLogger({ level: 'trace', stream }),
    });
    try {
      await using client = await connectClient(`${hearth.url.replace('http', 'ws')}/ws`, token);
      await client.request({ type: 'chat.send', content: [{ type: 'text', text: 'hi' }] });
      const failure = await client.waitFor((f) => f.type === 'turn.error');
      expect(failure.code).toBe('provider_auth');
      expect(double.requests[0]?.headers.authorization).toBe(`Bearer ${apiKey}`);
      const wire = JSON.stringify(client.frames);
      expect(wire).not.toContain(apiKey);
      expect(wire).not.toContain(apiKey.slice(-8));
      expect(logged).toContain('turn failed');
      expect(logged).not.toContain(apiKey);
      expect(logged).not.toContain(apiKey.slice(-8));
      expect(logged).not.toContain(token);
    } finally {
      await hearth.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('are redacted by the logger wherever they are logged by name', () => {
    let line = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        line += chunk.toString();
        done();
      },
    });
    const logger = createLogger({ level: 'info', stream });
    logger.info(
      {
        token: 't0k3n',
        provider: { apiKey: 'sk-1' },
        req: { headers: { authorization: 'Bearer x1' } },
      },
      'x',
    );
    expect(line).not.toMatch(/t0k3n|sk-1|Bearer x1/);
    expect(JSON.parse(line)).toMatchObject({
      token: '[redacted]',
      provider: { apiKey: '[redacted]' },
    });
  });
});
