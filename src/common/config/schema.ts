import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { zigbeeConfigSchema } from './zigbee-schema.ts';

/** Networks a LAN-only home server accepts by default: loopback, private and link-local. */
export const defaultAllowedNetworks = [
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
] as const;

const idPattern = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;
const envNamePattern = /^[A-Z_][A-Z0-9_]*$/;

const cidr = z.string().refine((value) => ipaddr.isValidCIDR(value), {
  message: 'expected a network in CIDR form, such as 192.168.0.0/16',
});

export const chatKinds = ['openai', 'openai-compatible', 'anthropic', 'ollama'] as const;
export const imageKinds = ['openai-images', 'automatic1111'] as const;
export const providerKinds = [...chatKinds, ...imageKinds] as const;
export type ChatKind = (typeof chatKinds)[number];
export type ImageKind = (typeof imageKinds)[number];

export function isImageKind(kind: string): kind is ImageKind {
  return (imageKinds as readonly string[]).includes(kind);
}

const providerSchema = z.strictObject({
  kind: z.enum(providerKinds),
  baseURL: z.url().optional(),
  apiKeyEnv: z.string().regex(envNamePattern, 'expected an environment variable name').optional(),
  /** Milliseconds before an unanswered provider request fails. */
  timeoutMs: z.number().int().positive().default(120_000),
  /** automatic1111: milliseconds between progress polls for previews. */
  pollMs: z.number().int().positive().optional(),
});

const profileSchema = z.strictObject({
  provider: z.string(),
  model: z.string().min(1),
  label: z.string().optional(),
  system: z.string().optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().optional(),
  /**
   * The model's context window in tokens. The history sent is cut, oldest exchanges first, to
   * fit it with room for the reply; Ollama is asked for a window of this size (`num_ctx`).
   * Unset: a default by provider kind (src/router/context-budget.ts).
   */
  contextTokens: z.number().int().min(512).optional(),
  /** Tools the model may call, by name; `*` and `?` are wildcards. None when absent. */
  tools: z.array(z.string().min(1)).optional(),
  /**
   * How the model sees MCP servers' tools: `direct` sends every schema, `search` two
   * meta-tools (search by words, call by name), `auto` searches above 32 of them.
   */
  toolMode: z.enum(['auto', 'direct', 'search']).default('auto'),
  /** Rounds of tool calls in one turn before the model must answer in text. */
  maxToolRounds: z.number().int().min(1).max(50).default(8),
  /**
   * Providers tried in order when the first fails before anything reached a client; never
   * once a token has been shown.
   */
  fallback: z.array(z.strictObject({ provider: z.string(), model: z.string().min(1) })).default([]),
});

const tokenSchema = z.strictObject({
  name: z
    .string()
    .regex(idPattern, 'expected a short name of letters, digits, dot, dash or underscore'),
  role: z.enum(['admin', 'user']),
  tokenEnv: z.string().regex(envNamePattern, 'expected an environment variable name'),
});

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        host: z.string().default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8080),
        allowedNetworks: z.array(cidr).default([...defaultAllowedNetworks]),
        /** Extra browser origins allowed to open the WebSocket besides the gateway's own. */
        allowedOrigins: z.array(z.string()).default([]),
      })
      .prefault({}),
    dataDir: z.string().default('./data'),
    /**
     * Several processes on the LAN: one central service (`--role central`, the only writer of
     * the database) and gateways (`--role gateway`) sharing one Redis. Unused by `npm start`'s
     * single process unless `redisURL` is set, when its changes are published there too.
     */
    cluster: z
      .strictObject({
        /** Redis for Pub/Sub (config and device events) and Streams (conversation events). */
        redisURL: z.url().optional(),
        /** Where a gateway finds the central service's REST API, such as http://10.0.0.2:8080. */
        centralURL: z.url().optional(),
        /** Variable holding the token a gateway uses with the central service (admin role). */
        centralTokenEnv: z
          .string()
          .regex(envNamePattern, 'expected an environment variable name')
          .default('HEARTH_CENTRAL_TOKEN'),
        /** Recent events of each conversation kept in its Redis Stream, for resume anywhere. */
        streamEvents: z.number().int().positive().default(4096),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z
          .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
          .default('info'),
      })
      .prefault({}),
    auth: z
      .strictObject({
        tokens: z.array(tokenSchema).default([]),
      })
      .prefault({}),
    limits: z
      .strictObject({
        /** Largest accepted WebSocket frame, in bytes; larger closes the socket with 1009. */
        maxFrameBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /** Sustained frames per second a client may send; above it the socket closes with 1008. */
        messagesPerSecond: z.number().positive().default(20),
        /** Frames a client may send in one burst before the rate applies. */
        messageBurst: z.number().int().positive().default(60),
        /** Bytes queued for one client before it is dropped as a slow consumer. */
        maxBufferedBytes: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024),
        /** Milliseconds a new socket has to send `hello`. */
        helloTimeoutMs: z.number().int().positive().default(5000),
      })
      .prefault({}),
    stream: z
      .strictObject({
        /** Events of each conversation kept in memory for resume. */
        replayEvents: z.number().int().positive().default(4096),
        /** Conversations whose event log stays in memory when idle. */
        maxIdleLogs: z.number().int().positive().default(256),
        /**
         * Bytes of events all conversations together keep in memory for resume, past what
         * running turns hold; beyond it the least recently active lose theirs (32 MiB).
         */
        replayBytes: z
          .number()
          .int()
          .positive()
          .default(32 * 1024 * 1024),
        /** Milliseconds between checkpoints of a streaming reply's partial text. */
        checkpointMs: z.number().int().positive().default(1000),
      })
      .prefault({}),
    /** With no provider configured, Hearth looks for a local Ollama and offers its models. */
    discovery: z
      .strictObject({
        ollama: z.boolean().default(true),
        ollamaURL: z.url().default('http://127.0.0.1:11434'),
      })
      .prefault({}),
    /** The MCP aggregator: external MCP servers merged into one catalogue and one endpoint. */
    mcp: z
      .strictObject({
        /**
         * The servers file, in the `mcpServers` JSON format of Claude Desktop and Cursor, plus
         * Hearth's per-server `enabled`, `tools {allow, deny}` and `idleTimeoutMs`. Watched.
         */
        serversFile: z.string().min(1).optional(),
        /** Serve the merged catalogue at `/mcp` (and each server at `/mcp/<server>`). */
        endpoint: z.boolean().default(true),
        /** Items per page of the endpoint's `tools/list`, `prompts/list`, `resources/list`. */
        pageSize: z.number().int().min(1).max(1000).default(100),
      })
      .prefault({}),
    /** Zigbee through Zigbee2MQTT over MQTT; off unless a broker URL or the embedded broker is set. */
    zigbee: zigbeeConfigSchema.prefault({}),
    providers: z
      .record(z.string().regex(idPattern, 'expected a short id'), providerSchema)
      .default({}),
    profiles: z
      .record(z.string().regex(idPattern, 'expected a short id'), profileSchema)
      .default({}),
    defaultProfile: z.string().optional(),
    /** The profile `image.generate` uses when none is named; else the first image profile. */
    defaultImageProfile: z.string().optional(),
  })
  .superRefine((config, ctx) => {
    for (const [id, profile] of Object.entries(config.profiles)) {
      if (
        profile.contextTokens !== undefined &&
        profile.maxTokens !== undefined &&
        profile.maxTokens >= profile.contextTokens
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['profiles', id, 'maxTokens'],
          message: `is ${profile.maxTokens}, which leaves no room in the context window (contextTokens ${profile.contextTokens}) for the conversation`,
        });
      }
      if (!(profile.provider in config.providers)) {
        ctx.addIssue({
          code: 'custom',
          path: ['profiles', id, 'provider'],
          message: `names provider "${profile.provider}", which is not under providers`,
        });
      }
      const profileKind = config.providers[profile.provider]?.kind;
      profile.fallback.forEach((entry, index) => {
        const fallbackKind = config.providers[entry.provider]?.kind;
        if (
          profileKind !== undefined &&
          fallbackKind !== undefined &&
          isImageKind(profileKind) !== isImageKind(fallbackKind)
        ) {
          ctx.addIssue({
            code: 'custom',
            path: ['profiles', id, 'fallback', index, 'provider'],
            message: `names provider "${entry.provider}", which is not the same kind (chat or image) as the profile's provider`,
          });
        }
        if (!(entry.provider in config.providers)) {
          ctx.addIssue({
            code: 'custom',
            path: ['profiles', id, 'fallback', index, 'provider'],
            message: `names provider "${entry.provider}", which is not under providers`,
          });
        }
      });
    }
    const kindOf = (profileId: string) =>
      config.providers[config.profiles[profileId]?.provider ?? '']?.kind ?? '';
    if (
      config.defaultProfile !== undefined &&
      config.defaultProfile in config.profiles &&
      isImageKind(kindOf(config.defaultProfile))
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultProfile'],
        message: `names "${config.defaultProfile}", an image profile; name a chat profile`,
      });
    }
    if (config.defaultImageProfile !== undefined) {
      if (
        !(config.defaultImageProfile in config.profiles) ||
        !isImageKind(kindOf(config.defaultImageProfile))
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['defaultImageProfile'],
          message: `names "${config.defaultImageProfile}", which is not a profile of an image provider`,
        });
      }
    }
    if (config.defaultProfile !== undefined && !(config.defaultProfile in config.profiles)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultProfile'],
        message: `names profile "${config.defaultProfile}", which is not under profiles`,
      });
    }
  });

export type HearthConfig = z.infer<typeof configSchema>;
export type ProviderConfig = HearthConfig['providers'][string];
export type ProfileConfig = HearthConfig['profiles'][string];
export type TokenConfig = HearthConfig['auth']['tokens'][number];
