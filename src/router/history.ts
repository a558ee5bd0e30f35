import type { ChatMessage } from '../adapters/provider.ts';
import type { ContentPart, MessageView } from '../common/protocol.ts';

export function textOf(content: readonly ContentPart[]): string {
  return content.map((part) => part.text).join('\n');
}

/**
 * The messages a provider sees: the profile's system prompt, then the conversation. Replies
 * that were cut short keep the text the user saw; replies with no text are left out, so the
 * model never sees an empty assistant turn.
 */
export function buildChatMessages(
  system: string | undefined,
  history: readonly MessageView[],
): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (system) messages.push({ role: 'system', content: system });
  for (const message of history) {
    if (message.status === 'streaming') continue;
    const text = textOf(message.content);
    if (message.role === 'assistant' && text === '') continue;
    messages.push({ role: message.role, content: text });
  }
  return messages;
}

/** A conversation's title from its first message: the first line, at most 60 characters. */
export function titleFrom(content: readonly ContentPart[]): string {
  const line = (
    textOf(content)
      .split('\n')
      .find((l) => l.trim() !== '') ?? 'New conversation'
  ).trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
