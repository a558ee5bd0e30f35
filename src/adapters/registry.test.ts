import { describe, expect, it } from 'vitest';
import { startOpenAIDouble } from '../../test/doubles/openai-double.ts';
import { configSchema } from '../common/config/schema.ts';
import type { Secrets } from '../common/config/secrets.ts';
import { HearthError } from '../common/errors.ts';
import type { ChatProvider, ChatRequest, ProviderEvent } from './provider.ts';
import { createChatProviders, createImageProviders } from './registry.ts';
import { loadConfig } from '../common/config/load.ts';
import { resolveSecrets } from '../common/config/secrets.ts';

const secrets = (keys: Record<string, string> = {}): Secrets => ({
  providerKeys: new Map(Object.entries(keys)),
  tokens: [],
});
const request: ChatRequest = {
  model: 'm',
  messages: [{ role: 'user', content: 'ping' }],
  maxTokens: 32,
};

async function drain(provider: ChatProvider | undefined): Promise<ProviderEvent[]> {
  const events: ProviderEvent[] = [];
  for await (const event of provider!.stream(request, new AbortController().signal))
    events.push(event);
  return events;
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('createChatProviders', () => {
  it('builds nothing from a config without providers', () => {
    expect(createChatProviders(configSchema.parse({}), secrets()).size).toBe(0);
  });

  it('builds one provider per entry, keyed and identified by its id', () => {
    const config = configSchema.parse({
      providers: {
        cloud: { kind: 'openai', apiKeyEnv: 'OPENAI_API_KEY' },
        gpu: { kind: 'openai-compatible', baseURL: 'http://192.168.1.20:8080/v1' },
      },
    });
    const providers = createChatProviders(config, secrets({ cloud: 'sk-cloud' }));
    expect([...providers.keys()].sort()).toEqual(['cloud', 'gpu']);
    expect(providers.get('cloud')?.id).toBe('cloud');
    expect(providers.get('gpu')?.id).toBe('gpu');
  });

  it('rejects an openai-compatible provider without a baseURL, naming the key', () => {
    const config = configSchema.parse({ providers: { llama: { kind: 'openai-compatible' } } });
    const error = thrown(() => createChatProviders(config, secrets()));
    expect(error).toBeInstanceOf(HearthError);
    expect((error as HearthError).code).toBe('invalid_config');
    expect((error as HearthError).message).toContain('providers.llama.baseURL');
  });

  it('rejects an openai provider whose key was not resolved, naming the key', () => {
    const config = configSchema.parse({
      providers: { cloud: { kind: 'openai', apiKeyEnv: 'OPENAI_API_KEY' } },
    });
    const error = thrown(() => createChatProviders(config, secrets()));
    expect((error as HearthError).code).toBe('invalid_config');
    expect((error as HearthError).message).toContain('providers.cloud.apiKeyEnv');
  });

  it('wires an openai provider to its baseURL and key, sending max_completion_tokens', async () => {
    await using double = await startOpenAIDouble({ apiKey: 'sk-cloud-key' });
    const config = configSchema.parse({
      providers: { cloud: { kind: 'openai', baseURL: double.baseURL, apiKeyEnv: 'KEY' } },
    });
    const events = await drain(
      createChatProviders(config, secrets({ cloud: 'sk-cloud-key' })).get('cloud'),
    );
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
    expect(double.requests[0]?.body.max_completion_tokens).toBe(32);
    expect(double.requests[0]?.body).not.toHaveProperty('max_tokens');
  });

  it('wires a keyless openai-compatible provider, sending max_tokens', async () => {
    await using double = await startOpenAIDouble();
    const config = configSchema.parse({
      providers: { llama: { kind: 'openai-compatible', baseURL: double.baseURL } },
    });
    const events = await drain(createChatProviders(config, secrets()).get('llama'));
    expect(events.flatMap((event) => (event.type === 'text' ? [event.text] : [])).join('')).toBe(
      'Echo: ping',
    );
    expect(double.requests[0]?.body.max_tokens).toBe(32);
    expect(double.requests[0]?.body).not.toHaveProperty('max_completion_tokens');
    expect(double.requests[0]?.headers.authorization).toBe('Bearer not-needed');
  });
});

describe('createChatProviders for every kind', () => {
  it('builds anthropic and ollama providers, and wants a key for anthropic', () => {
    const config = configSchema.parse({
      providers: {
        claude: { kind: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY' },
        local: { kind: 'ollama' },
      },
    });
    const built = createChatProviders(config, secrets({ claude: 'sk-ant-x' }));
    expect([...built.keys()]).toEqual(['claude', 'local']);
    expect(built.get('local')?.id).toBe('local');
    const error = thrown(() => createChatProviders(config, secrets()));
    expect(error).toBeInstanceOf(HearthError);
    expect((error as HearthError).message).toMatch(
      /providers\.claude\.apiKeyEnv: the anthropic kind needs an API key/,
    );
  });
});

describe('config.example.yaml', () => {
  it('builds every chat and image provider it names', async () => {
    const example = new URL('../../config.example.yaml', import.meta.url).pathname;
    const { config } = await loadConfig({ env: { HEARTH_CONFIG: example } });
    const env = {
      OPENAI_API_KEY: 'sk-x',
      ANTHROPIC_API_KEY: 'sk-ant-x',
      HEARTH_TOKEN_PARENTS: 'p'.repeat(20),
      HEARTH_TOKEN_KITCHEN: 'k'.repeat(20),
    };
    const keys = resolveSecrets(config, env);
    expect([...createChatProviders(config, keys).keys()]).toEqual([
      'openai',
      'claude',
      'ollama',
      'llamacpp',
    ]);
    expect([...createImageProviders(config, keys).keys()]).toEqual([
      'openai-images',
      'stable-diffusion',
    ]);
  });
});
