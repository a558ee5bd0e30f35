/**
 * A real Fastify server on 127.0.0.1 (free port) serving the MCP endpoint from the given
 * sources, with one valid token. Cleans up with `await using`.
 */
import Fastify from 'fastify';
import { createLogger } from '../../../src/common/logger.ts';
import {
  registerMcpEndpoint,
  type McpEndpoint,
  type McpEndpointOptions,
} from '../../../src/mcp/aggregator/endpoint/mcp-endpoint.ts';
import type { McpSource } from '../../../src/mcp/aggregator/endpoint/source.ts';

export const testToken = 'test-token-0123456789';
/** A second valid token, held by someone else. */
export const otherToken = 'other-token-9876543210';

export interface EndpointServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  endpoint: McpEndpoint;
  close(): Promise<void>;
}

export async function startEndpointServer(options: {
  merged: McpSource;
  servers?: Record<string, McpSource>;
  extra?: Partial<
    Pick<McpEndpointOptions, 'pageSize' | 'sessionIdleMs' | 'maxSessions' | 'allowedHosts'>
  >;
}): Promise<EndpointServer> {
  // Close keep-alive sockets a test's fetch left open instead of waiting for their timeout.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const endpoint = registerMcpEndpoint(app, {
    merged: options.merged,
    server: (name) => options.servers?.[name],
    authenticate: (authorization) => {
      if (authorization === `Bearer ${testToken}`) return { name: 'tester', role: 'user' };
      if (authorization === `Bearer ${otherToken}`) return { name: 'other', role: 'user' };
      return undefined;
    },
    logger: createLogger({ level: 'silent' }),
    ...options.extra,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  return {
    origin: `http://127.0.0.1:${address.port}`,
    endpoint,
    close,
    [Symbol.asyncDispose]: close,
  };
}
