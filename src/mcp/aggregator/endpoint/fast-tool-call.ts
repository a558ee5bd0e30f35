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
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import type { Logger } from '../../../common/logger.ts';
import { answerCall, normalToolResult } from './fast-call-answer.ts';
import {
  callArguments,
  header,
  isId,
  plainJsonRequest,
  plainRpcRequest,
  type RequestId,
} from './fast-call-request.ts';
import { isPlainObject } from '../../../common/config/merge-patch.ts';
import type { LegacySessions } from './legacy-sessions.ts';
import type { McpAuthenticate } from './mcp-endpoint.ts';
import type { McpSource } from './source.ts';

export interface FastToolCallOptions {
  sessions: LegacySessions;
  authenticate: McpAuthenticate;
  source(serverName: string | undefined): McpSource | undefined;
  allowedHosts: string[] | undefined;
  logger: Logger;
}

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

/** The message if it is one this path answers; anything else goes the SDK's way. */
function classify(body: string): ToolCall | Cancellation | undefined {
  const message = plainRpcRequest(body);
  if (!message) return undefined;
  const { id, params } = message;
  if (message.method === 'tools/call' && id !== undefined) {
    const args = callArguments(params);
    if (typeof params.name !== 'string' || !args) return undefined;
    if (
      params._meta !== undefined &&
      (!isPlainObject(params._meta) || 'progressToken' in params._meta)
    )
      return undefined;
    return { kind: 'call', id, name: params.name, args };
  }
  if (message.method === 'notifications/cancelled' && id === undefined && isId(params.requestId))
    return {
      kind: 'cancel',
      requestId: params.requestId,
      reason: typeof params.reason === 'string' ? params.reason : 'Cancelled by the client',
    };
  return undefined;
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
  if (sessionId === undefined) return false;
  const version = header(req, 'mcp-protocol-version');
  if (version === undefined || !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return false;
  if (!plainJsonRequest(req, options.allowedHosts)) return false;
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
  await answerCall(res, {
    id: message.id,
    name: message.name,
    args: message.args,
    source,
    open: call,
    encode: normalToolResult,
    headers: { 'mcp-session-id': sessionId },
    logger: options.logger,
  });
  return true;
}
