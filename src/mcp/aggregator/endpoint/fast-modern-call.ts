/**
 * The 2026-07-28 counterpart of fast-tool-call.ts: a stateless client's `tools/call` that asked
 * for no progress is answered here as one JSON response, without the SDK building a `Server`
 * for the request (which costs more than a millisecond here).
 *
 * Only a request that is plainly valid takes this path: the protocol version header names
 * 2026-07-28, `Mcp-Method` is `tools/call` and `Mcp-Name` is the tool's name exactly (no
 * encoded form), and the body's `_meta` envelope carries that version, a client name and
 * version, and client capabilities, and nothing else. Anything else (a progress token,
 * another method, an encoded or mismatched header, other envelope keys, a batch) goes to the
 * SDK, which answers as before, errors included. `tools/call` needs no client capability, and
 * the sources' server declares no `x-mcp-header` parameters or scopes, so the SDK would check
 * nothing more for it.
 *
 * The answer is encoded as the SDK encodes results in this era: `resultType: "complete"` when
 * the result has none, and the server's identity under `_meta` unless the result names one.
 * The client closing its request aborts the call, as does the endpoint closing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  SERVER_INFO_META_KEY,
  specTypeSchemas,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../../common/logger.ts';
import { answerCall, normalToolResult, type OpenCall } from './fast-call-answer.ts';
import {
  callArguments,
  conforming,
  header,
  plainJsonRequest,
  plainRpcRequest,
  type RequestId,
} from './fast-call-request.ts';
import { isPlainObject } from '../../../common/config/merge-patch.ts';
import type { McpAuthenticate } from './mcp-endpoint.ts';
import type { McpSource } from './source.ts';

const modernVersion = '2026-07-28';
const envelopeKeys = new Set([
  PROTOCOL_VERSION_META_KEY,
  CLIENT_INFO_META_KEY,
  CLIENT_CAPABILITIES_META_KEY,
]);

export interface FastModernCallOptions {
  authenticate: McpAuthenticate;
  source(serverName: string | undefined): McpSource | undefined;
  /** Counts the call as open on the modern leg, or undefined once the endpoint closes. */
  beginCall(): OpenCall | undefined;
  serverInfo(serverName: string | undefined): { name: string; version: string };
  allowedHosts: string[] | undefined;
  logger: Logger;
}

interface ModernCall {
  id: RequestId;
  name: string;
  args: Record<string, unknown>;
}

/** The call if the body is a plainly valid modern `tools/call`; anything else is the SDK's. */
function classify(body: string): ModernCall | undefined {
  const message = plainRpcRequest(body);
  if (!message || message.method !== 'tools/call' || message.id === undefined) return undefined;
  const { id, params } = message;
  const args = callArguments(params);
  const meta = params._meta;
  if (typeof params.name !== 'string' || !args || !isPlainObject(meta)) return undefined;
  for (const key of Object.keys(meta)) if (!envelopeKeys.has(key)) return undefined;
  const valid =
    meta[PROTOCOL_VERSION_META_KEY] === modernVersion &&
    conforming(specTypeSchemas.Implementation, meta[CLIENT_INFO_META_KEY]) !== undefined &&
    conforming(specTypeSchemas.ClientCapabilities, meta[CLIENT_CAPABILITIES_META_KEY]) !==
      undefined;
  return valid ? { id, name: params.name, args } : undefined;
}

/**
 * As the SDK answers a `tools/call` in this era: the result normalised (fast-call-answer.ts),
 * `resultType: "complete"` when it has none, and the server's identity under `_meta` unless
 * the result names one.
 */
function encode(
  result: Record<string, unknown>,
  serverInfo: { name: string; version: string },
): Record<string, unknown> {
  const normal = normalToolResult(result);
  const typed = normal.resultType === undefined ? { ...normal, resultType: 'complete' } : normal;
  const meta = typed._meta;
  if (meta === undefined) return { ...typed, _meta: { [SERVER_INFO_META_KEY]: serverInfo } };
  if (!isPlainObject(meta) || meta[SERVER_INFO_META_KEY] !== undefined) return typed;
  return { ...typed, _meta: { ...meta, [SERVER_INFO_META_KEY]: serverInfo } };
}

/**
 * Answers the POST `req` (whose body was read as `body`) when it is a request this path
 * takes; returns false, having written nothing, when it is not.
 */
export async function tryFastModernCall(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  serverName: string | undefined,
  options: FastModernCallOptions,
): Promise<boolean> {
  if (header(req, 'mcp-session-id') !== undefined) return false;
  if (header(req, 'mcp-protocol-version') !== modernVersion) return false;
  if (header(req, 'mcp-method') !== 'tools/call') return false;
  if (!plainJsonRequest(req, options.allowedHosts)) return false;
  const call = classify(body);
  const named = header(req, 'mcp-name');
  // An encoded name (`=?base64?...?=`) is the SDK's to decode and check.
  if (!call || named !== call.name || named.startsWith('=?base64?')) return false;
  const principal = await options.authenticate(header(req, 'authorization'));
  if (!principal) return false;
  const source = options.source(serverName);
  const open = source && options.beginCall();
  if (!source || !open) return false;
  const serverInfo = options.serverInfo(serverName);
  await answerCall(res, {
    ...call,
    source,
    open,
    encode: (result) => encode(result, serverInfo),
    headers: {},
    logger: options.logger,
    errorCode: (code) => (code === -32002 ? -32602 : code),
  });
  return true;
}
