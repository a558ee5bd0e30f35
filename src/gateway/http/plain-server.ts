import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { HearthConfig } from '../../common/config/schema.ts';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { createAddressCheck } from '../network.ts';
import { httpErrorHandler, sendHttpError } from './errors.ts';

/**
 * An HTTP server with the gateway's rules and no WebSocket: LAN-only address check, errors as
 * `{error: {code, message}}`, `/healthz`. The central service runs on it.
 */
export function createPlainServer(options: {
  config: HearthConfig;
  logger: Logger;
}): FastifyInstance {
  const fastifyLogger: FastifyBaseLogger = options.logger;
  const app: FastifyInstance = Fastify({
    loggerInstance: fastifyLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    // Gateways keep connections open to it; a stop must not wait for them to go idle.
    forceCloseConnections: true,
  });
  const isAllowed = createAddressCheck(options.config.server.allowedNetworks);
  app.setErrorHandler(httpErrorHandler);
  app.setNotFoundHandler((_request, reply) =>
    sendHttpError(reply, new HearthError(ErrorCode.notFound, 'No such route')),
  );
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
  return app;
}
