import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, HearthError, httpStatusOf } from '../../common/errors.ts';
import type { TokenAuth } from '../auth/token-auth.ts';

/** What a conversation id looks like (ids.ts makes them from these characters). */
const conversationId = /^[A-Za-z0-9_-]{1,64}$/;

/** The conversation routes a gateway passes on: any valid token may use them (no admin ones). */
const routes: ReadonlyArray<{ method: 'GET' | 'PATCH' | 'DELETE'; url: string }> = [
  { method: 'GET', url: '/api/v1/conversations' },
  { method: 'GET', url: '/api/v1/conversations/search' },
  { method: 'PATCH', url: '/api/v1/conversations/:id' },
  { method: 'DELETE', url: '/api/v1/conversations/:id' },
];

/**
 * On a gateway of a split Hearth: the household's conversation list, search, rename and delete,
 * passed on to the central service, so that the page's Chats panel works on any gateway. The
 * caller's token is checked here against the tokens the central service sent; the request then
 * goes on with the gateway's own token, and the answer (status, body, error) comes back as is.
 * Reading one conversation's messages stays on the WebSocket (`subscribe`, `history`).
 */
export function registerConversationProxy(
  app: FastifyInstance,
  options: { auth: TokenAuth; centralURL: string; centralToken: string; timeoutMs?: number },
): void {
  const base = options.centralURL.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pass = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = /^Bearer +(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined || !options.auth.verify(token)) {
      const error = new HearthError(ErrorCode.unauthorized, 'A valid bearer token is required');
      return reply.code(httpStatusOf(error.code)).send({ error: error.toWire() });
    }
    // The path is rebuilt from the route and a checked id, never passed on raw: no dot
    // segment or encoded slash can reach another route of the central service.
    const id = (request.params as { id?: string }).id;
    if (id !== undefined && !conversationId.test(id)) {
      const error = new HearthError(ErrorCode.unknownConversation, `No conversation ${id}`);
      return reply.code(httpStatusOf(error.code)).send({ error: error.toWire() });
    }
    const path = request.routeOptions.url?.replace(':id', id ?? '') ?? '';
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
      const error = new HearthError(ErrorCode.unavailable, 'The central service does not answer');
      return reply.code(httpStatusOf(error.code)).send({ error: error.toWire() });
    }
    reply.code(answer.status);
    const type = answer.headers.get('content-type');
    if (type) reply.header('content-type', type);
    return reply.send(answer.status === 204 ? undefined : Buffer.from(await answer.arrayBuffer()));
  };
  for (const route of routes) app.route({ ...route, handler: pass });
}
