import type { ChatRequest, ProviderFinishReason, ToolCallRequest } from '../adapters/provider.ts';
import { ErrorCode, HearthError, toHearthError } from '../common/errors.ts';
import type { Usage } from '../common/protocol.ts';
import type { ActiveTurn } from './active-turn.ts';
import type { EventSink } from './event-sink.ts';
import type { ProviderChoice } from './profiles.ts';
import { TextBatcher } from './text-batcher.ts';

export interface RoundResult {
  calls: ToolCallRequest[];
  finishReason: ProviderFinishReason;
  usage: Usage | null;
}

/**
 * Streams one provider call of a turn into the sink. While nothing has reached a client yet, a
 * failing provider hands over to the next choice; once a token or tool call was shown, a failure
 * ends the turn, since a second model cannot continue the first one's sentence.
 */
export async function streamRound(options: {
  turn: ActiveTurn;
  request: ChatRequest;
  sink: EventSink;
}): Promise<RoundResult> {
  const { turn, sink } = options;
  const signal = turn.controller.signal;
  const failures: string[] = [];
  for (const [index, choice] of turn.choices.entries()) {
    let shown = false;
    const calls: ToolCallRequest[] = [];
    let usage: Usage | null = null;
    let finishReason: ProviderFinishReason = 'stop';
    // Text parsed from one network read leaves as one delta (text-batcher.ts); the turn's text
    // grows once its delta is out, so a snapshot or checkpoint never holds text no client was
    // sent, nor text whose delta failed.
    const batcher = new TextBatcher((text) => {
      sink.emit(turn.conversationId, { type: 'text.delta', turnId: turn.turnId, text });
      turn.text += text;
      turn.revision += 1;
    });
    try {
      const prefetched = index === 0 ? turn.prefetched : undefined;
      turn.prefetched = undefined;
      const events = prefetched
        ? { [Symbol.asyncIterator]: () => prefetched }
        : choice.provider.stream({ ...options.request, model: choice.model }, signal);
      for await (const event of events) {
        if (signal.aborted) break;
        if (event.type === 'text') {
          if (event.text === '') continue;
          shown = true;
          batcher.push(event.text);
        } else if (event.type === 'tool_call') {
          shown = true;
          calls.push(event.call);
        } else if (event.type === 'usage') {
          usage = event.usage;
        } else {
          finishReason = event.reason;
        }
      }
      batcher.flush();
      if (signal.aborted) throw signal.reason;
      turn.choices = [choice];
      return { calls, finishReason, usage };
    } catch (error) {
      // Whatever was shown stays the turn's partial text, marked by how the turn ends. The
      // error to report is the one that ended the round, not a failure to send the rest.
      try {
        batcher.flush();
      } catch {
        // The turn ends with `error` below either way.
      }
      if (signal.aborted || shown || turn.choices.length === 1) throw error;
      const failure = toHearthError(error);
      failures.push(`${describe(choice)}: ${failure.toWire().message}`);
      if (index === turn.choices.length - 1) {
        throw new HearthError(
          failure.code === ErrorCode.internal ? ErrorCode.providerError : failure.code,
          `Every provider failed. ${failures.join(' | ')}`,
          { cause: error },
        );
      }
    }
  }
  throw new HearthError(ErrorCode.noProvider, 'No provider to try');
}

function describe(choice: ProviderChoice): string {
  return `${choice.provider.id} (${choice.model})`;
}
