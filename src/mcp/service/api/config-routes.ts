import { z } from 'zod';
import type { HearthConfig } from '../../../common/config/schema.ts';
import { ErrorCode, HearthError } from '../../../common/errors.ts';
import { defineRoute, type ApiRoute } from './route.ts';

/** What the config routes need: the config in force, and a way to change it. */
export interface ConfigApi {
  readonly current: HearthConfig;
  /** Applies a JSON Merge Patch over the earlier API changes; throws `invalid_config`. */
  patch(patch: Record<string, unknown>): HearthConfig;
}

/** Sections the API may change while Hearth runs; the rest need config.yaml and a restart. */
const liveSections = [
  'profiles',
  'defaultProfile',
  'defaultImageProfile',
  'providers',
  'limits',
  'stream',
  'log',
  'discovery',
  'auth',
  'mcp',
];

const tag = 'config';
const profileId = z.object({
  id: z
    .string()
    .regex(
      /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/,
      'a short id of letters, digits, dot, dash or underscore',
    ),
});
const anyObject = z.record(z.string(), z.unknown());

/**
 * Profiles and config over REST. Reads take any token; writes take an admin token. Every write
 * is validated whole (the same schema as at start, and the secrets it names must be in the
 * environment) before it applies, and every process applies it without a restart.
 */
export function configRoutes(config: ConfigApi): ApiRoute[] {
  const profileView = (id: string) => {
    const profile = config.current.profiles[id];
    if (!profile) throw new HearthError(ErrorCode.unknownProfile, `No profile "${id}"`);
    return { id, ...profile };
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/profiles',
      operationId: 'listProfiles',
      summary: 'Every profile in force',
      tag,
      response: {
        status: 200,
        description: 'The profiles',
        schema: z.object({ profiles: z.array(anyObject) }),
      },
      handle: () => ({ profiles: Object.keys(config.current.profiles).map(profileView) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/profiles/:id',
      operationId: 'getProfile',
      summary: 'One profile',
      tag,
      params: profileId,
      errors: [ErrorCode.unknownProfile],
      response: { status: 200, description: 'The profile', schema: anyObject },
      handle: ({ params }) => profileView(params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: '/profiles/:id',
      operationId: 'putProfile',
      summary: 'Create or replace a profile',
      description:
        'The body is the whole profile (provider, model, and the optional fields); fields left out are removed.',
      tag,
      access: 'admin',
      params: profileId,
      body: anyObject,
      errors: [ErrorCode.invalidConfig],
      response: { status: 200, description: 'The profile as it now stands', schema: anyObject },
      handle: ({ params, body }) => {
        // Null first so that fields of an earlier version, from the file or the API, go.
        const cleared = Object.fromEntries(
          Object.keys(config.current.profiles[params.id] ?? {}).map((key) => [key, null]),
        );
        config.patch({ profiles: { [params.id]: { ...cleared, ...body } } });
        return profileView(params.id);
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/profiles/:id',
      operationId: 'deleteProfile',
      summary: 'Remove a profile, whether it came from config.yaml or the API',
      tag,
      access: 'admin',
      params: profileId,
      errors: [ErrorCode.unknownProfile, ErrorCode.invalidConfig],
      response: { status: 204, description: 'Removed' },
      handle: ({ params }) => {
        profileView(params.id);
        config.patch({ profiles: { [params.id]: null } });
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/config',
      operationId: 'getConfig',
      summary: 'The configuration in force',
      description:
        'Secrets never appear: the config only names the environment variables that hold them.',
      tag,
      response: { status: 200, description: 'The configuration', schema: anyObject },
      handle: () => config.current,
    }),
    defineRoute({
      method: 'PATCH',
      path: '/config',
      operationId: 'patchConfig',
      summary: 'Change the configuration while Hearth runs (JSON Merge Patch)',
      description: `Sections that apply live: ${liveSections.join(', ')}. server and dataDir need config.yaml and a restart.`,
      tag,
      access: 'admin',
      body: anyObject,
      errors: [ErrorCode.invalidConfig],
      response: { status: 200, description: 'The configuration now in force', schema: anyObject },
      handle: ({ body }) => {
        const fixed = Object.keys(body).filter((key) => !liveSections.includes(key));
        if (fixed.length > 0) {
          throw new HearthError(
            ErrorCode.badRequest,
            `${fixed.join(', ')} cannot change while Hearth runs; edit config.yaml and restart`,
          );
        }
        return config.patch(body);
      },
    }),
  ];
}
