/**
 * Builds the providers the config names, one per entry under `providers`: chat kinds become
 * ChatProviders, image kinds ImageProviders.
 */
import {
  isImageKind,
  type ChatKind,
  type HearthConfig,
  type ImageKind,
  type ProviderConfig,
} from '../common/config/schema.ts';
import type { Secrets } from '../common/config/secrets.ts';
import { ErrorCode, HearthError } from '../common/errors.ts';
import { AnthropicChatProvider } from './anthropic/anthropic-provider.ts';
import { Automatic1111Provider } from './automatic1111/automatic1111-provider.ts';
import type { ImageProvider } from './image-provider.ts';
import { defaultOllamaURL } from './ollama/discover.ts';
import { OllamaChatProvider } from './ollama/ollama-provider.ts';
import { OpenAIImagesProvider } from './openai/openai-images-provider.ts';
import { OpenAIChatProvider } from './openai/openai-provider.ts';
import type { ChatProvider } from './provider.ts';

type Factory<T> = (id: string, entry: ProviderConfig, apiKey: string | undefined) => T;

function requireKey(id: string, kind: string, apiKey: string | undefined): string {
  if (apiKey === undefined) {
    throw invalid(
      `providers.${id}.apiKeyEnv`,
      `the ${kind} kind needs an API key; name the variable that holds it`,
    );
  }
  return apiKey;
}

function requireURL(id: string, entry: ProviderConfig, example: string): string {
  if (entry.baseURL === undefined) {
    throw invalid(
      `providers.${id}.baseURL`,
      `the ${entry.kind} kind needs the URL of its server, such as ${example}`,
    );
  }
  return entry.baseURL;
}

/**
 * How each chat kind is made. `openai-compatible` (llama.cpp server, vLLM, LM Studio) needs a
 * `baseURL`, may run without a key, and sends `max_tokens`, which local servers understand,
 * instead of `max_completion_tokens`. Ollama needs no key; `apiKeyEnv` is for one behind a proxy
 * that checks a bearer token.
 */
const chatFactories: Record<ChatKind, Factory<ChatProvider>> = {
  openai: (id, entry, apiKey) =>
    new OpenAIChatProvider({
      id,
      baseURL: entry.baseURL,
      apiKey: requireKey(id, 'openai', apiKey),
      timeoutMs: entry.timeoutMs,
      maxTokensField: 'max_completion_tokens',
    }),
  'openai-compatible': (id, entry, apiKey) =>
    new OpenAIChatProvider({
      id,
      baseURL: requireURL(id, entry, 'http://127.0.0.1:8080/v1'),
      apiKey,
      timeoutMs: entry.timeoutMs,
      maxTokensField: 'max_tokens',
    }),
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
 * Image generators. `automatic1111` is a local Stable Diffusion WebUI (also Forge, SD.Next);
 * its `apiKeyEnv`, when set, holds `user:password` for a WebUI started with `--api-auth`.
 */
const imageFactories: Record<ImageKind, Factory<ImageProvider>> = {
  'openai-images': (id, entry, apiKey) =>
    new OpenAIImagesProvider({
      id,
      ...(entry.baseURL !== undefined && { baseURL: entry.baseURL }),
      apiKey: requireKey(id, 'openai-images', apiKey),
      timeoutMs: entry.timeoutMs,
    }),
  automatic1111: (id, entry, apiKey) =>
    new Automatic1111Provider({
      id,
      baseURL: requireURL(id, entry, 'http://192.168.1.20:7860'),
      timeoutMs: entry.timeoutMs,
      ...(entry.pollMs !== undefined && { pollMs: entry.pollMs }),
      ...(apiKey !== undefined && { apiAuth: apiKey }),
    }),
};

/**
 * One ChatProvider per chat entry under `config.providers`, keyed by its id. Throws
 * `invalid_config` naming the offending key.
 */
export function createChatProviders(
  config: HearthConfig,
  secrets: Secrets,
): Map<string, ChatProvider> {
  const providers = new Map<string, ChatProvider>();
  for (const [id, entry] of Object.entries(config.providers)) {
    if (isImageKind(entry.kind)) continue;
    providers.set(id, chatFactories[entry.kind](id, entry, secrets.providerKeys.get(id)));
  }
  return providers;
}

/** One ImageProvider per image entry under `config.providers`, keyed by its id. */
export function createImageProviders(
  config: HearthConfig,
  secrets: Secrets,
): Map<string, ImageProvider> {
  const providers = new Map<string, ImageProvider>();
  for (const [id, entry] of Object.entries(config.providers)) {
    if (!isImageKind(entry.kind)) continue;
    providers.set(id, imageFactories[entry.kind](id, entry, secrets.providerKeys.get(id)));
  }
  return providers;
}

function invalid(key: string, message: string): HearthError {
  return new HearthError(
    ErrorCode.invalidConfig,
    `Invalid configuration (providers): ${key}: ${message}`,
  );
}
