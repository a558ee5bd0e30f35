/**
 * Builds the chat providers the config names, one per entry under `providers`.
 */
import type { HearthConfig, ProviderConfig } from '../common/config/schema.ts';
import type { Secrets } from '../common/config/secrets.ts';
import { ErrorCode, HearthError } from '../common/errors.ts';
import { AnthropicChatProvider } from './anthropic/anthropic-provider.ts';
import { defaultOllamaURL } from './ollama/discover.ts';
import { OllamaChatProvider } from './ollama/ollama-provider.ts';
import { OpenAIChatProvider } from './openai/openai-provider.ts';
import type { ChatProvider } from './provider.ts';

type Factory = (id: string, entry: ProviderConfig, apiKey: string | undefined) => ChatProvider;

function requireKey(id: string, kind: string, apiKey: string | undefined): string {
  if (apiKey === undefined) {
    throw invalid(
      `providers.${id}.apiKeyEnv`,
      `the ${kind} kind needs an API key; name the variable that holds it`,
    );
  }
  return apiKey;
}

/**
 * How each kind is made. `openai-compatible` (llama.cpp server, vLLM, LM Studio) needs a
 * `baseURL`, may run without a key, and sends `max_tokens`, which local servers understand,
 * instead of `max_completion_tokens`. Ollama needs no key; `apiKeyEnv` is for one behind a proxy
 * that checks a bearer token.
 */
const factories: Record<ProviderConfig['kind'], Factory> = {
  openai: (id, entry, apiKey) =>
    new OpenAIChatProvider({
      id,
      baseURL: entry.baseURL,
      apiKey: requireKey(id, 'openai', apiKey),
      timeoutMs: entry.timeoutMs,
      maxTokensField: 'max_completion_tokens',
    }),
  'openai-compatible': (id, entry, apiKey) => {
    if (entry.baseURL === undefined) {
      throw invalid(
        `providers.${id}.baseURL`,
        'the openai-compatible kind needs the URL of its server, such as http://127.0.0.1:8080/v1',
      );
    }
    return new OpenAIChatProvider({
      id,
      baseURL: entry.baseURL,
      apiKey,
      timeoutMs: entry.timeoutMs,
      maxTokensField: 'max_tokens',
    });
  },
  anthropic: (id, entry, apiKey) =>
    new AnthropicChatProvider({
      id,
      ...(entry.baseURL !== undefined && { baseURL: entry.baseURL }),
      apiKey: requireKey(id, 'anthropic', apiKey),
      timeoutMs: entry.timeoutMs,
    }),
  ollama: (id, entry, apiKey) =>
    new OllamaChatProvider({
      id,
      baseURL: entry.baseURL ?? defaultOllamaURL,
      apiKey,
      timeoutMs: entry.timeoutMs,
    }),
};

/**
 * One ChatProvider per `config.providers` entry, keyed by its id. Throws `invalid_config`
 * naming the offending key.
 */
export function createChatProviders(
  config: HearthConfig,
  secrets: Secrets,
): Map<string, ChatProvider> {
  const providers = new Map<string, ChatProvider>();
  for (const [id, entry] of Object.entries(config.providers)) {
    providers.set(id, factories[entry.kind](id, entry, secrets.providerKeys.get(id)));
  }
  return providers;
}

function invalid(key: string, message: string): HearthError {
  return new HearthError(
    ErrorCode.invalidConfig,
    `Invalid configuration (providers): ${key}: ${message}`,
  );
}
