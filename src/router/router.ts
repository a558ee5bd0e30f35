import { ErrorCode, HearthError, toHearthError } from '../common/errors.ts';
import { newId } from '../common/ids.ts';
import type { Logger } from '../common/logger.ts';
import type { ConversationView, InputPart, MessageView } from '../common/protocol.ts';
import type { ConversationStore } from '../mcp/service/store/conversation-store.ts';
import { replyContent, type ActiveTurn, type StopReason } from './active-turn.ts';
import type { EventSink } from './event-sink.ts';
import { buildChatMessages, titleFrom } from './history.ts';
import type { ProfileResolver } from './profiles.ts';
import { streamTurn } from './stream-turn.ts';
import type { ToolCatalogue } from './tools/catalogue.ts';

export interface RouterOptions {
  store: ConversationStore;
  tools: ToolCatalogue;
  sink: EventSink;
  profiles: ProfileResolver;
  logger: Logger;
  checkpointMs: number;
}

export interface TurnInput {
  conversationId?: string | undefined;
  profile?: string | undefined;
  content: InputPart[];
}

/** A turn whose user message is persisted; nothing streams until `start()`. */
export interface AcceptedTurn {
  conversationId: string;
  turnId: string;
  userMessageId: string;
  assistantMessageId: string;
  start(): void;
}

/**
 * One chat turn from request to `turn.done`. `accept` persists the user's message (so it can
 * be acknowledged), `start` runs the turn apart from any socket; Stop and shutdown abort the
 * provider's request and keep the partial reply.
 */
export class Router {
  readonly #options: RouterOptions;
  readonly #turns = new Map<string, ActiveTurn>();
  readonly #byConversation = new Map<string, ActiveTurn>();
  #draining = false;

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  accept(input: TurnInput): AcceptedTurn {
    const { store, profiles } = this.#options;
    if (this.#draining)
      throw new HearthError(
        ErrorCode.interrupted,
        'Hearth is shutting down; try again in a moment',
      );
    let conversation: ConversationView | undefined;
    if (input.conversationId !== undefined) {
      conversation = store.getConversation(input.conversationId);
      if (!conversation)
        throw new HearthError(
          ErrorCode.unknownConversation,
          `No conversation ${input.conversationId}`,
        );
      if (this.#byConversation.has(conversation.id)) {
        throw new HearthError(
          ErrorCode.busy,
          'A reply is still streaming in this conversation; stop it or wait for it',
        );
      }
    }
    const resolved = profiles.resolve(input.profile, conversation?.profile);
    conversation ??= store.createConversation({
      id: newId('c'),
      title: titleFrom(input.content),
      profile: resolved.id,
    });

    const turnId = newId('t');
    const common = { conversationId: conversation.id, turnId, profile: resolved.id };
    const user = store.insertMessage({
      ...common,
      id: newId('m'),
      role: 'user',
      content: input.content,
      status: 'complete',
      model: null,
    });
    const history = store.listMessages(conversation.id);
    const assistant = store.insertMessage({
      ...common,
      id: newId('m'),
      role: 'assistant',
      content: [],
      status: 'streaming',
      model: resolved.profile.model,
    });

    const request = {
      model: resolved.profile.model,
      messages: buildChatMessages(resolved.profile.system, history),
      ...(resolved.profile.temperature === undefined
        ? {}
        : { temperature: resolved.profile.temperature }),
      ...(resolved.profile.maxTokens === undefined
        ? {}
        : { maxTokens: resolved.profile.maxTokens }),
    };
    const turn: ActiveTurn = {
      turnId,
      conversationId: conversation.id,
      profileId: resolved.id,
      model: resolved.profile.model,
      assistantMessageId: assistant.id,
      choices: resolved.choices,
      request,
      tools: this.#options.tools.forProfile(resolved.profile.tools),
      maxToolRounds: resolved.profile.maxToolRounds,
      controller: new AbortController(),
      parts: [],
      text: '',
      revision: 0,
      done: Promise.resolve(),
    };
    this.#turns.set(turnId, turn);
    this.#byConversation.set(conversation.id, turn);
    return {
      conversationId: conversation.id,
      turnId,
      userMessageId: user.id,
      assistantMessageId: assistant.id,
      start: () => {
        turn.done = this.#run(turn, input.content, user.id);
      },
    };
  }

  async #run(turn: ActiveTurn, content: InputPart[], userMessageId: string): Promise<void> {
    const { sink, store, checkpointMs } = this.#options;
    const logger = this.#options.logger.child({
      conversationId: turn.conversationId,
      turnId: turn.turnId,
    });
    sink.emit(turn.conversationId, {
      type: 'turn.started',
      turnId: turn.turnId,
      profile: turn.profileId,
      model: turn.model,
      userMessageId,
      assistantMessageId: turn.assistantMessageId,
      content,
    });
    logger.info({ profile: turn.profileId, model: turn.model }, 'turn started');
    try {
      await streamTurn({ turn, store, sink, logger, checkpointMs });
    } catch (error) {
      // Storage failed while ending the turn: still end it for every client.
      logger.error({ err: error }, 'turn could not be finished');
      sink.emit(turn.conversationId, {
        type: 'turn.error',
        turnId: turn.turnId,
        ...toHearthError(error).toWire(),
      });
    } finally {
      this.#turns.delete(turn.turnId);
      this.#byConversation.delete(turn.conversationId);
    }
  }

  /** Stops a running turn: its provider request is aborted. False when no such turn runs. */
  cancel(turnId: string, reason: StopReason = 'cancelled'): boolean {
    const turn = this.#turns.get(turnId);
    if (!turn) return false;
    turn.controller.abort(reason);
    return true;
  }

  /** The persisted conversation, with replies still streaming shown as far as they have come. */
  snapshot(
    conversationId: string,
  ): { conversation: ConversationView; messages: MessageView[] } | undefined {
    const { store } = this.#options;
    const conversation = store.getConversation(conversationId);
    if (!conversation) return undefined;
    const active = this.#byConversation.get(conversationId);
    const messages = store
      .listMessages(conversationId)
      .map((message) =>
        active && message.id === active.assistantMessageId
          ? { ...message, content: replyContent(active) }
          : message,
      );
    return { conversation, messages };
  }

  get runningTurns(): number {
    return this.#turns.size;
  }

  /** Aborts every running turn as interrupted and waits until each has persisted its reply. */
  async shutdown(): Promise<void> {
    this.#draining = true;
    const turns = [...this.#turns.values()];
    for (const turn of turns) turn.controller.abort('shutdown' satisfies StopReason);
    await Promise.all(turns.map((turn) => turn.done));
  }
}
