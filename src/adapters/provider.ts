/**
 * The seam between the router and every chat provider. An adapter translates its provider's
 * wire format into these events and nothing else; the router never sees SDK types.
 */
import type { Usage } from '../common/protocol.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
}

/** Why the provider stopped, in Hearth's words. */
export type ProviderFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export type ProviderEvent =
  | { type: 'text'; text: string }
  /** Totals for the whole call so far; a later usage event replaces an earlier one. */
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; reason: ProviderFinishReason };

export interface ChatProvider {
  readonly id: string;
  /**
   * Streams one completion. Aborting `signal` must close the upstream HTTP request. Failures
   * are thrown as HearthError with a `provider_*` code; an abort is thrown as the signal's
   * reason or an AbortError.
   */
  stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderEvent>;
}
