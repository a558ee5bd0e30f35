/**
 * Protocol 1: the frames a client sends and the events it receives over `/ws`.
 * docs/protocol.md is the prose version of this file.
 */
import { z } from 'zod';

export const protocolVersion = 1;

const requestId = z.union([z.string().max(64), z.number().int()]).optional();
const entityId = z.string().min(1).max(64);

export const textPart = z.strictObject({
  type: z.literal('text'),
  text: z.string().min(1).max(200_000),
});
/** What a client may send as a message's content. */
export const inputPart = z.discriminatedUnion('type', [textPart]);
export type InputPart = z.infer<typeof inputPart>;

/** A tool call the model made, as kept in history; `arguments` is the model's JSON text. */
export interface ToolCallPart {
  type: 'tool_call';
  id: string;
  name: string;
  arguments: string;
}

/** What a tool answered to one call. */
export interface ToolResultPart {
  type: 'tool_result';
  callId: string;
  name: string;
  content: string;
  isError: boolean;
}

/** A generated image, served by the gateway under /media/. */
export interface ImagePart {
  type: 'image';
  url: string;
  mediaType: string;
  /** Set when the turn ended before its final image: this is the last preview shown. */
  preview?: boolean;
}

/**
 * A stored message's content, in the order it happened: a reply that used tools holds its text,
 * then its calls, then their results, then more text.
 */
export type ContentPart = InputPart | ToolCallPart | ToolResultPart | ImagePart;

/**
 * The size of a page of messages: a `snapshot`, or the reply to `history`. A client may ask for
 * up to `maxMessages`; the stored content of a page stays within `bytes` (so a frame stays well
 * under 1 MiB, a common client limit) unless one message alone is larger: a page always holds
 * at least one message when there is one.
 */
export const messagePages = { messages: 100, maxMessages: 500, bytes: 512 * 1024 } as const;
const pageLimit = z.number().int().min(1).max(messagePages.maxMessages).optional();

export const clientFrameSchemas = {
  hello: z.strictObject({
    type: z.literal('hello'),
    id: requestId,
    protocol: z.number().int(),
    token: z.string().min(1).max(512),
    client: z.strictObject({ name: z.string().max(100), kind: z.string().max(50) }).optional(),
  }),
  subscribe: z.strictObject({
    type: z.literal('subscribe'),
    id: requestId,
    conversationId: entityId,
    afterSeq: z.number().int().min(0).optional(),
    /** Messages a snapshot carries at most (the newest); `messagePages.messages` by default. */
    snapshotLimit: pageLimit,
  }),
  history: z.strictObject({
    type: z.literal('history'),
    id: requestId,
    conversationId: entityId,
    /** The id of a message: the page holds the messages just before it. */
    before: entityId,
    limit: pageLimit,
  }),
  unsubscribe: z.strictObject({
    type: z.literal('unsubscribe'),
    id: requestId,
    conversationId: entityId,
  }),
  'chat.send': z.strictObject({
    type: z.literal('chat.send'),
    id: requestId,
    conversationId: entityId.optional(),
    profile: z.string().min(1).max(64).optional(),
    content: z.array(inputPart).min(1).max(64),
  }),
  'chat.cancel': z.strictObject({
    type: z.literal('chat.cancel'),
    id: requestId,
    turnId: entityId,
  }),
  'image.generate': z.strictObject({
    type: z.literal('image.generate'),
    id: requestId,
    conversationId: entityId.optional(),
    profile: z.string().min(1).max(64).optional(),
    prompt: z.string().min(1).max(32_000),
    size: z.string().max(20).optional(),
  }),
  'devices.subscribe': z.strictObject({ type: z.literal('devices.subscribe'), id: requestId }),
  'device.set': z.strictObject({
    type: z.literal('device.set'),
    id: requestId,
    deviceId: z.string().min(1).max(256),
    state: z.record(z.string(), z.unknown()),
  }),
  ping: z.strictObject({ type: z.literal('ping'), id: requestId }),
} as const;

export type ClientFrameType = keyof typeof clientFrameSchemas;
export type ClientFrame<T extends ClientFrameType = ClientFrameType> = z.infer<
  (typeof clientFrameSchemas)[T]
>;
export type RequestId = string | number | undefined;

export function isClientFrameType(type: string): type is ClientFrameType {
  return Object.hasOwn(clientFrameSchemas, type);
}

/** What every client is told when a conversation is deleted. */
export function deletedFrame(conversationId: string): {
  type: 'conversation.deleted';
  conversationId: string;
} {
  return { type: 'conversation.deleted', conversationId };
}

/** What every client is told when a conversation gets a new title. */
export function renamedFrame(conversation: { id: string; title: string }): {
  type: 'conversation.renamed';
  conversationId: string;
  title: string;
} {
  return {
    type: 'conversation.renamed',
    conversationId: conversation.id,
    title: conversation.title,
  };
}

/** Why a turn ended, as reported in `turn.done`. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'cancelled';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** Conversation events before the event log numbers them. */
export type TurnEvent =
  | {
      type: 'turn.started';
      turnId: string;
      profile: string;
      model: string;
      userMessageId: string;
      assistantMessageId: string;
      content: InputPart[];
      /**
       * Earlier messages of the conversation the model was not sent, oldest first, because
       * they did not fit its context window; absent when it saw them all.
       */
      omittedMessages?: number;
    }
  | { type: 'text.delta'; turnId: string; text: string }
  /** The model called a tool; `arguments` is parsed when it is valid JSON, else the raw text. */
  | { type: 'tool.call'; turnId: string; callId: string; name: string; arguments: unknown }
  | {
      type: 'tool.result';
      turnId: string;
      callId: string;
      name: string;
      content: string;
      isError: boolean;
    }
  /** A preview of an image being generated; `index` counts previews from 0. */
  | { type: 'image.partial'; turnId: string; index: number; url: string }
  | { type: 'image.done'; turnId: string; url: string; mediaType: string }
  | { type: 'turn.done'; turnId: string; usage: Usage | null; finishReason: FinishReason }
  | { type: 'turn.error'; turnId: string; code: string; message: string };

/** A conversation event as clients see it: numbered by `seq`, one per conversation. */
export type ConversationEvent = TurnEvent & { conversationId: string; seq: number };

export type MessageStatus = 'complete' | 'streaming' | 'cancelled' | 'failed' | 'interrupted';

export interface MessageView {
  id: string;
  turnId: string;
  role: 'user' | 'assistant';
  content: ContentPart[];
  status: MessageStatus;
  profile: string | null;
  model: string | null;
  usage: Usage | null;
  error: { code: string; message: string } | null;
  createdAt: string;
}

export interface ConversationView {
  id: string;
  title: string;
  profile: string | null;
  createdAt: string;
  updatedAt: string;
}
