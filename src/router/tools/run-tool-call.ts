import type { ToolCallRequest } from '../../adapters/provider.ts';
import type { Tool, ToolResult } from './tool.ts';
import { checkArguments } from './validate-arguments.ts';

/**
 * Runs one tool call for the model. Whatever goes wrong (unknown tool, broken arguments, a tool
 * that throws) becomes an error result the model can read and act on; only an abort escapes.
 */
export async function runToolCall(
  call: ToolCallRequest,
  tools: ReadonlyMap<string, Tool>,
  signal: AbortSignal,
): Promise<ToolResult & { isError: boolean }> {
  const tool = tools.get(call.name);
  if (!tool) {
    const known = [...tools.keys()].slice(0, 20).join(', ') || 'none';
    return {
      content: `There is no tool "${call.name}". Available tools: ${known}.`,
      isError: true,
    };
  }
  const check = checkArguments(call.arguments, tool.inputSchema);
  if (!check.ok) return { content: check.problem, isError: true };
  try {
    const result = await tool.call(check.args, { signal });
    return { content: result.content, isError: result.isError ?? false };
  } catch (error) {
    signal.throwIfAborted();
    return {
      content: `The tool failed: ${error instanceof Error ? error.message : String(error)}`,
      isError: true,
    };
  }
}
