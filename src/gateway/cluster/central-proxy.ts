import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, HearthError, httpStatusOf } from '../../common/errors.ts';
import type { TokenAuth } from '../auth/token-auth.ts';

interface PassedRoute {
  method: 'GET' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  /** Who may call it, as on the central service. */
  access: 'user' | 'admin';
  /** The route's one parameter, checked before it becomes part of a path. */
  param?: { name: string; pattern: RegExp; code: ErrorCode; what: string };
}

const conversationId = {
  name: 'id',
  pattern: /^[A-Za-z0-9_-]{1,64}$/,
  code: ErrorCode.unknownConversation,
  what: 'conversation',
};
const serverName = {
  name: 'name',
  pattern: /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/,
  code: ErrorCode.notFound,
  what: 'MCP server',
};

/** The routes of the central service that the page uses, and that a gateway passes on. */
const routes: readonly PassedRoute[] = [
  { method: 'GET', url: '/api/v1/conversations', access: 'user' },
  { method: 'GET', url: '/api/v1/conversations/search', access: 'user' },
  { method: 'PATCH', url: '/api/v1/conversations/:id', access: 'user', param: conversationId },
  { method: 'DELETE', url: '/api/v1/conversations/:id', access: 'user', param: conversationId },
  { method: 'GET', url: '/api/v1/mcp-servers', access: 'admin' },
  { method: 'PUT', url: '/api/v1/mcp-servers/:name/enabled', access: 'admin', param: serverName },
  {
    method: 'DELETE',
    url: '/api/v1/mcp-servers/:name/enabled',
    access: 'admin',
    param: serverName,
  },
];

function refuse(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  const error = new HearthError(code, message);
  return reply.code(httpStatusOf(code)).send({ error: error.toWire() });
}

/**
 * On a gateway of a split Hearth: the few REST routes the page uses (the conversation list,
 * search, rename and delete; the MCP servers' switches), passed on to the central service, so
 * that the page works on any gateway. The caller's token and role are checked here against the
 * tokens the central service sent; the path is rebuilt from the route and a checked parameter,
 * never passed on raw, so no dot segment or encoded slash reaches another route; the request
 * then goes on with the gateway's own token, and the answer (status, body, error) comes back
 * as it came.
 */
export function registerCentralProxy(
  app: FastifyInstance,
  options: { auth: TokenAuth; centralURL: string; centralToken: string; timeoutMs?: number },
): void {
  const base = options.centralURL.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pass = (route: PassedRoute) => async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = options.auth.verifyBearer(request.headers.authorization);
    if (!principal)
      return refuse(reply, ErrorCode.unauthorized, 'A valid bearer token is required');
    if (route.access === 'admin' && principal.role !== 'admin')
      return refuse(reply, ErrorCode.forbidden, 'This needs an admin token');
    let path = route.url;
    if (route.param) {
      const value = (request.params as Record<string, string | undefined>)[route.param.name] ?? '';
      if (!route.param.pattern.test(value))
        return refuse(reply, route.param.code, `No ${route.param.what} ${value}`);
      path = path.replace(`:${route.param.name}`, value);
    }
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    let answer: Response;
    try {
      answer = await fetch(`${base}${path}${query}`, {
        method: request.method,
        headers: {
          authorization: `Bearer ${options.centralToken}`,
          ...(request.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      return refuse(reply, ErrorCode.unavailable, 'The central service does not answer');
    }
    reply.code(answer.status);
    const type = answer.headers.get('content-type');
    if (type) reply.header('content-type', type);
    return reply.send(answer.status === 204 ? undefined : Buffer.from(await answer.arrayBuffer()));
  };
  for (const route of routes)
    app.route({ method: route.method, url: route.url, handler: pass(route) });
}
