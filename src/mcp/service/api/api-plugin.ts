/**
 * The REST API under `/api/v1`, as a Fastify plugin. Every route is described once (see
 * route.ts) and mounted from that description: the token check, zod validation of path
 * parameters, query and body in one place, the body limit, and its part of the OpenAPI
 * document at `/api/v1/openapi.json`.
 *
 * Errors are thrown as HearthError; the host app's error handler renders them as
 * `{error: {code, message}}` (the gateway's does, including 413 for oversized bodies).
 *
 * To add routes (profiles, config), write a sibling `*-routes.ts` returning `ApiRoute[]` and
 * add it to `apiRoutes`, with whatever it needs in `ApiOptions`.
 */
import type { FastifyPluginCallback, FastifyRequest, onRequestHookHandler } from 'fastify';
import { z } from 'zod';
import { ErrorCode, HearthError } from '../../../common/errors.ts';
import type { ConversationView } from '../../../common/protocol.ts';
import type { ConversationLibrary } from '../store/conversation-store.ts';
import { conversationRoutes } from './conversations-routes.ts';
import { buildOpenApiDocument, documented, type OpenApiDocument } from './openapi.ts';
import {
  defineRoute,
  requireRole,
  type ApiRoute,
  type Authenticate,
  type Principal,
} from './route.ts';
import { parseInput } from './validate.ts';
import { configRoutes, type ConfigApi } from './config-routes.ts';
import { deviceRoutes } from './device-routes.ts';
import { mcpServerRoutes, type McpServersApi } from './mcp-server-routes.ts';
import type { DeviceService } from '../../../common/devices.ts';

export const apiPrefix = '/api/v1';
/** Largest request body a route takes unless it says otherwise. */
export const defaultBodyLimit = 64 * 1024;

export interface ApiOptions {
  store: ConversationLibrary;
  authenticate: Authenticate;
  /** Whether a turn is running in a conversation; such a conversation is not deleted (409). */
  isBusy?: (conversationId: string) => boolean;
  /** Told after a conversation is deleted, so live state about it (event logs) goes too. */
  onDeleted?: (conversationId: string) => void;
  /** Told after a conversation is renamed, so that every screen can show the new title. */
  onRenamed?: (conversation: ConversationView) => void;
  /** The live configuration, for the profile and config routes. */
  config?: ConfigApi;
  /** The home's devices, when a bridge is configured (the routes exist either way). */
  devices?: () => DeviceService | undefined;
  /** The MCP aggregator's switches, when it runs (the routes exist either way). */
  mcpServers?: () => McpServersApi | undefined;
  /** Routes of extensions (MCP servers, devices), mounted and documented like the rest. */
  extraRoutes?: ApiRoute[];
}

/** Every route of the API but the document itself. */
export function apiRoutes(options: ApiOptions): ApiRoute[] {
  return [
    ...conversationRoutes({
      store: options.store,
      isBusy: options.isBusy,
      onDeleted: options.onDeleted,
      onRenamed: options.onRenamed,
    }),
    ...(options.config ? configRoutes(options.config) : []),
    ...deviceRoutes(options.devices ?? (() => undefined)),
    ...mcpServerRoutes(options.mcpServers ?? (() => undefined)),
    ...(options.extraRoutes ?? []),
  ];
}

/**
 * The document describes only the API's shapes, no household data, so it is public: tools and
 * client generators can fetch it without a token.
 */
function openApiRoute(document: () => OpenApiDocument): ApiRoute {
  return defineRoute({
    method: 'GET',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    tag: 'meta',
    access: 'public',
    response: {
      status: 200,
      description: 'The document',
      schema: documented(z.record(z.string(), z.unknown()), { description: 'OpenAPI 3.1' }),
    },
    handle: () => document(),
  });
}

/** The whole route list (the document's own route included) and its document. */
export function describeApi(options: ApiOptions): {
  routes: ApiRoute[];
  document: OpenApiDocument;
} {
  // The document's own route reads it once it is built, at request time.
  const routes = [...apiRoutes(options), openApiRoute(() => document)];
  const document = buildOpenApiDocument(routes, { prefix: apiPrefix, version: '1' });
  return { routes, document };
}

function unauthorized(): HearthError {
  return new HearthError(
    ErrorCode.unauthorized,
    'Send a valid token as Authorization: Bearer <token>',
  );
}

export function createApiPlugin(options: ApiOptions): FastifyPluginCallback {
  const { routes } = describeApi(options);
  const principals = new WeakMap<FastifyRequest, Principal>();

  return (app, _pluginOptions, done) => {
    for (const route of routes) {
      const access = route.access ?? 'user';
      const authorize: onRequestHookHandler = (request, _reply, next) => {
        const principal = options.authenticate(request.headers.authorization);
        if (!principal) return next(unauthorized());
        try {
          principals.set(request, requireRole(principal, access === 'admin' ? 'admin' : 'user'));
          next();
        } catch (error) {
          next(error as HearthError);
        }
      };
      app.route({
        method: route.method,
        url: `${apiPrefix}${route.path}`,
        bodyLimit: route.bodyLimit ?? defaultBodyLimit,
        // Before the body is read, so that no one without a token gets to send one.
        ...(access !== 'public' && { onRequest: authorize }),
        handler: async (request, reply) => {
          const gone = new AbortController();
          reply.raw.once('close', () => {
            if (!reply.raw.writableFinished) gone.abort();
          });
          const result = await route.handle({
            signal: gone.signal,
            params: route.params && parseInput(route.params, request.params, 'path'),
            query: route.query && parseInput(route.query, request.query, 'query'),
            body: route.body && parseInput(route.body, request.body, 'body'),
            principal: principals.get(request),
          });
          reply.status(route.response.status);
          return route.response.schema ? result : reply.send();
        },
      });
    }
    done();
  };
}
