/**
 * The seam between the router and every chat provider. An adapter translates its provider's
 * wire format into these events and nothing else; the router never sees SDK types.
 */
import type { Usage } from '../common/protocol.ts';

/** A tool call as the model made it. `arguments` is the model's raw JSON text, unvalidated. */
export interface ToolCallRequest {
  /** The provider's call id (made up by the adapter when the provider gives none). */
  id: string;
  name: string;
  arguments: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  /** An assistant turn; `toolCalls` when the model asked for tools in it. */
  | { role: 'assistant'; content: string; toolCalls?: ToolCallRequest[] }
  /** The result of one tool call, answering `toolCallId`. */
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

/** A tool offered to the model: its name, what it does, and a JSON Schema for its input. */
export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /**
   * The context window the profile sets, for providers that size it per request (Ollama's
   * `num_ctx`); absent when the profile leaves it to the server.
   */
  contextTokens?: number;
  /** Tools the model may call; absent or empty means none. */
  tools?: ToolSpec[];
}

/** Why the provider stopped, in Hearth's words. */
export type ProviderFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export type ProviderEvent =
  | { type: 'text'; text: string }
  /**
   * One complete tool call, yielded once its arguments have fully arrived. Parallel calls
   * are yielded one after another, in the order the model made them.
   */
  | { type: 'tool_call'; call: ToolCallRequest }
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
