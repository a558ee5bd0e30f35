/**
 * `/mcp` (the merged catalogue) and `/mcp/<server>` (one upstream alone, unprefixed) over
 * Streamable HTTP, for holders of a token. Both protocol eras: a 2025-era client gets a real
 * session (see legacy-sessions.ts), a 2026-07-28 client is served per request (see
 * modern-handlers.ts); the SDK's own classifier decides which leg a request belongs to.
 */
import {
  hostHeaderValidationResponse,
  isJsonContentType,
  isLegacyRequest,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../../common/logger.ts';
import { LegacySessions } from './legacy-sessions.ts';
import { ModernHandlers } from './modern-handlers.ts';
import { tryFastModernCall, type FastModernCallOptions } from './fast-modern-call.ts';
import { tryFastToolCall, type FastToolCallOptions } from './fast-tool-call.ts';
import { answer, bodyError, readBody, serveOnNode } from './node-bridge.ts';
import { jsonRpcError } from './responses.ts';
import { createSourceServer } from './source-server.ts';
import type { McpSource } from './source.ts';

/** Who holds a token; only its name is used (a session belongs to the name that opened it). */
export interface McpPrincipal {
  name: string;
  role: string;
}

/** Same shape as the REST API's `Authenticate`: the `Authorization` header in, a holder out. */
export type McpAuthenticate = (
  authorization: string | undefined,
) => McpPrincipal | undefined | Promise<McpPrincipal | undefined>;

export interface McpEndpointOptions {
  /** Served at `/mcp`: every enabled server's tools as `<server>__<tool>`. */
  merged: McpSource;
  /** Served at `/mcp/<name>`: that server alone, unprefixed; undefined answers 404. */
  server(name: string): McpSource | undefined;
  authenticate: McpAuthenticate;
  logger: Logger;
  /** Items per page of `tools/list`, `prompts/list`, `resources/list`. Default 100. */
  pageSize?: number;
  /** A 2025-era session with no request for this long is closed. Default 30 minutes. */
  sessionIdleMs?: number;
  /** Most 2025-era sessions (and, separately, 2026 listen streams per path). Default 256. */
  maxSessions?: number;
  /**
   * Host names accepted in `Host` and `Origin` (DNS-rebinding protection, for example
   * `['localhost', '127.0.0.1', '[::1]', 'hearth.lan']`). Default: any host.
   */
  allowedHosts?: string[];
  /** Shown to clients as `serverInfo`. Default `hearth` 0.1.0. */
  serverInfo?: { name: string; version: string };
}

/** What the endpoint holds: its live sessions, and how to end them all. */
export interface McpEndpoint {
  /** Live 2025-era sessions. */
  sessionCount(): number;
  /** Closes every session and stream; called on the app's close too. */
  close(): Promise<void>;
}

/**
 * Registers `POST|GET|DELETE /mcp` and `/mcp/:server` on `app` (in an encapsulated scope whose
 * body is left unread for the MCP transports) and returns the endpoint's handle.
 */
export function registerMcpEndpoint(
  app: FastifyInstance,
  options: McpEndpointOptions,
): McpEndpoint {
  const logger = options.logger;
  const pageSize = options.pageSize ?? 100;
  const maxSessions = options.maxSessions ?? 256;
  const info = options.serverInfo ?? { name: 'hearth', version: '0.1.0' };
  const sessions = new LegacySessions({
    idleMs: options.sessionIdleMs ?? 30 * 60_000,
    maxSessions,
    logger,
  });
  const modern = new ModernHandlers({ logger, maxSubscriptions: maxSessions });
  const create = (source: McpSource, name: string) =>
    createSourceServer(source, { name, version: info.version, pageSize, logger });

  async function serve(request: Request, serverName: string | undefined): Promise<Response> {
    const hosts = options.allowedHosts;
    const rejected = hosts
      ? (hostHeaderValidationResponse(request, hosts) ?? originValidationResponse(request, hosts))
      : undefined;
    if (rejected) return rejected;
    const principal = await options.authenticate(request.headers.get('authorization') ?? undefined);
    if (!principal) {
      return jsonRpcError(401, -32001, 'Send a valid token as Authorization: Bearer <token>', {
        'www-authenticate': 'Bearer',
      });
    }
    const source = serverName === undefined ? options.merged : options.server(serverName);
    const key = serverName === undefined ? '' : `/${serverName}`;
    if (!source) {
      modern.forget(key);
      return jsonRpcError(404, -32001, 'Unknown MCP server');
    }
    const name = serverName === undefined ? info.name : `${info.name}/${serverName}`;
    if (request.method === 'POST' && !isJsonContentType(request.headers.get('content-type')))
      return jsonRpcError(415, -32000, 'Unsupported Media Type: send application/json');
    if (await isLegacyRequest(request)) {
      return sessions.handle(request, {
        key,
        principal: principal.name,
        create: () => {
          const server = create(source, name);
          const detach = source.onListChanged((what) => {
            const sent =
              what === 'tools'
                ? server.sendToolListChanged()
                : what === 'prompts'
                  ? server.sendPromptListChanged()
                  : server.sendResourceListChanged();
            sent.catch(() => undefined);
          });
          return { server, detach };
        },
      });
    }
    return modern.handle(request, { key, source, create: (s) => create(s, name) });
  }

  const fast: FastToolCallOptions = {
    sessions,
    authenticate: options.authenticate,
    source: (serverName) =>
      serverName === undefined ? options.merged : options.server(serverName),
    allowedHosts: options.allowedHosts,
    logger,
  };

  const fastModern: FastModernCallOptions = {
    authenticate: options.authenticate,
    source: (serverName) => fast.source(serverName),
    beginCall: () => modern.beginCall(),
    serverInfo: (serverName) => ({
      name: serverName === undefined ? info.name : `${info.name}/${serverName}`,
      version: info.version,
    }),
    allowedHosts: options.allowedHosts,
    logger,
  };

  void app.register((scope, _opts, done) => {
    // The MCP transports read the body themselves (and answer its errors as JSON-RPC).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, parsed) => {
      parsed(null, undefined);
    });
    for (const url of ['/mcp', '/mcp/:server']) {
      scope.route<{ Params: { server?: string } }>({
        method: ['GET', 'POST', 'DELETE'],
        url,
        handler: async (request, reply) => {
          reply.hijack();
          const serverName = request.params.server;
          const { raw: req } = request;
          const res = reply.raw;
          let body: string | undefined;
          if (req.method === 'POST') {
            try {
              body = await readBody(req);
            } catch (error) {
              await answer(res, bodyError(error, logger));
              return;
            }
            if (await tryFastToolCall(req, res, body, serverName, fast)) return;
            if (await tryFastModernCall(req, res, body, serverName, fastModern)) return;
          }
          await serveOnNode(req, res, {
            handle: (webRequest) => serve(webRequest, serverName),
            logger,
            body,
          });
        },
      });
    }
    // Before the server waits for open requests: end the streams that would keep it waiting.
    scope.addHook('preClose', async () => {
      await Promise.all([sessions.close(), modern.close()]);
    });
    done();
  });

  return {
    sessionCount: () => sessions.size,
    close: async () => {
      await Promise.all([sessions.close(), modern.close()]);
    },
  };
}
