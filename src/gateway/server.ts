import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { HearthConfig } from '../common/config/schema.ts';
import { ErrorCode, HearthError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { CloseCode } from './close-codes.ts';
import { httpErrorHandler, sendHttpError } from './http/errors.ts';
import { registerMediaRoute, type MediaSource } from './http/media-route.ts';
import { registerStaticFiles } from './http/static-files.ts';
import { createAddressCheck } from './network.ts';
import { isOriginAllowed } from './origin.ts';
import type { HandlerDeps } from './ws/handlers.ts';
import { Session } from './ws/session.ts';

export interface GatewayOptions extends HandlerDeps {
  config: HearthConfig;
  logger: Logger;
  media: MediaSource;
}

export interface Gateway {
  app: FastifyInstance;
  sessions: ReadonlySet<Session>;
  /** Closes every WebSocket with `going away`. */
  closeSessions(reason: string): void;
  /** Sends a frame to every session that said hello, or only to those of one role. */
  broadcast(frame: Record<string, unknown>, role?: 'admin' | 'user'): void;
}

/**
 * The HTTP and WebSocket server: LAN-only address check on every request, origin check on
 * upgrades, `/ws` sessions, `/healthz` and the web page.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  // Typed as Fastify's logger so the instance keeps Fastify's default type parameters.
  const fastifyLogger: FastifyBaseLogger = logger;
  const app: FastifyInstance = Fastify({
    loggerInstance: fastifyLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: false,
  });
  // Requests are not logged, so a request's few warnings take the server's logger as it is
  // rather than a child built (bindings serialised) for every request: their lines carry no
  // fastify request id, and per-route log levels or serialisers (none are used) would not apply.
  app.setChildLoggerFactory((parent) => parent);
  const sessions = new Set<Session>();
  // One options object shared by every session, not a copy each.
  const sessionOptions = {
    ...options,
    logger,
    onClose: (session: Session) => {
      sessions.delete(session);
      options.hub.unsubscribeAll(session);
      options.devices.unsubscribe(session);
    },
  };
  const isAllowed = createAddressCheck(config.server.allowedNetworks);

  app.setErrorHandler(httpErrorHandler);
  app.setNotFoundHandler((_request, reply) =>
    sendHttpError(reply, new HearthError(ErrorCode.notFound, 'No such route')),
  );
  await app.register(websocket, {
    options: { maxPayload: config.limits.maxFrameBytes, perMessageDeflate: false },
    // Sessions are closed by Hearth's own shutdown, with its own code.
    preClose: (done) => done(),
  });

  // After the plugin, whose own onRequest hook must run first to clean up refused upgrades.
  app.addHook('onRequest', async (request, reply) => {
    if (isAllowed(request.socket.remoteAddress)) return;
    request.log.warn(
      { remote: request.socket.remoteAddress },
      'refused a request from outside the allowed networks',
    );
    return sendHttpError(
      reply,
      new HearthError(ErrorCode.forbidden, 'Hearth answers only its local network'),
    );
  });

  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));

  app.get(
    '/ws',
    {
      websocket: true,
      preValidation: async (request, reply) => {
        const origin = request.headers.origin;
        if (
          isOriginAllowed({
            origin,
            host: request.headers.host,
            allowed: config.server.allowedOrigins,
          })
        )
          return;
        request.log.warn({ origin }, 'refused a WebSocket from a foreign origin');
        return sendHttpError(
          reply,
          new HearthError(ErrorCode.forbidden, 'This origin may not open a Hearth WebSocket'),
        );
      },
    },
    (socket, request) => {
      sessions.add(new Session(socket, sessionOptions, request.raw.socket));
    },
  );

  registerMediaRoute(app, { auth: options.auth, media: options.media });
  await registerStaticFiles(app);

  return {
    app,
    sessions,
    broadcast(frame, role) {
      const bytes = Buffer.from(JSON.stringify(frame));
      for (const session of sessions) {
        if (session.principal && (role === undefined || session.principal.role === role))
          session.deliver(bytes);
      }
    },
    closeSessions(reason) {
      for (const session of [...sessions]) session.close(CloseCode.goingAway, reason);
    },
  };
}
