/**
 * The answer side of the endpoint's fast `tools/call` paths (fast-tool-call.ts for 2025-era
 * sessions, fast-modern-call.ts for 2026-07-28 requests): running the call against the source
 * with its abort wiring, and writing the one JSON answer, the result read as the SDK's server
 * reads it and errors worded as it words them.
 */
import type { ServerResponse } from 'node:http';
import { ProtocolError, ProtocolErrorCode, specTypeSchemas } from '@modelcontextprotocol/server';
import type { Logger } from '../../../common/logger.ts';
import { conforming, type RequestId } from './fast-call-request.ts';
import { translate } from './source-server.ts';
import type { McpSource } from './source.ts';

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
