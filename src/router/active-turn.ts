import type { ChatProvider, ChatRequest } from '../adapters/provider.ts';

/** Why a turn was aborted from outside: a user's Stop, or Hearth shutting down. */
export type StopReason = 'cancelled' | 'shutdown';

/** A turn that has been accepted and not yet finished; its text grows as deltas arrive. */
export interface ActiveTurn {
  turnId: string;
  conversationId: string;
  profileId: string;
  model: string;
  assistantMessageId: string;
  provider: ChatProvider;
  request: ChatRequest;
  controller: AbortController;
  text: string;
  /** Settles when the turn has persisted its reply and emitted its last event. */
  done: Promise<void>;
}

export function stopReasonOf(signal: AbortSignal): StopReason {
  return signal.reason === 'shutdown' ? 'shutdown' : 'cancelled';
}
