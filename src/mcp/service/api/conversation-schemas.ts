/**
 * Zod schemas of what the conversation routes answer, mirroring `ConversationView`,
 * `MessageView` and `SearchHit`. The routes' handlers must return values of these types, so
 * the compiler keeps them and the OpenAPI document in step with the views.
 */
import { z } from 'zod';
import { documented } from './openapi.ts';

const textPart = documented(z.object({ type: z.literal('text'), text: z.string() }), {
  id: 'TextPart',
});
const toolCallPart = documented(
  z.object({
    type: z.literal('tool_call'),
    id: z.string(),
    name: z.string(),
    arguments: documented(z.string(), { description: "The model's JSON text" }),
  }),
  { id: 'ToolCallPart', description: 'A tool call the model made' },
);
const toolResultPart = documented(
  z.object({
    type: z.literal('tool_result'),
    callId: z.string(),
    name: z.string(),
    content: z.string(),
    isError: z.boolean(),
  }),
  { id: 'ToolResultPart', description: 'What a tool answered to one call' },
);
const imagePart = documented(
  z.object({
    type: z.literal('image'),
    url: documented(z.string(), { description: 'Served by the gateway under /media/' }),
    mediaType: z.string(),
  }),
  { id: 'ImagePart', description: 'A generated image' },
);

/** A message's content: text, tool calls and results, images. */
export const contentSchema = z.array(
  z.discriminatedUnion('type', [textPart, toolCallPart, toolResultPart, imagePart]),
);

export const conversationSchema = documented(
  z.object({
    id: z.string(),
    title: z.string(),
    profile: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: documented(z.string(), {
      description: 'When the latest message was added (renaming does not change it)',
    }),
  }),
  { id: 'Conversation' },
);

export const messageSchema = documented(
  z.object({
    id: z.string(),
    turnId: z.string(),
    role: z.enum(['user', 'assistant']),
    content: contentSchema,
    status: z.enum(['complete', 'streaming', 'cancelled', 'failed', 'interrupted']),
    profile: z.string().nullable(),
    model: z.string().nullable(),
    usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }).nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    createdAt: z.string(),
  }),
  {
    id: 'Message',
    description: 'A stored message; a reply still streaming shows the text of its last checkpoint.',
  },
);

export const conversationDetailSchema = documented(
  z.object({
    conversation: conversationSchema,
    messages: z.array(messageSchema),
    earlier: documented(z.number().int(), {
      description: 'How many messages come before the first of `messages` (0: none)',
    }),
  }),
  { id: 'ConversationDetail', description: 'A conversation and its messages, oldest first' },
);

export const conversationPageSchema = documented(
  z.object({
    conversations: z.array(conversationSchema),
    nextCursor: documented(z.string().nullable(), {
      description: 'Pass as `cursor` for the next page; null on the last page',
    }),
  }),
  { id: 'ConversationPage', description: 'Conversations, newest `updatedAt` first' },
);

export const searchHitSchema = documented(
  z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('title'),
      conversationId: z.string(),
      title: z.string(),
      updatedAt: z.string(),
    }),
    z.object({
      kind: z.literal('message'),
      conversationId: z.string(),
      title: z.string(),
      messageId: z.string(),
      role: z.enum(['user', 'assistant']),
      snippet: documented(z.string(), {
        description: 'Plain text around the match, with … where it was cut',
      }),
      createdAt: z.string(),
    }),
  ]),
  { id: 'SearchHit', description: 'A conversation whose title matched, or a matching message' },
);

export const searchResultSchema = documented(z.object({ hits: z.array(searchHitSchema) }), {
  id: 'SearchResult',
  description: 'Title matches (newest first), then message matches (best first)',
});
