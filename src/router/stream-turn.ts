import type { ChatMessage, ChatRequest, ToolSpec } from '../adapters/provider.ts';
import { ErrorCode, HearthError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { Usage } from '../common/protocol.ts';
import type { TurnStore } from '../mcp/service/store/turn-store.ts';
import { closeText, type ActiveTurn } from './active-turn.ts';
import { dropEarlier, limitToolResult, promptBudget, toolResultBytes } from './context-budget.ts';
import { runTurnLifecycle } from './turn-lifecycle.ts';
import type { EventSink } from './event-sink.ts';
import { streamRound } from './stream-round.ts';
import { runToolCall } from './tools/run-tool-call.ts';

export interface StreamTurnContext {
  turn: ActiveTurn;
  store: TurnStore;
  sink: EventSink;
  logger: Logger;
  checkpointMs: number;
}

function addUsage(total: Usage | null, round: Usage | null): Usage | null {
  if (!round) return total;
  if (!total) return round;
  return {
    inputTokens: total.inputTokens + round.inputTokens,
    outputTokens: total.outputTokens + round.outputTokens,
  };
}

/** The arguments as clients are shown them: parsed when valid JSON, else the model's text. */
function shownArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Runs the model's tool calls of one round in parallel and feeds the results back. Each result
 * joins the reply the moment its event goes out, so a snapshot, a checkpoint or a Stop never
 * holds fewer results than clients have seen; results that come after a Stop are dropped.
 */
async function runToolRound(
  context: StreamTurnContext,
  calls: ChatMessage & { role: 'assistant' },
): Promise<void> {
  const { turn, sink } = context;
  const { conversationId, turnId } = turn;
  const signal = turn.controller.signal;
  const toolCalls = calls.toolCalls ?? [];
  for (const call of toolCalls) {
    turn.parts.push({ type: 'tool_call', id: call.id, name: call.name, arguments: call.arguments });
    sink.emit(conversationId, {
      type: 'tool.call',
      turnId,
      callId: call.id,
      name: call.name,
      arguments: shownArguments(call.arguments),
    });
  }
  turn.revision += 1;
  const results = await Promise.all(
    toolCalls.map(async (call) => {
      const ran = await runToolCall(call, turn.tools, signal);
      signal.throwIfAborted();
      const result = {
        ...ran,
        content: limitToolResult(ran.content, toolResultBytes(turn.window)),
      };
      turn.parts.push({ type: 'tool_result', callId: call.id, name: call.name, ...result });
      turn.revision += 1;
      sink.emit(conversationId, {
        type: 'tool.result',
        turnId,
        callId: call.id,
        name: call.name,
        ...result,
      });
      return { call, result };
    }),
  );
  turn.request.messages.push(
    calls,
    ...results.map(({ call, result }) => ({
      role: 'tool' as const,
      toolCallId: call.id,
      name: call.name,
      content: result.content,
      isError: result.isError,
    })),
  );
}

/** The request of one round; the last allowed round offers no tools, so the model answers in words. */
function roundRequest(turn: ActiveTurn, round: number): ChatRequest {
  if (round > 0) {
    // The turn's tool results grew the request: earlier exchanges make room, oldest first.
    const first = turn.request.messages[0]?.role === 'system' ? 1 : 0;
    const budget = promptBudget(turn.window);
    const { dropped, tokens } = dropEarlier(
      turn.request.messages,
      first,
      turn.earlierMessages,
      budget,
    );
    turn.earlierMessages -= dropped;
    // Sent anyway, the request would fail at the provider, or (Ollama) be cut silently.
    if (tokens > budget) {
      throw new HearthError(
        ErrorCode.contextTooLong,
        `This turn's tool results no longer fit the model's context window (about ${tokens} ` +
          `tokens, with room for ${budget}); the reply so far is kept. Ask for less at a time, ` +
          'or give the profile a larger contextTokens if the model takes more.',
      );
    }
  }
  if (round >= turn.maxToolRounds || turn.tools.size === 0) return turn.request;
  return { ...turn.request, tools: toolSpecs(turn.tools) };
}

/** The tools as a provider is offered them. */
export function toolSpecs(tools: ActiveTurn['tools']): ToolSpec[] {
  return [...tools.values()].map(({ name, description, inputSchema }) => ({
    name,
    description,
    inputSchema,
  }));
}

/**
 * Starts the first round's request to the first provider before the turn is stored: the SDK
 * sends it as soon as the handling of the client's frame ends, so it is on its way while the
 * ack and `turn.started` go out. Nothing is read from it until the round runs.
 */
export function prefetchFirstRound(turn: ActiveTurn): void {
  const choice = turn.choices[0];
  if (!choice) return;
  const request = { ...roundRequest(turn, 0), model: choice.model };
  const iterator = choice.provider.stream(request, turn.controller.signal)[Symbol.asyncIterator]();
  const first = iterator.next();
  // Read (and its failure handled) by the first round; this only keeps it from being unhandled.
  first.catch(() => undefined);
  let taken = false;
  turn.prefetched = {
    next: () => {
      if (taken) return iterator.next();
      taken = true;
      return first;
    },
    return: (value?: unknown) =>
      iterator.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
  };
}

/**
 * Streams one chat turn: rounds of provider calls and tool calls until the model answers in
 * text. Ending it (persisting, the last event) is the lifecycle's job.
 */
export async function streamTurn(context: StreamTurnContext): Promise<void> {
  const { turn, sink } = context;
  await runTurnLifecycle(context, async (progress) => {
    for (let round = 0; ; round += 1) {
      const request = roundRequest(turn, round);
      const result = await streamRound({ turn, sink, request });
      progress.usage = addUsage(progress.usage, result.usage);
      if (result.calls.length === 0 || request.tools === undefined) return result.finishReason;
      const roundText = turn.text;
      closeText(turn);
      await runToolRound(context, {
        role: 'assistant',
        content: roundText,
        toolCalls: result.calls,
      });
    }
  });
}
