/**
 * One REST route as data: method, path, who may call it, zod schemas for its path parameters,
 * query, body and response, and its handler. The API plugin mounts every route from this
 * description (validating input with the same schemas) and the OpenAPI document is built
 * from it, so a route cannot be served without being documented, or the other way round.
 */
import type { z } from 'zod';
import { ErrorCode, HearthError } from '../../../common/errors.ts';

export type Role = 'admin' | 'user';

/** Who holds a token. */
export interface Principal {
  name: string;
  role: Role;
}

/**
 * Who holds the token in an `Authorization` header (`Bearer <token>`), or undefined when there
 * is none or it is unknown. Injected by the process that hosts the API, which owns the tokens.
 */
export type Authenticate = (authorization: string | undefined) => Principal | undefined;

/** `public`: no token; `user`: any valid token; `admin`: a token with the admin role. */
export type Access = 'public' | 'user' | 'admin';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

type Schema = z.ZodType;
type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Undefined only on public routes. */
  principal: Principal | undefined;
  /** Aborted when the client goes away before the answer is sent. */
  signal: AbortSignal;
}

export interface RouteDefinition<
  P extends Schema | undefined,
  Q extends Schema | undefined,
  B extends Schema | undefined,
  R extends Schema | undefined,
> {
  method: HttpMethod;
  /** Below the API prefix, Fastify style: `/conversations/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Default `user`. */
  access?: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** Largest body accepted, in bytes; larger gets 413 `payload_too_large`. Default 64 KiB. */
  bodyLimit?: number;
  /** The success answer; without a schema it has no body (as for 204). */
  response: { status: number; description: string; schema?: R };
  /** Codes the handler may answer with, beyond those of auth and validation. */
  errors?: readonly ErrorCode[];
  handle(input: RouteInput<Parsed<P>, Parsed<Q>, Parsed<B>>): Parsed<R> | Promise<Parsed<R>>;
}

export type ApiRoute = RouteDefinition<
  Schema | undefined,
  Schema | undefined,
  Schema | undefined,
  Schema | undefined
>;

/** Types a route's handler from its schemas and erases the types for the route list. */
export function defineRoute<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R extends Schema | undefined = undefined,
>(route: RouteDefinition<P, Q, B, R>): ApiRoute {
  // Handlers take their input as the schemas parse it; the plugin only ever passes that.
  return route;
}

/** Throws 403 `forbidden` unless the principal has the role (admin passes every check). */
export function requireRole(principal: Principal | undefined, role: Role): Principal {
  if (!principal)
    throw new HearthError(
      ErrorCode.unauthorized,
      'Send a valid token as Authorization: Bearer <token>',
    );
  if (role === 'admin' && principal.role !== 'admin')
    throw new HearthError(ErrorCode.forbidden, 'Only an admin token may do this');
  return principal;
}

/** Shorthand for write routes on config and profiles: 403 unless an admin token was sent. */
export function requireAdmin(principal: Principal | undefined): Principal {
  return requireRole(principal, 'admin');
}
