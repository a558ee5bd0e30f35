import type { z } from 'zod';
import { ErrorCode, HearthError } from '../../../common/errors.ts';

/** Where a value came from, as named in error messages. */
export type InputLocation = 'path' | 'query' | 'body';

/** How many problems one error message lists. */
const maxIssues = 3;

function describeIssue(location: InputLocation, issue: z.core.$ZodIssue): string {
  const field = [location, ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys')
    return `${field}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  return `${field}: ${issue.message}`;
}

/**
 * Parses one part of a request with its schema; on failure throws 400 `bad_request` naming
 * each field at fault, as in `body.title: Too big: expected string to have <=200 characters`.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  location: InputLocation,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const listed = issues.slice(0, maxIssues).map((issue) => describeIssue(location, issue));
  if (issues.length > maxIssues) listed.push(`and ${issues.length - maxIssues} more`);
  throw new HearthError(ErrorCode.badRequest, listed.join('; '));
}
