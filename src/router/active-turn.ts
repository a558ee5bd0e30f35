import type { ChatRequest, ProviderEvent } from '../adapters/provider.ts';
import type { ContentPart } from '../common/protocol.ts';
import type { ContextWindow } from './context-budget.ts';
import type { ProviderChoice } from './profiles.ts';
import type { Tool } from './tools/tool.ts';

/** Why a turn was aborted from outside: a user's Stop, or Hearth shutting down. */
export type StopReason = 'cancelled' | 'shutdown';

/** What every running turn has, chat or image: its ids, its Stop, and its reply so far. */
export interface TurnState {
  turnId: string;
  conversationId: string;
  profileId: string;
  model: string;
  assistantMessageId: string;
  controller: AbortController;
  /** Finished parts of the reply: text of earlier rounds, tool calls and results, images. */
  parts: ContentPart[];
  /** Text of the current round, not yet a part. */
  text: string;
  /** Grows on every change, so checkpoints can tell whether anything is new. */
  revision: number;
  /** Settles when the turn has persisted its reply and emitted its last event. */
  done: Promise<void>;
  /** Earlier messages the model was not sent, to fit its context window (0: none). */
  omittedMessages: number;
}

/** A chat turn that has been accepted and not yet finished. */
export interface ActiveTurn extends TurnState {
  /** Providers to try in order until one starts answering; later rounds keep the one that did. */
  choices: ProviderChoice[];
  /** The request of the next round; tool rounds append to its messages. */
  request: ChatRequest;
  tools: ReadonlyMap<string, Tool>;
  maxToolRounds: number;
  /** What every round's request must fit in (context-budget.ts). */
  window: ContextWindow;
  /**
   * Messages of earlier exchanges in `request.messages`, right after the system prompt, that a
   * later round may still drop, oldest first, when the turn's tool results outgrow the window.
   */
  earlierMessages: number;
  /** The first provider call, started before the turn was stored; read by the first round. */
  prefetched?: AsyncIterator<ProviderEvent> | undefined;
}

export function stopReasonOf(signal: AbortSignal): StopReason {
  return signal.reason === 'shutdown' ? 'shutdown' : 'cancelled';
}

/** The reply so far, as it would be stored now. */
export function replyContent(turn: TurnState): ContentPart[] {
  return turn.text === '' ? [...turn.parts] : [...turn.parts, { type: 'text', text: turn.text }];
}

/** Moves the current round's text into the finished parts. */
export function closeText(turn: TurnState): void {
  if (turn.text === '') return;
  turn.parts.push({ type: 'text', text: turn.text });
  turn.text = '';
}
