import { z } from 'zod';
import type { HearthConfig } from '../../../common/config/schema.ts';
import type { TokenEntry } from '../../../common/config/secrets.ts';
import { ErrorCode, HearthError } from '../../../common/errors.ts';
import type { SqliteConversationStore } from '../store/conversation-store.ts';
import { writeTurnRecord } from '../store/local-turn-store.ts';
import { contentSchema } from './conversation-schemas.ts';
import { defineRoute, type ApiRoute } from './route.ts';

/**
 * A reply left `streaming` this long without a write is taken as orphaned (its gateway
 * stopped): its conversation takes new turns again. Gateways checkpoint every second.
 */
export const staleStreamingMs = 120_000;

/** What the central service tells gateways, and what they write through it. */
export interface ClusterApi {
  store: SqliteConversationStore;
  /** The configuration in force and its version. */
  state(): { version: number; config: HearthConfig; tokens: readonly TokenEntry[] };
  now?: () => number;
  /** The tools that run here (extensions'), offered to the gateways' models. */
  tools?: ClusterTools;
  /** Images made on any gateway, kept here so that every gateway can serve them. */
  media?: {
    put(data: Uint8Array, mediaType: string): Promise<{ name: string }>;
    get(name: string): Promise<{ data: Buffer; mediaType: string } | undefined>;
  };
}

/** Tools as the gateways see them: a list, and a call that never throws but for an abort. */
export interface ClusterTools {
  list(): Array<{ name: string; description: string; inputSchema: Record<string, unknown> }>;
  call(
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<{ content: string; isError: boolean }>;
}

const tag = 'cluster';
const idText = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'an id');
const newMessage = z.strictObject({
  id: idText,
  conversationId: idText,
  turnId: idText,
  role: z.enum(['user', 'assistant']),
  content: contentSchema,
  status: z.enum(['complete', 'streaming', 'cancelled', 'failed', 'interrupted']),
  profile: z.string().nullable(),
  model: z.string().nullable(),
});
const turnRecord = z.strictObject({
  newConversation: z
    .strictObject({ id: idText, title: z.string().max(200), profile: z.string().nullable() })
    .optional(),
  user: newMessage,
  reply: newMessage,
});
const messageUpdate = z.strictObject({
  content: contentSchema,
  status: z.enum(['complete', 'streaming', 'cancelled', 'failed', 'interrupted']),
  usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }).nullish(),
  error: z.object({ code: z.string(), message: z.string() }).nullish(),
});
const anyObject = z.record(z.string(), z.unknown());

/**
 * Marks replies orphaned by a gateway that stopped (no write for `staleStreamingMs`) as
 * `interrupted`, as a single Hearth does at its next start: their text stays, marked, and
 * search indexes them (it skips replies still streaming). Returns how many.
 */
export function interruptOrphanedReplies(api: Pick<ClusterApi, 'store' | 'now'>): number {
  const before = new Date((api.now ?? Date.now)() - staleStreamingMs).toISOString();
  return api.store.interruptStreaming({
    updatedBefore: before,
    message: 'The gateway streaming this reply stopped before it ended',
  });
}

/** Whether a reply streams in the conversation on some gateway (and is not orphaned). */
export function streamsElsewhere(
  api: Pick<ClusterApi, 'store' | 'now'>,
  conversationId: string,
): boolean {
  const since = api.store.streamingSince(conversationId);
  if (since === undefined) return false;
  return (api.now ?? Date.now)() - Date.parse(since) < staleStreamingMs;
}

/**
 * The routes split gateways use (admin token): the state they run on, and the writes of their
 * turns, since the central service is the only writer of the database.
 */
export function clusterRoutes(api: ClusterApi): ApiRoute[] {
  return [
    ...(api.tools ? toolRoutes(api.tools) : []),
    ...(api.media ? mediaRoutes(api.media) : []),
    defineRoute({
      method: 'GET',
      path: '/cluster/state',
      operationId: 'getClusterState',
      summary: 'What a gateway runs on: the configuration, its version and the token hashes',
      tag,
      access: 'admin',
      response: { status: 200, description: 'The state', schema: anyObject },
      handle: () => {
        const { version, config, tokens } = api.state();
        return { version, config, tokens: tokens.map((t) => ({ ...t })) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/cluster/turns',
      operationId: 'openTurn',
      summary: 'Store the start of a turn: the conversation when new, the message, the reply',
      tag,
      access: 'admin',
      body: turnRecord,
      bodyLimit: 1024 * 1024,
      errors: [ErrorCode.busy, ErrorCode.unknownConversation],
      response: { status: 204, description: 'Stored' },
      handle: ({ body }) => {
        const id = body.user.conversationId;
        if (!body.newConversation && !api.store.getConversation(id))
          throw new HearthError(ErrorCode.unknownConversation, `No conversation ${id}`);
        // Checked and written in one synchronous step: no other turn can start in between.
        if (streamsElsewhere(api, id)) {
          throw new HearthError(
            ErrorCode.busy,
            'A reply is still streaming in this conversation; stop it or wait for it',
          );
        }
        writeTurnRecord(api.store, body);
        return undefined;
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/cluster/messages/:id',
      operationId: 'updateReply',
      summary: 'Write a reply as it grows and when its turn ends',
      tag,
      access: 'admin',
      params: z.object({ id: idText }),
      body: messageUpdate,
      bodyLimit: 4 * 1024 * 1024,
      response: { status: 204, description: 'Written' },
      handle: ({ params, body }) => {
        api.store.updateMessage(params.id, body);
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/cluster/conversations/:id/seq',
      operationId: 'getSeqFloor',
      summary: 'The seq a conversation has reserved: its events are numbered beyond it',
      tag,
      access: 'admin',
      params: z.object({ id: idText }),
      errors: [ErrorCode.unknownConversation],
      response: { status: 200, description: 'The seq', schema: z.object({ seq: z.number() }) },
      handle: ({ params }) => {
        const seq = api.store.lastSeq(params.id);
        if (seq === undefined)
          throw new HearthError(ErrorCode.unknownConversation, `No conversation ${params.id}`);
        return { seq };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/cluster/conversations/:id/history',
      operationId: 'getRecentHistory',
      summary: 'A conversation and its newest messages, for the next turn',
      description:
        'The newest messages whose stored content takes at most `maxBytes`, starting at a user ' +
        'message, and how many earlier ones there are; `maxBytes` 0 gives the conversation alone.',
      tag,
      access: 'admin',
      params: z.object({ id: idText }),
      query: z.strictObject({ maxBytes: z.coerce.number().int().nonnegative() }),
      errors: [ErrorCode.unknownConversation],
      response: { status: 200, description: 'The conversation and its tail', schema: anyObject },
      handle: ({ params, query }) => {
        const conversation = api.store.getConversation(params.id);
        if (!conversation)
          throw new HearthError(ErrorCode.unknownConversation, `No conversation ${params.id}`);
        return { conversation, ...api.store.recentMessages(params.id, query.maxBytes) };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/cluster/conversations/:id/seq',
      operationId: 'reserveSeq',
      summary: 'Reserve seqs up to this one (never lowers the reservation)',
      tag,
      access: 'admin',
      params: z.object({ id: idText }),
      body: z.strictObject({ seq: z.number().int().nonnegative() }),
      response: { status: 204, description: 'Reserved' },
      handle: ({ params, body }) => {
        const current = api.store.lastSeq(params.id);
        if (current !== undefined && body.seq > current) api.store.setLastSeq(params.id, body.seq);
        return undefined;
      },
    }),
  ];
}

function toolRoutes(tools: ClusterTools): ApiRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/cluster/tools',
      operationId: 'listClusterTools',
      summary: 'The tools that run in the central service (MCP servers, devices)',
      tag,
      access: 'admin',
      response: {
        status: 200,
        description: 'The tools',
        schema: z.object({ tools: z.array(anyObject) }),
      },
      handle: () => ({ tools: tools.list() }),
    }),
    defineRoute({
      method: 'POST',
      path: '/cluster/tools/:name/call',
      operationId: 'callClusterTool',
      summary: 'Call a tool for a model; closing the request stops the call',
      tag,
      access: 'admin',
      params: z.object({ name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'a tool name') }),
      body: z.strictObject({ arguments: anyObject }),
      bodyLimit: 1024 * 1024,
      response: {
        status: 200,
        description: 'What the tool answered (an error result when it failed)',
        schema: z.object({ content: z.string(), isError: z.boolean() }),
      },
      handle: ({ params, body, signal }) => tools.call(params.name, body.arguments, signal),
    }),
  ];
}

const mediaBody = z.strictObject({
  mediaType: z.string(),
  /** The image's bytes, base64. */
  data: z.base64(),
});

function mediaRoutes(media: NonNullable<ClusterApi['media']>): ApiRoute[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/cluster/media',
      operationId: 'putClusterMedia',
      summary: 'Keep an image a gateway made (named by the SHA-256 of its bytes)',
      tag,
      access: 'admin',
      body: mediaBody,
      bodyLimit: 32 * 1024 * 1024,
      response: { status: 200, description: 'Its name', schema: z.object({ name: z.string() }) },
      handle: async ({ body }) => ({
        name: (await media.put(Buffer.from(body.data, 'base64'), body.mediaType)).name,
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/cluster/media/:name',
      operationId: 'getClusterMedia',
      summary: 'An image kept here, for a gateway to serve',
      tag,
      access: 'admin',
      params: z.object({ name: z.string().regex(/^[0-9a-f]{64}\.[a-z]{3,4}$/, 'an image name') }),
      errors: [ErrorCode.notFound],
      response: { status: 200, description: 'The image', schema: mediaBody },
      handle: async ({ params }) => {
        const found = await media.get(params.name);
        if (!found) throw new HearthError(ErrorCode.notFound, 'No such image');
        return { mediaType: found.mediaType, data: found.data.toString('base64') };
      },
    }),
  ];
}
