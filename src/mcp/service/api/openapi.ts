/**
 * The OpenAPI 3.1 document of the REST API, built from the same route list and zod schemas
 * that the API plugin mounts and validates with. OpenAPI 3.1 schemas are JSON Schema 2020-12,
 * which is what `z.toJSONSchema` writes; schemas given an `id` in `apiSchemas` become named
 * components, referenced wherever they appear.
 */
import { z } from 'zod';
import { ErrorCode, httpStatusOf, type ErrorCode as Code } from '../../../common/errors.ts';
import type { ApiRoute } from './route.ts';

/** Documentation for the API's schemas: `id` makes a named component, `description` prose. */
export const apiSchemas = z.registry<{ id?: string; description?: string }>();

/** Records documentation for a schema and returns it, for use inline in a schema definition. */
export function documented<S extends z.ZodType>(
  schema: S,
  meta: { id?: string; description?: string },
): S {
  apiSchemas.add(schema, meta);
  return schema;
}

/** Every error answer: `{error: {code, message}}`. */
export const errorSchema = documented(
  z.object({
    error: z.object({
      code: z.enum(Object.values(ErrorCode) as [Code, ...Code[]]),
      message: z.string(),
    }),
  }),
  { id: 'Error', description: 'What went wrong: a stable code and a message safe to show.' },
);

type JsonSchema = Record<string, unknown>;

// A type rather than an interface, so it passes for a JSON object (`Record<string, unknown>`).
export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  security: Array<Record<string, string[]>>;
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, unknown>;
  };
};

/**
 * Turns a schema into JSON Schema, moving named sub-schemas into `components`. A named schema
 * should read the same as input and as output (no defaults or transforms), since it gets one
 * component.
 */
function toSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, JsonSchema>,
): JsonSchema {
  const converted = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    metadata: apiSchemas,
    io,
    unrepresentable: 'any',
    // Answers may gain fields in later versions: clients should ignore the ones they don't know.
    override: ({ jsonSchema }) => {
      if (io === 'output' && jsonSchema.additionalProperties === false)
        delete jsonSchema.additionalProperties;
    },
  }) as JsonSchema;
  // Refs point into $defs; in the document, named schemas live under components.
  const rewritten = JSON.parse(
    JSON.stringify(converted).replaceAll('"#/$defs/', '"#/components/schemas/'),
  ) as JsonSchema;
  const { $schema: _dialect, $defs, ...rest } = rewritten;
  Object.assign(components, ($defs ?? {}) as Record<string, JsonSchema>);
  return rest;
}

/** One OpenAPI parameter per property of a path or query object schema. */
function parameters(
  schema: z.ZodType,
  location: 'path' | 'query',
  components: Record<string, JsonSchema>,
): unknown[] {
  const object = toSchema(schema, 'input', components);
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' && { description }),
      schema: propertySchema,
    };
  });
}

const errorDescriptions: Partial<Record<number, string>> = {
  400: 'The input is invalid; the message names the field',
  401: 'No valid token in Authorization: Bearer <token>',
  403: 'The token lacks the role this needs',
  404: 'Not found',
  409: 'Conflicts with work in progress',
  413: 'The body is larger than this route accepts',
};

/** The codes a route may answer with, from its own list and what the plugin checks for it. */
function errorCodes(route: ApiRoute): Code[] {
  const codes = new Set<Code>(route.errors ?? []);
  const access = route.access ?? 'user';
  if (access !== 'public') codes.add(ErrorCode.unauthorized);
  if (access === 'admin') codes.add(ErrorCode.forbidden);
  if (route.params || route.query || route.body) codes.add(ErrorCode.badRequest);
  if (route.body) {
    codes.add(ErrorCode.badJson);
    codes.add(ErrorCode.payloadTooLarge);
  }
  return [...codes];
}

function operation(route: ApiRoute, components: Record<string, JsonSchema>): unknown {
  const byStatus = new Map<number, Code[]>();
  for (const code of errorCodes(route)) {
    const status = httpStatusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {
    [route.response.status]: {
      description: route.response.description,
      ...(route.response.schema && {
        content: {
          'application/json': { schema: toSchema(route.response.schema, 'output', components) },
        },
      }),
    },
  };
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: `${errorDescriptions[status] ?? 'Error'} (${codes.join(', ')})`,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description !== undefined && { description: route.description }),
    tags: [route.tag],
    ...(route.access === 'public' && { security: [] }),
    ...((route.params || route.query) && {
      parameters: [
        ...(route.params ? parameters(route.params, 'path', components) : []),
        ...(route.query ? parameters(route.query, 'query', components) : []),
      ],
    }),
    ...(route.body && {
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: toSchema(route.body, 'input', components) },
        },
      },
    }),
    responses,
  };
}

/** `/conversations/:id` as OpenAPI writes it: `/conversations/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** The document for `routes`, mounted under `prefix`. */
export function buildOpenApiDocument(
  routes: readonly ApiRoute[],
  options: { prefix: string; version: string },
): OpenApiDocument {
  const components: Record<string, JsonSchema> = {};
  toSchema(errorSchema, 'output', components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route, components) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Hearth REST API',
      version: options.version,
      description:
        'Conversations, profiles and configuration of a Hearth home AI backend. ' +
        'Every route but this document needs `Authorization: Bearer <token>`; any token may ' +
        'read, rename and delete conversations (they belong to the household), and changing ' +
        'configuration needs an admin token. Errors are `{error: {code, message}}`.',
    },
    servers: [{ url: options.prefix }],
    security: [{ bearer: [] }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
