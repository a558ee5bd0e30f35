/**
 * The hot path of an HTTP upstream: `tools/call` on a 2025-era Streamable HTTP session, sent
 * as one plain HTTP POST over a keep-alive connection and its answer read as JSON or SSE,
 * instead of through the SDK client's fetch, web streams and per-message schema parsing (which
 * cost about 0.9 ms per call here, more than the whole aggregator hop is allowed). (undici's
 * dispatcher with a handler of our own was tried in place of `node:http`: no faster here.)
 *
 * It stays on the SDK's session: the same `Mcp-Session-Id` and protocol version, and every
 * message on the response stream that is not this call's answer or progress (logging, list
 * changes, a server's own requests) is handed to the SDK client as if its transport had read
 * it. Cancellation and timeouts send `notifications/cancelled` through the SDK, as its own
 * calls do. A session the server no longer knows (404) is reported as `SessionGone`, before
 * the server ran anything, so the caller can open a new session and send the call again.
 */
import {
  ProtocolError,
  SdkError,
  SdkErrorCode,
  type CallToolResult,
  type Client,
  type JSONRPCMessage,
  type Progress,
  type StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { z } from 'zod';
import { RpcResponseReader, type RpcMessage } from './rpc-response-reader.ts';

export interface ToolCallOptions {
  signal: AbortSignal;
  onprogress?: ((progress: Progress) => void) | undefined;
  /** Milliseconds without an answer or progress before the call fails. */
  timeout: number;
}

export type HttpToolCaller = (
  params: { name: string; arguments: Record<string, unknown> },
  options: ToolCallOptions,
) => Promise<CallToolResult>;

/** A result the caller can rely on: content blocks, with the rest passed through. */
const toolResultSchema = z.looseObject({
  content: z.array(z.looseObject({ type: z.string() })).default([]),
  isError: z.boolean().optional(),
  structuredContent: z.record(z.string(), z.unknown()).optional(),
});

let sequence = 0;

/**
 * A caller for one connected session, or undefined when the connection is not a 2025-era
 * Streamable HTTP session (those keep the SDK's path). `close` frees its sockets.
 */
export function httpToolCaller(
  client: Client,
  transport: StreamableHTTPClientTransport,
  url: URL,
  headers: Record<string, string>,
): { call: HttpToolCaller; close: () => void } | undefined {
  const sessionId = transport.sessionId;
  const version = transport.protocolVersion ?? client.getNegotiatedProtocolVersion();
  if (client.getProtocolEra() === 'modern' || sessionId === undefined || version === undefined)
    return undefined;
  const secure = url.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const fixedHeaders: Record<string, string> = {
    ...headers,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-session-id': sessionId,
    'mcp-protocol-version': version,
  };
  // Everything that is not this call's own answer goes to the SDK client, as its transport would.
  const deliver = (message: RpcMessage): void => {
    transport.onmessage?.(message as JSONRPCMessage);
  };
  const call: HttpToolCaller = (params, options) =>
    new Promise<CallToolResult>((resolve, reject) => {
      // Cancelled before it was sent: nothing to tell the server.
      if (options.signal.aborted) {
        const reason: unknown = options.signal.reason;
        reject(reason instanceof Error ? reason : new Error(String(reason)));
        return;
      }
      const id = `hearth-${(sequence += 1)}`;
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: options.onprogress ? { ...params, _meta: { progressToken: id } } : params,
      });
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (error: Error | undefined, result?: CallToolResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve(result!);
        else reject(error);
      };
      const cancel = (reason: unknown): void => {
        if (settled) return;
        finish(reason instanceof Error ? reason : new Error(String(reason)));
        req.destroy();
        const text = reason instanceof Error ? reason.message : String(reason);
        client
          .notification({
            method: 'notifications/cancelled',
            params: { requestId: id, reason: text },
          })
          .catch(() => undefined);
      };
      const armTimer = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          cancel(
            new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', {
              timeout: options.timeout,
            }),
          );
        }, options.timeout);
      };
      const onAbort = (): void => cancel(options.signal.reason);
      const onMessage = (message: RpcMessage): void => {
        if (message.method === undefined && message.id === id) {
          if (message.error) {
            const { code, message: text, data } = message.error;
            finish(ProtocolError.fromError(code, text, data));
            return;
          }
          const parsed = toolResultSchema.safeParse(message.result);
          finish(
            parsed.success
              ? undefined
              : new ProtocolError(-32603, `Invalid tools/call result: ${parsed.error.message}`),
            parsed.data as CallToolResult,
          );
          return;
        }
        if (
          message.method === 'notifications/progress' &&
          message.params?.progressToken === id &&
          options.onprogress
        ) {
          const { progress, total, message: note } = message.params;
          if (typeof progress === 'number') {
            armTimer();
            options.onprogress({
              progress,
              ...(typeof total === 'number' ? { total } : {}),
              ...(typeof note === 'string' ? { message: note } : {}),
            });
          }
          return;
        }
        deliver(message);
      };
      const reader = new RpcResponseReader(onMessage, (error) => {
        // The body ended: any answer was already taken; without one the call failed.
        finish(error ?? new Error('The MCP server closed the call without answering'));
      });
      // Made before `cancel` can run: the timer and the abort listener start after it.
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        agent,
        headers: { ...fixedHeaders, 'content-length': String(Buffer.byteLength(body)) },
      });
      req.on('response', (res) => {
        const type = res.headers['content-type'];
        reader.start(res.statusCode ?? 0, type);
        res.on('data', (chunk: Buffer) => reader.data(chunk));
        res.on('end', () => reader.end());
        res.on('error', (error) => finish(error));
      });
      req.on('error', (error) => finish(error));
      options.signal.addEventListener('abort', onAbort, { once: true });
      armTimer();
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}
