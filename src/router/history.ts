import type { ChatMessage } from '../adapters/provider.ts';
import type { ContentPart, MessageView } from '../common/protocol.ts';

export function textOf(content: readonly ContentPart[]): string {
  return content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
}

/**
 * Turns one stored assistant reply back into provider messages: each round's text with the tool
 * calls it made, then their results. A call whose result never came (the turn was stopped) is
 * dropped, since providers refuse a call without a result.
 */
function assistantMessages(content: readonly ContentPart[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let text = '';
  let calls: Array<{ id: string; name: string; arguments: string }> = [];
  const answered = new Set(content.flatMap((p) => (p.type === 'tool_result' ? [p.callId] : [])));
  for (const part of content) {
    if (part.type === 'text') {
      if (calls.length > 0) {
        text = '';
        calls = [];
      }
      text += part.text;
    } else if (part.type === 'tool_call') {
      if (answered.has(part.id))
        calls.push({ id: part.id, name: part.name, arguments: part.arguments });
    } else if (part.type === 'image') {
      // Models see that an image was made, not its bytes.
      text += `[image: ${part.url}]`;
    } else {
      if (calls.length > 0) {
        messages.push({ role: 'assistant', content: text, toolCalls: calls });
        text = '';
        calls = [];
      }
      messages.push({
        role: 'tool',
        toolCallId: part.callId,
        name: part.name,
        content: part.content,
        isError: part.isError,
      });
    }
  }
  if (text !== '') messages.push({ role: 'assistant', content: text });
  return messages;
}

/**
 * What one stored message becomes for a provider (context-budget.ts puts them together): none
 * for a reply still streaming. Replies that were cut short keep what the user saw; replies with
 * nothing in them give nothing, so the model never sees an empty assistant turn.
 */
export function providerMessages(message: MessageView): ChatMessage[] {
  if (message.status === 'streaming') return [];
  if (message.role === 'user') return [{ role: 'user', content: textOf(message.content) }];
  return assistantMessages(message.content);
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
