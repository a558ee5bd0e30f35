import { describe, expect, it } from 'vitest';
import type { ChatProvider } from '../adapters/provider.ts';
import { configSchema } from '../common/config/schema.ts';
import { ProfileResolver } from './profiles.ts';

const provider = (id: string): ChatProvider => ({
  id,
  stream: () => {
    throw new Error('not called');
  },
});

function resolverFor(profiles: Record<string, unknown>) {
  const config = configSchema.parse({
    providers: {
      cloud: { kind: 'openai' },
      claude: { kind: 'anthropic' },
      local: { kind: 'ollama' },
      server: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1' },
    },
    profiles,
  });
  return new ProfileResolver({
    config: () => config,
    providers: () =>
      new Map(['cloud', 'claude', 'local', 'server'].map((id) => [id, provider(id)])),
  });
}

describe('ProfileResolver context window', () => {
  it("takes the profile's contextTokens when set", () => {
    const resolver = resolverFor({ p: { provider: 'local', model: 'm', contextTokens: 32_768 } });
    expect(resolver.resolve('p', undefined).contextTokens).toBe(32_768);
  });

  it("defaults by the provider's kind", () => {
    const resolver = resolverFor({
      a: { provider: 'cloud', model: 'm' },
      b: { provider: 'claude', model: 'm' },
      c: { provider: 'local', model: 'm' },
      d: { provider: 'server', model: 'm' },
    });
    expect(['a', 'b', 'c', 'd'].map((id) => resolver.resolve(id, undefined).contextTokens)).toEqual(
      [128_000, 200_000, 4_096, 8_192],
    );
  });

  it('defaults to the smallest window among the profile and its fallbacks', () => {
    const resolver = resolverFor({
      p: { provider: 'claude', model: 'm', fallback: [{ provider: 'server', model: 'n' }] },
    });
    expect(resolver.resolve('p', undefined).contextTokens).toBe(8_192);
  });

  it('raises a default window to twice the replies the profile asks for', () => {
    const resolver = resolverFor({ p: { provider: 'local', model: 'm', maxTokens: 4096 } });
    expect(resolver.resolve('p', undefined).contextTokens).toBe(8192);
  });

  it('refuses at start a maxTokens that leaves the set window no room', () => {
    expect(() =>
      resolverFor({ p: { provider: 'local', model: 'm', contextTokens: 4096, maxTokens: 4096 } }),
    ).toThrow(/is 4096, which leaves no room in the context window/);
  });

  it('refuses a window too small to hold anything at start', () => {
    expect(() => resolverFor({ p: { provider: 'local', model: 'm', contextTokens: 100 } })).toThrow(
      /contextTokens/,
    );
  });
});
