import type { ToolCallRequest } from '../../adapters/provider.ts';
import type { Tool, ToolResult } from './tool.ts';
import { checkArguments } from './validate-arguments.ts';

export interface ToolCallOutcome {
  /** The arguments as the clients see them: parsed when valid JSON, else the raw text. */
  shownArguments: unknown;
  result: ToolResult & { isError: boolean };
}

/**
 * Runs one tool call for the model. Whatever goes wrong (unknown tool, broken arguments, a tool
 * that throws) becomes an error result the model can read and act on; only an abort escapes.
 */
export async function runToolCall(
  call: ToolCallRequest,
  tools: ReadonlyMap<string, Tool>,
  signal: AbortSignal,
): Promise<ToolCallOutcome> {
  const tool = tools.get(call.name);
  const fail = (content: string, shownArguments: unknown): ToolCallOutcome => ({
    shownArguments,
    result: { content, isError: true },
  });
  if (!tool) {
    const known = [...tools.keys()].slice(0, 20).join(', ') || 'none';
    return fail(`There is no tool "${call.name}". Available tools: ${known}.`, call.arguments);
  }
  const check = checkArguments(call.arguments, tool.inputSchema);
  if (!check.ok) return fail(check.problem, check.parsed);
  try {
    const result = await tool.call(check.args, { signal });
    return {
      shownArguments: check.args,
      result: { content: result.content, isError: result.isError ?? false },
    };
  } catch (error) {
    signal.throwIfAborted();
    return fail(
      `The tool failed: ${error instanceof Error ? error.message : String(error)}`,
      check.args,
    );
  }
}
