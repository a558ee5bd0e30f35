import { hash } from 'node:crypto';
import { ErrorCode, HearthError } from '../errors.ts';
import type { Env } from './load.ts';
import type { HearthConfig } from './schema.ts';

export type Role = 'admin' | 'user';

export interface TokenEntry {
  name: string;
  role: Role;
  /** SHA-256 of the token, hex; the token itself is never kept. */
  hash: string;
}

export interface Secrets {
  /** API keys by provider id, for providers that name one. */
  providerKeys: ReadonlyMap<string, string>;
  tokens: readonly TokenEntry[];
}

/** A token's SHA-256, as bytes: what a presented token is compared by, on every request. */
export function tokenDigest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** The same hash in hex, as it is kept (the bootstrap token's file, configured entries). */
export function hashToken(token: string): string {
  return tokenDigest(token).toString('hex');
}

/** Shortest token accepted from the environment: a guessable token is worse than none. */
const minTokenLength = 16;

/**
 * Reads the secrets the config names from the environment. Missing or too-short values fail
 * start-up with the key and the variable named, never the value.
 */
export function resolveSecrets(config: HearthConfig, env: Env): Secrets {
  const problems: string[] = [];
  const providerKeys = readProviderKeys(config, env, problems);
  const tokens = readTokens(config, env, problems);
  failOn(problems);
  return { providerKeys, tokens };
}

/**
 * Only the providers' keys: what a split gateway needs, which learns the tokens' hashes from
 * the central service instead.
 */
export function resolveProviderKeys(config: HearthConfig, env: Env): Map<string, string> {
  const problems: string[] = [];
  const keys = readProviderKeys(config, env, problems);
  failOn(problems);
  return keys;
}

/** Only the tokens' hashes: what the central service of a split Hearth needs. */
export function resolveTokens(config: HearthConfig, env: Env): TokenEntry[] {
  const problems: string[] = [];
  const tokens = readTokens(config, env, problems);
  failOn(problems);
  return tokens;
}

function failOn(problems: string[]): void {
  if (problems.length > 0) {
    throw new HearthError(
      ErrorCode.invalidConfig,
      `Invalid configuration (environment): ${problems.join('; ')}`,
    );
  }
}

function readProviderKeys(config: HearthConfig, env: Env, problems: string[]): Map<string, string> {
  const providerKeys = new Map<string, string>();
  for (const [id, provider] of Object.entries(config.providers)) {
    if (provider.apiKeyEnv === undefined) {
      if (
        provider.kind === 'openai' ||
        provider.kind === 'anthropic' ||
        provider.kind === 'openai-images'
      ) {
        problems.push(
          `providers.${id}.apiKeyEnv: the ${provider.kind} kind needs an API key; name the variable that holds it`,
        );
      }
      continue;
    }
    const key = env[provider.apiKeyEnv];
    if (!key)
      problems.push(
        `providers.${id}.apiKeyEnv: environment variable ${provider.apiKeyEnv} is not set`,
      );
    else providerKeys.set(id, key);
  }
  return providerKeys;
}

function readTokens(config: HearthConfig, env: Env, problems: string[]): TokenEntry[] {
  const tokens: TokenEntry[] = [];
  config.auth.tokens.forEach((entry, index) => {
    const token = env[entry.tokenEnv];
    if (!token)
      problems.push(
        `auth.tokens.${index}.tokenEnv: environment variable ${entry.tokenEnv} is not set`,
      );
    else if (token.length < minTokenLength) {
      problems.push(
        `auth.tokens.${index}.tokenEnv: ${entry.tokenEnv} must hold at least ${minTokenLength} characters`,
      );
    } else tokens.push({ name: entry.name, role: entry.role, hash: hashToken(token) });
  });
  return tokens;
}
