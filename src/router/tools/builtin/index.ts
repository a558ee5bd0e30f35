import type { ToolSource } from '../tool.ts';
import { calculatorTool } from './calculator.ts';
import { clockTool } from './clock.ts';

/** Hearth's own tools, named `hearth__*`. */
export const builtinTools: ToolSource = { tools: () => [clockTool, calculatorTool] };
