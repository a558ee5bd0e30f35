/**
 * What the `/mcp` endpoint serves: a source of tools, prompts and resources. The aggregator
 * provides one merged source (names `<server>__<tool>`) and one per upstream server
 * (unprefixed); tests provide fakes and a source backed by an MCP client. The endpoint owns
 * the wire (sessions, eras, pagination, progress, cancellation); a source only answers.
 */
import type {
  CallToolResult,
  CompleteRequestParams,
  CompleteResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType,
  Tool,
} from '@modelcontextprotocol/server';

/** A tool as listed: name, title, description, input and output schemas, annotations. */
export type McpToolInfo = Tool;
export type McpPromptInfo = Prompt;
export type McpResourceInfo = Resource;
export type McpResourceTemplateInfo = ResourceTemplateType;
export type { CallToolResult, CompleteResult, GetPromptResult, ReadResourceResult };

/** One progress report of a running call, as the upstream sent it. */
export interface McpProgress {
  progress: number;
  total?: number;
  message?: string;
}

export interface McpCallOptions {
  /** Aborted when the client cancels (notification, closed request or ended session). */
  signal: AbortSignal;
  /** Set only when the client asked for progress (sent a progress token). */
  onProgress?: (progress: McpProgress) => void;
}

export type McpListKind = 'tools' | 'prompts' | 'resources';

/** Answers the endpoint's requests; every name and URI is the source's own (prefixed or not). */
export interface McpSource {
  listTools(): Promise<McpToolInfo[]>;
  /**
   * Runs a tool. A tool that fails returns a result with `isError: true`; a name the source
   * does not know rejects with {@link McpNotFoundError} (the endpoint answers -32602).
   */
  callTool(
    name: string,
    args: Record<string, unknown>,
    options: McpCallOptions,
  ): Promise<CallToolResult>;
  listPrompts(): Promise<McpPromptInfo[]>;
  getPrompt(
    name: string,
    args: Record<string, string>,
    options: { signal: AbortSignal },
  ): Promise<GetPromptResult>;
  listResources(): Promise<McpResourceInfo[]>;
  listResourceTemplates?(): Promise<McpResourceTemplateInfo[]>;
  readResource(uri: string, options: { signal: AbortSignal }): Promise<ReadResourceResult>;
  /** Argument completion; without it the endpoint does not announce `completions`. */
  complete?(
    params: CompleteRequestParams,
    options: { signal: AbortSignal },
  ): Promise<CompleteResult>;
  /** Calls the listener when a list changes; returns the function that stops it. */
  onListChanged(listener: (what: McpListKind) => void): () => void;
}

/**
 * Thrown by a source for a tool, prompt or resource it does not have. The endpoint turns it
 * into the JSON-RPC error -32602 (Invalid params) the spec prescribes for unknown names.
 */
export class McpNotFoundError extends Error {
  readonly kind: 'tool' | 'prompt' | 'resource';
  readonly key: string;

  constructor(kind: 'tool' | 'prompt' | 'resource', key: string) {
    super(`Unknown ${kind}: ${key}`);
    this.name = 'McpNotFoundError';
    this.kind = kind;
    this.key = key;
  }
}
