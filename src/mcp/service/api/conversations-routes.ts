/**
 * `/conversations`: browse, read, rename, delete and search the household's conversations.
 * Any valid token (admin or user role) may do all of this: conversations belong to the home,
 * not to one person, just as every client sees every conversation over the WebSocket.
 */
import { z } from 'zod';
import { ErrorCode, HearthError } from '../../../common/errors.ts';
import { messagePages, type ConversationView } from '../../../common/protocol.ts';
import type { ConversationLibrary, PageCursor } from '../store/conversation-store.ts';
import {
  conversationDetailSchema,
  conversationPageSchema,
  conversationSchema,
  searchResultSchema,
} from './conversation-schemas.ts';
import { documented } from './openapi.ts';
import { defineRoute, type ApiRoute } from './route.ts';

export interface ConversationRoutesDeps {
  store: ConversationLibrary;
  /** Whether a reply is streaming in the conversation; such a conversation is not deleted. */
  isBusy?: ((conversationId: string) => boolean) | undefined;
  onDeleted?: ((conversationId: string) => void) | undefined;
  onRenamed?: ((conversation: ConversationView) => void) | undefined;
}

/** An opaque cursor: base64url of `[updatedAt, id]` of the last conversation of a page. */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.updatedAt, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): PageCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      value.every((part) => typeof part === 'string' && part.length > 0 && part.length <= 100)
    ) {
      const [updatedAt, id] = value as [string, string];
      return { updatedAt, id };
    }
  } catch {
    // Falls through: not a cursor.
  }
  return undefined;
}

const idParams = z.strictObject({
  id: documented(z.string().min(1).max(64), { description: 'The conversation id' }),
});

const listQuery = z.strictObject({
  limit: documented(z.coerce.number().int().min(1).max(200).default(50), {
    description: 'Conversations per page',
  }),
  cursor: documented(
    z
      .string()
      .max(512)
      .transform((text, context): PageCursor => {
        const cursor = decodeCursor(text);
        if (cursor) return cursor;
        context.addIssue({ code: 'custom', message: 'Not a cursor this API gave out' });
        return z.NEVER;
      })
      .optional(),
    { description: '`nextCursor` of the previous page; omit for the first page' },
  ),
});

const detailQuery = z.strictObject({
  limit: documented(z.coerce.number().int().min(1).max(messagePages.maxMessages).optional(), {
    description:
      'Only the newest this many messages (before `before`), within about 512 KiB of content ' +
      'but at least one; omit both `limit` and `before` for every message',
  }),
  before: documented(z.string().min(1).max(64).optional(), {
    description: `Only messages older than this message id (${messagePages.messages} unless \`limit\` says)`,
  }),
});

const searchQuery = z.strictObject({
  q: documented(z.string().trim().min(1).max(200), {
    description: 'Words to find; each must match a whole word or the start of one',
  }),
  limit: documented(z.coerce.number().int().min(1).max(100).default(20), {
    description: 'Most hits to return',
  }),
});

const renameBody = z.strictObject({
  title: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
});

function found(conversation: ConversationView | undefined, id: string): ConversationView {
  if (!conversation) throw new HearthError(ErrorCode.unknownConversation, `No conversation ${id}`);
  return conversation;
}

export function conversationRoutes(deps: ConversationRoutesDeps): ApiRoute[] {
  const { store } = deps;
  const tag = 'conversations';
  return [
    defineRoute({
      method: 'GET',
      path: '/conversations',
      operationId: 'listConversations',
      summary: 'List conversations, newest first, a page at a time',
      description:
        'Ordered by `updatedAt` (the latest message), newest first. A conversation that gets ' +
        'a new message while you page moves to the front, so it may be missed or seen twice.',
      tag,
      query: listQuery,
      response: { status: 200, description: 'One page', schema: conversationPageSchema },
      handle: ({ query }) => {
        const page = store.listConversations({ limit: query.limit, after: query.cursor });
        return {
          conversations: page.conversations,
          nextCursor: page.next ? encodeCursor(page.next) : null,
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/conversations/search',
      operationId: 'searchConversations',
      summary: 'Search conversation titles and message text',
      description:
        'Every word must match (a word also matches as a prefix). A reply is searchable once ' +
        'it has stopped streaming.',
      tag,
      query: searchQuery,
      response: { status: 200, description: 'What matched', schema: searchResultSchema },
      handle: ({ query }) => ({ hits: store.searchMessages(query.q, query.limit) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/conversations/:id',
      operationId: 'getConversation',
      summary: 'Get a conversation with its messages, or a page of them',
      description:
        'Every message, or with `limit` or `before` a page: the newest messages (before ' +
        '`before`), oldest first. `earlier` counts the messages before the first one given; to ' +
        'page back, pass the first message id as `before`.',
      tag,
      params: idParams,
      query: detailQuery,
      errors: [ErrorCode.unknownConversation, ErrorCode.unknownMessage],
      response: {
        status: 200,
        description: 'The conversation and its messages',
        schema: conversationDetailSchema,
      },
      handle: ({ params, query }) => {
        const conversation = found(store.getConversation(params.id), params.id);
        if (query.limit === undefined && query.before === undefined)
          return { conversation, messages: store.listMessages(params.id), earlier: 0 };
        const page = store.messagePage(params.id, {
          limit: query.limit ?? messagePages.messages,
          maxBytes: messagePages.bytes,
          before: query.before,
        });
        if (!page)
          throw new HearthError(
            ErrorCode.unknownMessage,
            `No message ${String(query.before)} in conversation ${params.id}`,
          );
        return { conversation, ...page };
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/conversations/:id',
      operationId: 'renameConversation',
      summary: 'Rename a conversation',
      description:
        'The title is trimmed, and must then be 1 to 200 characters. Every WebSocket client ' +
        'is told (`conversation.renamed`).',
      tag,
      params: idParams,
      body: renameBody,
      errors: [ErrorCode.unknownConversation],
      response: {
        status: 200,
        description: 'The renamed conversation',
        schema: conversationSchema,
      },
      handle: ({ params, body }) => {
        const renamed = found(store.renameConversation(params.id, body.title), params.id);
        deps.onRenamed?.(renamed);
        return renamed;
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/conversations/:id',
      operationId: 'deleteConversation',
      summary: 'Delete a conversation and all its messages',
      description:
        'Refused with 409 `busy` while a reply streams in it: stop the turn first. Every ' +
        'WebSocket client is told (`conversation.deleted`), those watching it get no more ' +
        'events, and subscribing to it answers `unknown_conversation`.',
      tag,
      params: idParams,
      errors: [ErrorCode.unknownConversation, ErrorCode.busy],
      response: { status: 204, description: 'Deleted' },
      handle: ({ params }) => {
        // Checked and deleted in one synchronous step: no turn can start in between.
        if (deps.isBusy?.(params.id))
          throw new HearthError(
            ErrorCode.busy,
            'A reply is still streaming in this conversation; stop it before deleting it',
          );
        if (!store.deleteConversation(params.id))
          throw new HearthError(ErrorCode.unknownConversation, `No conversation ${params.id}`);
        deps.onDeleted?.(params.id);
        return undefined;
      },
    }),
  ];
}
