import type { Logger } from '../../common/logger.ts';
import type { CentralClient } from '../../mcp/service/client/central-client.ts';
import type { Tool, ToolSource } from '../../router/tools/tool.ts';

interface RemoteTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /** From a source of many tools (the MCP aggregator). */
  large?: boolean;
}

/**
 * On a split gateway, the tools that run in the central service (MCP servers, Zigbee devices):
 * listed from it and called through it, so every MCP server runs once for the whole house. The
 * list is cached and read again in the background once it is older than `maxAgeMs`; Stop
 * closes the call's request, which stops the call in the central service.
 */
export class RemoteToolSource implements ToolSource {
  readonly #client: CentralClient;
  readonly #logger: Logger;
  readonly #maxAgeMs: number;
  #tools: Tool[] = [];
  #large: Tool[] = [];
  #readAt = 0;
  #reading: Promise<void> | undefined;

  constructor(options: { client: CentralClient; logger: Logger; maxAgeMs?: number }) {
    this.#client = options.client;
    this.#logger = options.logger;
    this.#maxAgeMs = options.maxAgeMs ?? 5000;
  }

  tools(): readonly Tool[] {
    if (Date.now() - this.#readAt > this.#maxAgeMs) void this.refresh();
    return this.#tools;
  }

  /** The central service's tools from large sources, kept apart so search mode applies to them. */
  readonly largeTools: ToolSource = {
    large: true,
    tools: () => {
      if (Date.now() - this.#readAt > this.#maxAgeMs) void this.refresh();
      return this.#large;
    },
  };

  /** Reads the list now; failures keep the last list (logged). */
  refresh(): Promise<void> {
    this.#reading ??= this.#client
      .get<{ tools: RemoteTool[] }>('/cluster/tools')
      .then(({ tools }) => {
        this.#tools = tools.filter((tool) => !tool.large).map((tool) => this.#tool(tool));
        this.#large = tools.filter((tool) => tool.large).map((tool) => this.#tool(tool));
        this.#readAt = Date.now();
      })
      .catch((error: unknown) => {
        this.#logger.warn({ err: error }, 'cannot list the central service tools');
      })
      .finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  #tool({ name, description, inputSchema }: RemoteTool): Tool {
    const remote = { name, description, inputSchema };
    return {
      ...remote,
      call: (args, { signal }) =>
        this.#client.post<{ content: string; isError: boolean }>(
          `/cluster/tools/${encodeURIComponent(remote.name)}/call`,
          { arguments: args },
          signal,
        ),
    };
  }
}
