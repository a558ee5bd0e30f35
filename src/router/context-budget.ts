import type { ChatMessage, ToolSpec } from '../adapters/provider.ts';
import type { ChatKind } from '../common/config/schema.ts';
import { ErrorCode, HearthError } from '../common/errors.ts';
import type { MessageView } from '../common/protocol.ts';
import { providerMessages } from './history.ts';

/**
 * A model's context window when its profile does not set `contextTokens`: for Ollama, the
 * smallest default its versions use (2,048 in old ones, 4,096 since, and more where recent ones
 * size it by GPU memory); for servers that load whatever their operator chose (llama.cpp,
 * vLLM, LM Studio), a common size; for hosted models, the smaller windows of current ones. A
 * server set up for more is used fully only with `contextTokens` set to match.
 */
export const defaultContextTokens: Record<ChatKind, number> = {
  openai: 128_000,
  anthropic: 200_000,
  ollama: 4_096,
  'openai-compatible': 8_192,
};

/**
 * Bytes of stored messages to read for a window of `contextTokens`: twice the most text that
 * can fit (a token per 3 bytes), since messages are stored as JSON, whose quoting can double
 * text at worst. Reading stops there, so a long conversation costs what its tail costs.
 */
export function historyBytes(contextTokens: number): number {
  return contextTokens * 3 * 2;
}

/** Tokens set aside for the reply when the profile has no `maxTokens`: a quarter, at most 4,096. */
export function replyReserve(contextTokens: number, maxTokens: number | undefined): number {
  return maxTokens ?? Math.min(4_096, Math.floor(contextTokens / 4));
}

/** What a turn's request has to fit in, in tokens. */
export interface ContextWindow {
  /** The model's whole window. */
  tokens: number;
  /** Set aside for the reply. */
  reply: number;
  /** The tools' schemas, sent with every round. */
  tools: number;
}

/**
 * Tokens of `text` as Hearth estimates them without the model's tokenizer: one per three bytes
 * of UTF-8. English runs about four characters to a token and most other scripts fewer bytes
 * per token than three, so the estimate usually errs high. It can err low for text that some
 * tokenizers split finely (long runs of digits, emoji), which the reply's reserve absorbs.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 3);
}

/** What each message costs beyond its text (role and separators in the model's template). */
const perMessage = 4;

function messageTokens(message: ChatMessage): number {
  let tokens = perMessage + estimateTokens(message.content);
  if (message.role === 'assistant') {
    for (const call of message.toolCalls ?? []) {
      tokens += perMessage + estimateTokens(call.name) + estimateTokens(call.arguments);
    }
  } else if (message.role === 'tool') {
    tokens += estimateTokens(message.name);
  }
  return tokens;
}

/**
 * Drops whole exchanges (a user message and what follows it up to the next) from the start of
 * `messages[first, first + count)`, the earlier conversation, until the request fits `budget`
 * tokens or none is left. Returns how many messages it dropped, and the request's tokens then.
 */
export function dropEarlier(
  messages: ChatMessage[],
  first: number,
  count: number,
  budget: number,
): { dropped: number; tokens: number } {
  let tokens = tokensOf(messages);
  let dropped = 0;
  while (tokens > budget && dropped < count) {
    let end = first + 1;
    while (end < first + count - dropped && messages[end]?.role !== 'user') end += 1;
    for (const message of messages.splice(first, end - first)) tokens -= messageTokens(message);
    dropped += end - first;
  }
  return { dropped, tokens };
}

/**
 * The most bytes of one tool result the model is sent (and clients shown, and storage kept): a
 * quarter of the window (at 3 bytes a token), at least 1 KiB, before the note saying it was
 * cut. A tool that returns a whole web page or file must not fill the window.
 */
export function toolResultBytes(window: ContextWindow): number {
  return Math.max(1024, Math.floor((window.tokens * 3) / 4));
}

const encoder = new TextEncoder();

/**
 * `content` cut to at most `maxBytes` of UTF-8 (never inside a character), with a note saying
 * so; unchanged when it fits.
 */
export function limitToolResult(content: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes <= maxBytes) return content;
  const { read, written } = encoder.encodeInto(content, new Uint8Array(maxBytes));
  return (
    `${content.slice(0, read)}\n[Hearth cut this result to fit the model's context window: the ` +
    `tool returned ${bytes} bytes; the first ${written} bytes are above.]`
  );
}

function tokensOf(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, message) => sum + messageTokens(message), 0);
}

/** Tokens the messages may take: the window less the reply's reserve and the tools' schemas. */
export function promptBudget(window: ContextWindow): number {
  return window.tokens - window.reply - window.tools;
}

export function toolTokens(tools: readonly ToolSpec[]): number {
  return tools.length === 0 ? 0 : estimateTokens(JSON.stringify(tools));
}

export interface FittedHistory {
  messages: ChatMessage[];
  /** Stored messages left out, oldest first, to fit the context window. */
  omitted: number;
  /** Of `messages`, those of earlier exchanges: after the system prompt, before the newest. */
  earlier: number;
  /** The estimate of what is sent, in tokens. */
  tokens: number;
}

/**
 * The messages a provider sees within the window (less the reply's reserve and the tools'
 * schemas): the system prompt, the newest message (the user's, always), then whole earlier
 * exchanges, newest first, as far as they fit. An exchange is a user message and the replies
 * after it, so a tool call never loses its result and a reply never loses its question; replies
 * with no question before them are left out. When even the system prompt and the newest message
 * do not fit, the turn is refused with `context_too_long` rather than sent to a model that would
 * cut it or fail.
 */
export function fitHistory(
  system: string | undefined,
  history: readonly MessageView[],
  window: ContextWindow,
): FittedHistory {
  const budget = promptBudget(window);
  const head: ChatMessage[] = system ? [{ role: 'system', content: system }] : [];
  let tokens = tokensOf(head);
  const exchanges = splitExchanges(history);
  const newest = exchanges.pop();
  const kept: ChatMessage[][] = [];
  if (newest) {
    const messages = newest.flatMap(providerMessages);
    tokens += tokensOf(messages);
    if (tokens > budget) throw tooLong(tokens, window);
    kept.push(messages);
  }
  let omitted = 0;
  for (let index = exchanges.length - 1; index >= 0; index -= 1) {
    const exchange = exchanges[index] as MessageView[];
    const messages = exchange.flatMap(providerMessages);
    const cost = tokensOf(messages);
    if (exchange[0]?.role !== 'user' || tokens + cost > budget) {
      omitted = exchanges.slice(0, index + 1).reduce((sum, e) => sum + e.length, 0);
      break;
    }
    tokens += cost;
    kept.push(messages);
  }
  const earlier = kept.slice(1).reduce((sum, messages) => sum + messages.length, 0);
  return { messages: [...head, ...kept.reverse().flat()], omitted, earlier, tokens };
}

function tooLong(tokens: number, window: ContextWindow): HearthError {
  const room = Math.max(0, promptBudget(window));
  const tools = window.tools > 0 ? `, ${window.tools} for the tools' schemas` : '';
  return new HearthError(
    ErrorCode.contextTooLong,
    `The message is about ${tokens} tokens with the system prompt. The profile's model has a ` +
      `window of ${window.tokens} tokens (contextTokens): ${window.reply} are kept for the reply ` +
      `(maxTokens)${tools}, which leaves ${room}. Shorten the message, or give the profile a ` +
      'larger contextTokens if the model takes more.',
  );
}

/** Stored messages in exchanges: each user message with what follows it until the next. */
function splitExchanges(history: readonly MessageView[]): MessageView[][] {
  const exchanges: MessageView[][] = [];
  for (const message of history) {
    const current = exchanges.at(-1);
    if (message.role === 'user' || !current) exchanges.push([message]);
    else current.push(message);
  }
  return exchanges;
}
