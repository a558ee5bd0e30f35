import type { Tool } from '../tool.ts';
import { evaluate } from './arithmetic.ts';

/** Exact arithmetic for the model, which is bad at it. */
export const calculatorTool: Tool = {
  name: 'hearth__calculator',
  description:
    'Evaluates an arithmetic expression: + - * / % ^, parentheses, pi, e, and sqrt, abs, round, floor, ceil, sin, cos, tan, ln, log, exp, min, max.',
  inputSchema: {
    type: 'object',
    properties: { expression: { type: 'string', description: 'for example "(3 + 4) * 2 ^ 3"' } },
    required: ['expression'],
    additionalProperties: false,
  },
  call(args) {
    try {
      const value = evaluate(String(args.expression));
      if (!Number.isFinite(value))
        return Promise.resolve({
          content: `The result is not a finite number (${value})`,
          isError: true,
        });
      return Promise.resolve({ content: String(value) });
    } catch (error) {
      return Promise.resolve({
        content: `Cannot evaluate: ${(error as Error).message}`,
        isError: true,
      });
    }
  },
};
