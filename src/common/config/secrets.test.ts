import { describe, expect, it } from 'vitest';
import { configSchema } from './schema.ts';
import { hashToken, resolveSecrets } from './secrets.ts';

const config = configSchema.parse({
  providers: {
    cloud: { kind: 'openai', apiKeyEnv: 'OPENAI_API_KEY' },
    local: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1' },
  },
  auth: { tokens: [{ name: 'kitchen', role: 'user', tokenEnv: 'KITCHEN_TOKEN' }] },
});

describe('resolveSecrets', () => {
  it('reads keys and hashes tokens, never keeping a token', () => {
    const secrets = resolveSecrets(config, {
      OPENAI_API_KEY: 'sk-1',
      KITCHEN_TOKEN: 'a-long-kitchen-token',
    });
    expect(secrets.providerKeys.get('cloud')).toBe('sk-1');
    expect(secrets.providerKeys.has('local')).toBe(false);
    expect(secrets.tokens).toEqual([
      { name: 'kitchen', role: 'user', hash: hashToken('a-long-kitchen-token') },
    ]);
    expect(JSON.stringify(secrets.tokens)).not.toContain('a-long-kitchen-token');
  });

  it('fails naming each missing variable but never a value', () => {
    const run = () => resolveSecrets(config, { KITCHEN_TOKEN: 'short' });
    expect(run).toThrow(
      /providers\.cloud\.apiKeyEnv: environment variable OPENAI_API_KEY is not set/,
    );
    expect(run).toThrow(/KITCHEN_TOKEN must hold at least 16 characters/);
    expect(run).not.toThrow(/short/);
  });

  it('requires an API key variable for the openai kind', () => {
    const bare = configSchema.parse({ providers: { cloud: { kind: 'openai' } } });
    expect(() => resolveSecrets(bare, {})).toThrow(
      /providers\.cloud\.apiKeyEnv: the openai kind needs an API key/,
    );
  });
});
