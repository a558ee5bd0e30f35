/**
 * The aggregator as a source of tools for Hearth's chat loop (the same shape as the router's
 * ToolSource, declared here because src/mcp may not import the router): every catalogue tool
 * with its schema, marked `large`, so that a profile in the router's `search` (or `auto`) mode
 * sees them behind its meta-tools instead of hundreds of schemas.
 */
import { HearthError } from '../../common/errors.ts';
import type { McpAggregator } from './aggregator.ts';
import type { CatalogueTool } from './merge.ts';
import { resultToText, type TextResult } from './result-text.ts';

export interface SourceTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  call(args: Record<string, unknown>, context: { signal: AbortSignal }): Promise<TextResult>;
}

export interface McpToolSource {
  tools(): readonly SourceTool[];
  large: boolean;
}

type Catalogue = Pick<McpAggregator, 'tools' | 'callTool'>;

export function createMcpToolSource(aggregator: Catalogue): McpToolSource {
  let seen: readonly CatalogueTool[] | undefined;
  let mapped: SourceTool[] = [];
  return {
    large: true,
    tools: () => {
      const current = aggregator.tools();
      if (current !== seen) {
        seen = current;
        mapped = current.map((tool) => ({
          name: tool.name,
          description: tool.description,
          inputSchema: tool.inputSchema,
          call: (args, context) => call(aggregator, tool.name, args, context.signal),
        }));
      }
      return mapped;
    },
  };
}

async function call(
  aggregator: Catalogue,
  name: string,
  args: Record<string, unknown>,
  signal: AbortSignal,
): Promise<TextResult> {
  try {
    return resultToText(await aggregator.callTool(name, args, { signal }));
  } catch (error) {
    if (signal.aborted) throw error;
    // Unavailable, unknown or failing upstreams are the model's business: it may try another way.
    const message =
      error instanceof HearthError || error instanceof Error ? error.message : String(error);
    return { content: message, isError: true };
  }
}
