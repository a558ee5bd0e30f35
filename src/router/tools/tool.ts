/**
 * What the router sees of a tool, wherever it comes from: an MCP server, a Zigbee device, or
 * Hearth itself. `call` gets arguments already validated against `inputSchema`.
 */
export interface ToolResult {
  /** Text for the model; structured results are JSON text. */
  content: string;
  isError?: boolean;
}

export interface Tool {
  /** Unique in the catalogue, matching ^[a-zA-Z0-9_-]{1,64}$ as every provider requires. */
  name: string;
  description: string;
  /** JSON Schema (draft 2020-12 subset) of the arguments object. */
  inputSchema: Record<string, unknown>;
  call(args: Record<string, unknown>, context: { signal: AbortSignal }): Promise<ToolResult>;
}

/** A provider of tools for the catalogue; asked again on every turn, so its list may change. */
export interface ToolSource {
  tools(): readonly Tool[];
  /**
   * A source of many tools (the MCP aggregator): a profile in `search` mode sees them through
   * meta-tools instead of every schema.
   */
  large?: boolean;
}
