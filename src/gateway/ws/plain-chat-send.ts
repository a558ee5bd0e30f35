import type { ClientFrame } from '../../common/protocol.ts';

/** The bounds of `chat.send` in common/protocol.ts, repeated here; a test holds them together. */
export const chatSendBounds = {
  id: 64,
  conversationId: 64,
  profile: 64,
  parts: 64,
  text: 200_000,
} as const;

const frameKeys = new Set(['type', 'id', 'conversationId', 'profile', 'content']);

function boundedText(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= max;
}

function textPart(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const part = value as Record<string, unknown>;
  return (
    part.type === 'text' &&
    boundedText(part.text, chatSendBounds.text) &&
    Object.keys(part).length === 2
  );
}

/**
 * A `chat.send` frame checked by hand, for the start of every turn: zod takes about 0.1 ms
 * there, before the provider request can leave. Returns the frame only when the schema accepts
 * it too (and as zod would return it); undefined for anything else, valid or not, which zod
 * then checks and explains.
 */
export function plainChatSend(
  value: Record<string, unknown>,
): ClientFrame<'chat.send'> | undefined {
  for (const key of Object.keys(value)) if (!frameKeys.has(key)) return undefined;
  const { type, id, conversationId, profile, content } = value;
  if (type !== 'chat.send') return undefined;
  if (id !== undefined) {
    const valid =
      typeof id === 'string' ? id.length <= chatSendBounds.id : Number.isSafeInteger(id);
    if (!valid) return undefined;
  }
  if (conversationId !== undefined && !boundedText(conversationId, chatSendBounds.conversationId))
    return undefined;
  if (profile !== undefined && !boundedText(profile, chatSendBounds.profile)) return undefined;
  if (!Array.isArray(content) || content.length < 1 || content.length > chatSendBounds.parts)
    return undefined;
  for (const part of content) if (!textPart(part)) return undefined;
  return value as ClientFrame<'chat.send'>;
}
