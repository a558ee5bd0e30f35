/**
 * What both fast `tools/call` paths of the endpoint share (fast-tool-call.ts for 2025-era
 * sessions, fast-modern-call.ts for 2026-07-28 requests): reading headers and ids, running the
 * call against the source with its abort wiring, and writing the one JSON answer, with errors
 * worded as the SDK's server words them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  isJsonContentType,
  ProtocolError,
  ProtocolErrorCode,
  specTypeSchemas,
  validateHostHeader,
  validateOriginHeader,
  type StandardSchemaV1Sync,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../../common/logger.ts';
import { translate } from './source-server.ts';
import type { McpSource } from './source.ts';

export type RequestId = string | number;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

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
  if (!isObject(message) || message.jsonrpc !== '2.0' || !isObject(message.params))
    return undefined;
  for (const key of Object.keys(message)) if (!messageKeys.has(key)) return undefined;
  if ('id' in message && !isId(message.id)) return undefined;
  return {
    id: message.id as RequestId | undefined,
    method: message.method,
    params: message.params,
  };
}

/** `value` as the spec's schema reads it (defaults filled, unknown keys dropped), or undefined. */
export function conforming(
  schema: StandardSchemaV1Sync<unknown, unknown>,
  value: unknown,
): Record<string, unknown> | undefined {
  const outcome = schema['~standard'].validate(value);
  if (outcome.issues !== undefined) return undefined;
  return isObject(outcome.value) ? outcome.value : undefined;
}

/**
 * A tool's result as the SDK's server hands it on: read by the spec's schema (`content`
 * defaulted, unknown keys of content blocks dropped); one the schema refuses is an internal
 * error, as the SDK refuses it.
 */
export function normalToolResult(result: Record<string, unknown>): Record<string, unknown> {
  const normal = conforming(specTypeSchemas.CallToolResult, result);
  if (!normal)
    throw new ProtocolError(ProtocolErrorCode.InternalError, 'Invalid tools/call result');
  return normal;
}

/** A call's arguments: absent means none; anything but an object is the SDK's to refuse. */
export function callArguments(
  params: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const args = params.arguments;
  if (args === undefined) return {};
  return isObject(args) ? args : undefined;
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

/** A call counted as open somewhere (a session, the modern leg) until `end`. */
export interface OpenCall {
  signal: AbortSignal;
  abort(reason: string): void;
  end(): void;
  /** True when the endpoint itself is closing: answered as the SDK does then, 499 and no body. */
  closing?: () => boolean;
}

/**
 * Runs `name` on `source` and answers `res` with one JSON-RPC response: the result as
 * `encode` shapes it, or the error. The client closing its request aborts the call.
 */
export async function answerCall(
  res: ServerResponse,
  call: {
    id: RequestId;
    name: string;
    args: Record<string, unknown>;
    source: McpSource;
    open: OpenCall;
    encode: (result: Record<string, unknown>) => Record<string, unknown>;
    headers: Record<string, string>;
    logger: Logger;
    /** The era's error code for a code (2026-07-28 answers -32002 as -32602). */
    errorCode?: (code: number) => number;
  },
): Promise<void> {
  const { open } = call;
  res.once('close', () => {
    if (!res.writableFinished) open.abort('The client closed the request');
  });
  // The client may have left while the request was being checked.
  if (res.destroyed) open.abort('The client closed the request');
  let answer: string;
  try {
    const result = await call.source.callTool(call.name, call.args, { signal: open.signal });
    answer = JSON.stringify({
      jsonrpc: '2.0',
      id: call.id,
      result: call.encode(result),
    });
  } catch (error) {
    answer = JSON.stringify({
      jsonrpc: '2.0',
      id: call.id,
      error: errorObject(
        translate(error, open.signal, call.logger),
        open.signal.aborted,
        call.errorCode,
      ),
    });
  } finally {
    open.end();
  }
  if (res.destroyed) return;
  if (open.signal.aborted && open.closing?.()) {
    res.writeHead(499).end();
    return;
  }
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(answer),
    ...call.headers,
  });
  res.end(answer);
}

/** As the SDK's server words a thrown error: its own integer code, else -32603. */
function errorObject(
  error: unknown,
  aborted: boolean,
  errorCode: (code: number) => number = (code) => code,
): { code: number; message: string; data?: unknown } {
  // Aborted by the client or its session, which no longer waits for this answer.
  if (aborted) return { code: -32800, message: 'Request cancelled' };
  const { code, message, data } = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
    data?: unknown;
  };
  return {
    code: typeof code === 'number' && Number.isSafeInteger(code) ? errorCode(code) : -32603,
    message: typeof message === 'string' ? message : 'Internal error',
    ...(data === undefined ? {} : { data }),
  };
}
