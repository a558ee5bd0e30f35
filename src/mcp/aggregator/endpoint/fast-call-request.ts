/**
 * The request side of the endpoint's fast `tools/call` paths (fast-tool-call.ts for 2025-era
 * sessions, fast-modern-call.ts for 2026-07-28 requests): which requests are plain enough to
 * take, read without the SDK. Anything these checks refuse goes the SDK's way.
 */
import type { IncomingMessage } from 'node:http';
import {
  isJsonContentType,
  validateHostHeader,
  validateOriginHeader,
  type StandardSchemaV1Sync,
} from '@modelcontextprotocol/server';
import { isPlainObject } from '../../../common/config/merge-patch.ts';

export type RequestId = string | number;

export const isId = (value: unknown): value is RequestId =>
  typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));

const messageKeys = new Set(['jsonrpc', 'id', 'method', 'params']);

/**
 * The body as a JSON-RPC request this path may take: one object with `jsonrpc: "2.0"`, an id
 * (a string or a safe integer), object params and no other keys (the SDK's request schema is
 * strict); undefined for anything else, which the SDK then answers.
 */
export function plainRpcRequest(
  body: string,
): { id: RequestId | undefined; method: unknown; params: Record<string, unknown> } | undefined {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isPlainObject(message) || message.jsonrpc !== '2.0' || !isPlainObject(message.params))
    return undefined;
  for (const key of Object.keys(message)) if (!messageKeys.has(key)) return undefined;
  if ('id' in message && !isId(message.id)) return undefined;
  return {
    id: message.id as RequestId | undefined,
    method: message.method,
    params: message.params,
  };
}

/** A call's arguments: absent means none; anything but an object is the SDK's to refuse. */
export function callArguments(
  params: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const args = params.arguments;
  if (args === undefined) return {};
  return isPlainObject(args) ? args : undefined;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The checks of a plain JSON request every era shares (content type, an `Accept` that takes
 * JSON, host and origin); any failure is left to the SDK's path to answer.
 */
export function plainJsonRequest(req: IncomingMessage, hosts: string[] | undefined): boolean {
  if (!isJsonContentType(header(req, 'content-type') ?? null)) return false;
  if (!(header(req, 'accept') ?? '').includes('application/json')) return false;
  if (!hosts) return true;
  return (
    validateHostHeader(header(req, 'host') ?? null, hosts).ok &&
    validateOriginHeader(header(req, 'origin'), hosts).ok
  );
}

/** `value` as the spec's schema reads it (defaults filled, unknown keys dropped), or undefined. */
export function conforming(
  schema: StandardSchemaV1Sync<unknown, unknown>,
  value: unknown,
): Record<string, unknown> | undefined {
  const outcome = schema['~standard'].validate(value);
  if (outcome.issues !== undefined) return undefined;
  return isPlainObject(outcome.value) ? outcome.value : undefined;
}
