/**
 * The endpoint's hot path: a 2025-era session's `tools/call` that asked for no progress is
 * answered here as one plain JSON response, without the SDK's web-standard request, its
 * transport and an SSE stream (which cost more than the whole aggregator hop is allowed).
 * Streamable HTTP lets the server answer any request with `application/json`; a call with a
 * progress token, a batch, any other method, or anything unusual (no or unknown session, an
 * unsupported protocol version, a failed host, origin or token check) is left to the SDK's
 * path, which gives the same answers it always has.
 *
 * The session stays in charge: the call counts as open in it, the session's end aborts it,
 * and so does the client's `notifications/cancelled` naming it (answered here with 202), or
 * the client closing the HTTP request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  isJsonContentType,
  SUPPORTED_PROTOCOL_VERSIONS,
  validateHostHeader,
  validateOriginHeader,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../../common/logger.ts';
import type { LegacySessions } from './legacy-sessions.ts';
import type { McpAuthenticate } from './mcp-endpoint.ts';
import { translate } from './source-server.ts';
import type { McpSource } from './source.ts';

export interface FastToolCallOptions {
  sessions: LegacySessions;
  authenticate: McpAuthenticate;
  source(serverName: string | undefined): McpSource | undefined;
  allowedHosts: string[] | undefined;
  logger: Logger;
}

type RequestId = string | number;

interface ToolCall {
  kind: 'call';
  id: RequestId;
  name: string;
  args: Record<string, unknown>;
}

interface Cancellation {
  kind: 'cancel';
  requestId: RequestId;
  reason: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isId = (value: unknown): value is RequestId =>
  typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));

/** The message if it is one this path answers; anything else goes the SDK's way. */
function classify(body: string): ToolCall | Cancellation | undefined {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isObject(message) || message.jsonrpc !== '2.0' || !isObject(message.params))
    return undefined;
  const params = message.params;
  if (message.method === 'tools/call' && isId(message.id)) {
    const args = params.arguments ?? {};
    if (typeof params.name !== 'string' || !isObject(args)) return undefined;
    if (params._meta !== undefined && (!isObject(params._meta) || 'progressToken' in params._meta))
      return undefined;
    return { kind: 'call', id: message.id, name: params.name, args };
  }
  if (message.method === 'notifications/cancelled' && !('id' in message) && isId(params.requestId))
    return {
      kind: 'cancel',
      requestId: params.requestId,
      reason: typeof params.reason === 'string' ? params.reason : 'Cancelled by the client',
    };
  return undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The request's own checks; any failure is left to the SDK's path to answer. */
function plainRequest(req: IncomingMessage, hosts: string[] | undefined): boolean {
  const version = header(req, 'mcp-protocol-version');
  if (version === undefined || !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return false;
  if (!isJsonContentType(header(req, 'content-type') ?? null)) return false;
  if (!(header(req, 'accept') ?? '').includes('application/json')) return false;
  if (!hosts) return true;
  return (
    validateHostHeader(header(req, 'host') ?? null, hosts).ok &&
    validateOriginHeader(header(req, 'origin'), hosts).ok
  );
}

/**
 * Answers the POST `req` (whose body was read as `body`) when it is a request this path
 * takes; returns false, having written nothing, when it is not.
 */
export async function tryFastToolCall(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  serverName: string | undefined,
  options: FastToolCallOptions,
): Promise<boolean> {
  const sessionId = header(req, 'mcp-session-id');
  if (sessionId === undefined || !plainRequest(req, options.allowedHosts)) return false;
  const message = classify(body);
  if (!message) return false;
  const principal = await options.authenticate(header(req, 'authorization'));
  if (!principal) return false;
  const target = {
    key: serverName === undefined ? '' : `/${serverName}`,
    principal: principal.name,
  };
  if (message.kind === 'cancel') {
    const cancelled = options.sessions.cancelCall(
      sessionId,
      target,
      message.requestId,
      message.reason,
    );
    if (cancelled) res.writeHead(202).end();
    return cancelled;
  }
  const source = options.source(serverName);
  const call = source && options.sessions.beginCall(sessionId, target, message.id);
  if (!source || !call) return false;
  const abortOnClose = (): void => {
    if (!res.writableFinished) call.abort('The client closed the request');
  };
  res.once('close', abortOnClose);
  let answer: string;
  try {
    const result = await source.callTool(message.name, message.args, { signal: call.signal });
    answer = JSON.stringify({ jsonrpc: '2.0', id: message.id, result });
  } catch (error) {
    answer = JSON.stringify({
      jsonrpc: '2.0',
      id: message.id,
      error: errorObject(translate(error, call.signal, options.logger), call.signal.aborted),
    });
  } finally {
    call.end();
  }
  if (!res.destroyed) {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(answer),
      'mcp-session-id': sessionId,
    });
    res.end(answer);
  }
  return true;
}

/** As the SDK's server words a thrown error: its own integer code, else -32603. */
function errorObject(
  error: unknown,
  aborted: boolean,
): { code: number; message: string; data?: unknown } {
  // Aborted by the client or its session, which no longer waits for this answer.
  if (aborted) return { code: -32800, message: 'Request cancelled' };
  const { code, message, data } = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
    data?: unknown;
  };
  return {
    code: typeof code === 'number' && Number.isSafeInteger(code) ? code : -32603,
    message: typeof message === 'string' ? message : 'Internal error',
    ...(data === undefined ? {} : { data }),
  };
}
