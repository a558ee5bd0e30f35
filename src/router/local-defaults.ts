import type { HearthConfig } from '../common/config/schema.ts';

/** A profile id from an Ollama model name such as `llama3.2:3b` → `llama3.2-3b`. */
function profileId(model: string): string {
  return (
    model
      .replace(/[^a-zA-Z0-9._-]/g, '-')
      .replace(/^[^a-zA-Z0-9]+/, '')
      .slice(0, 64) || 'ollama'
  );
}

/**
 * The config Hearth runs on when no provider is configured but a local Ollama answers: one
 * provider `ollama` and one profile per model, the first the default. Nothing is written to
 * disk; configuring any provider turns this off.
 */
export function withLocalOllama(
  config: HearthConfig,
  options: { baseURL: string; models: readonly string[] },
): HearthConfig {
  if (Object.keys(config.providers).length > 0 || options.models.length === 0) return config;
  const profiles: HearthConfig['profiles'] = {};
  for (const model of options.models) {
    const id = profileId(model);
    if (!(id in profiles))
      profiles[id] = {
        provider: 'ollama',
        model,
        label: `${model} (Ollama)`,
        toolMode: 'auto',
        maxToolRounds: 8,
        fallback: [],
      };
  }
  return {
    ...config,
    providers: { ollama: { kind: 'ollama', baseURL: options.baseURL, timeoutMs: 120_000 } },
    profiles,
    defaultProfile: Object.keys(profiles)[0],
  };
}
