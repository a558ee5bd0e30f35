import OpenAI from 'openai';
import { ErrorCode, HearthError } from '../../common/errors.ts';

/** Longest upstream message repeated to clients. */
const maxUpstreamMessageLength = 500;

export interface OpenAIErrorContext {
  /** Hearth's provider id, named in every message. */
  id: string;
  apiKey: string | undefined;
  timeoutMs: number;
  /** What was underway, for an error inside a stream: `reply` or `image`. */
  what: string;
}

/** An upstream message made safe to show: no key, no long dumps. */
export function safeUpstream(message: string, apiKey: string | undefined): string {
  let safe = message.replace(/^\d{3} /, '');
  if (apiKey) safe = safe.replaceAll(apiKey, '[redacted]');
  safe = safe.replace(/\bsk-[\w*-]{6,}/g, 'sk-[redacted]');
  return safe.length > maxUpstreamMessageLength
    ? `${safe.slice(0, maxUpstreamMessageLength)}…`
    : safe;
}

/** Seconds from a `retry-after` header (seconds or an HTTP date), when there is one. */
export function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * Turns anything the `openai` SDK throws into a HearthError with a `provider_*` code: 401/403
 * `provider_auth` (without the upstream text, which can echo part of a key), 429
 * `provider_rate_limited` naming the wait, 5xx and connection trouble `provider_unavailable`,
 * the rest `provider_error`. The cause is always kept.
 */
export function openAIErrorToHearth(error: unknown, context: OpenAIErrorContext): HearthError {
  if (error instanceof HearthError) return error;
  const who = `Provider "${context.id}"`;
  const upstream = (message: string) => safeUpstream(message, context.apiKey);
  const make = (code: ErrorCode, message: string) =>
    new HearthError(code, message, { cause: error });
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return make(
      ErrorCode.providerUnavailable,
      `${who} did not answer within ${context.timeoutMs} ms.`,
    );
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return make(
      ErrorCode.providerUnavailable,
      `${who} could not be reached: ${upstream(error.message)}`,
    );
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status as number | undefined;
    if (status === undefined)
      return make(
        ErrorCode.providerError,
        `${who} failed mid-${context.what}: ${upstream(error.message)}`,
      );
    if (status === 401 || status === 403) {
      return make(
        ErrorCode.providerAuth,
        `${who} rejected its credentials (HTTP ${status}); check its API key.`,
      );
    }
    if (status === 429) {
      const wait = retryAfterSeconds(error.headers as Headers | undefined);
      const hint = wait === undefined ? '' : ` Retry after ${wait} s.`;
      return make(
        ErrorCode.providerRateLimited,
        `${who} is rate limiting requests (HTTP 429).${hint}`,
      );
    }
    const code = status >= 500 ? ErrorCode.providerUnavailable : ErrorCode.providerError;
    return make(code, `${who} answered HTTP ${status}: ${upstream(error.message)}`);
  }
  // undici reports a connection dropped mid-body as TypeError('terminated').
  if (error instanceof TypeError) {
    return make(
      ErrorCode.providerUnavailable,
      `${who} dropped the connection: ${upstream(error.message)}`,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return make(ErrorCode.providerError, `${who} failed: ${upstream(message)}`);
}
