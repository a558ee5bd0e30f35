/**
 * Builds the chat providers the config names, one per entry under `providers`.
 */
import { ErrorCode, HearthError } from '../common/errors.ts';
import type { HearthConfig } from '../common/config/schema.ts';
import type { Secrets } from '../common/config/secrets.ts';
import { OpenAIChatProvider } from './openai/openai-provider.ts';
import type { ChatProvider } from './provider.ts';

/**
 * One ChatProvider per `config.providers` entry, keyed by its id. Both `openai` and
 * `openai-compatible` use the Chat Completions adapter; the latter needs a `baseURL`, may run
 * without a key, and sends `max_tokens`, which local servers understand, instead of
 * `max_completion_tokens`. Throws `invalid_config` naming the offending key.
 */
export function createChatProviders(
  config: HearthConfig,
  secrets: Secrets,
): Map<string, ChatProvider> {
  const providers = new Map<string, ChatProvider>();
  for (const [id, entry] of Object.entries(config.providers)) {
    const apiKey = secrets.providerKeys.get(id);
    switch (entry.kind) {
      case 'openai':
        if (apiKey === undefined) {
          throw invalid(
            `providers.${id}.apiKeyEnv`,
            'the openai kind needs an API key; name the variable that holds it',
          );
        }
        providers.set(
          id,
          new OpenAIChatProvider({
            id,
            baseURL: entry.baseURL,
            apiKey,
            timeoutMs: entry.timeoutMs,
            maxTokensField: 'max_completion_tokens',
          }),
        );
        break;
      case 'openai-compatible':
        if (entry.baseURL === undefined) {
          throw invalid(
            `providers.${id}.baseURL`,
            'the openai-compatible kind needs the URL of its server, such as http://127.0.0.1:8080/v1',
          );
        }
        providers.set(
          id,
          new OpenAIChatProvider({
            id,
            baseURL: entry.baseURL,
            apiKey,
            timeoutMs: entry.timeoutMs,
            maxTokensField: 'max_tokens',
          }),
        );
        break;
      default:
        throw invalid(
          `providers.${id}.kind`,
          `unknown kind ${String((entry as { kind: unknown }).kind)}`,
        );
    }
  }
  return providers;
}

function invalid(key: string, message: string): HearthError {
  return new HearthError(
    ErrorCode.invalidConfig,
    `Invalid configuration (providers): ${key}: ${message}`,
  );
}
