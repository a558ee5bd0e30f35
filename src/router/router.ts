import { ErrorCode, HearthError, toHearthError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { ContentPart, InputPart } from '../common/protocol.ts';
import { replyContent, type ActiveTurn, type StopReason, type TurnState } from './active-turn.ts';
import type { EventSink } from './event-sink.ts';
import { fitHistory, historyBytes, replyReserve, toolTokens } from './context-budget.ts';
import { streamImageTurn, type ImageTurn, type MediaSink } from './image-turn.ts';
import type { LifecycleContext } from './turn-lifecycle.ts';
import { openTurn, type OpenedTurn } from './open-turn.ts';
import type { ProfileResolver } from './profiles.ts';
import { prefetchFirstRound, streamTurn, toolSpecs } from './stream-turn.ts';
import type { ToolCatalogue } from './tools/catalogue.ts';
import type { TurnStore } from '../mcp/service/store/turn-store.ts';

export interface RouterOptions {
  store: TurnStore;
  tools: ToolCatalogue;
  sink: EventSink;
  profiles: ProfileResolver;
  media: MediaSink;
  logger: Logger;
  checkpointMs: number;
}

export interface TurnInput {
  conversationId?: string | undefined;
  profile?: string | undefined;
  content: InputPart[];
}

export interface ImageInput {
  conversationId?: string | undefined;
  profile?: string | undefined;
  prompt: string;
  size?: string | undefined;
}

/** A turn whose user message is persisted; nothing streams until `start()`. */
export interface AcceptedTurn {
  conversationId: string;
  turnId: string;
  userMessageId: string;
  assistantMessageId: string;
  start(): void;
}

/** The shared part of every turn body's context. */
type TurnContext = Pick<LifecycleContext, 'store' | 'sink' | 'logger' | 'checkpointMs'>;

/** How many previews an image turn asks for. */
const imagePreviews = 2;

/**
 * Lets a provider request started just before reach its socket, so that the turn's commit runs
 * while the provider works on the request rather than ahead of its write. Node's fetch (undici)
 * writes on a reused keep-alive connection only from an immediate of its own, queued after the
 * SDK's promise work and so behind an immediate queued along with the request: hence two check
 * phases. (On a new connection the write follows the connect, which on loopback lands in the
 * poll phase between them; farther away, the commit is done long before the connect.)
 */
function afterRequestLeaves(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * One turn from request to `turn.done`. `accept` and `acceptImage` persist the user's message
 * (so it can be acknowledged), `start` runs the turn apart from any socket; Stop and shutdown
 * abort the provider's request and keep the partial reply.
 */
export class Router {
  readonly #options: RouterOptions;
  readonly #turns = new Map<string, TurnState>();
  readonly #byConversation = new Map<string, TurnState>();
  /** Conversations whose next turn is being opened (storage is asked, asynchronously). */
  readonly #opening = new Set<string>();
  #draining = false;

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  /**
   * Checks and prepares a turn. The conversation is held from the first check, so that two
   * requests arriving together cannot both start a turn in it.
   */
  async #open(
    input: { conversationId: string | undefined; content: InputPart[] },
    profileFor: Parameters<typeof openTurn>[0]['profileFor'],
  ): Promise<OpenedTurn> {
    if (this.#draining)
      throw new HearthError(
        ErrorCode.interrupted,
        'Hearth is shutting down; try again in a moment',
      );
    const held = input.conversationId;
    if (held !== undefined) {
      if (this.isBusy(held)) {
        throw new HearthError(
          ErrorCode.busy,
          'A reply is still streaming in this conversation; stop it or wait for it',
        );
      }
      this.#opening.add(held);
    }
    try {
      return await openTurn({
        store: this.#options.store,
        conversationId: input.conversationId,
        content: input.content,
        profileFor,
      });
    } finally {
      if (held !== undefined) this.#opening.delete(held);
    }
  }

  /**
   * Accepts a chat turn: checks it, starts the first provider request, lets it leave (two check
   * phases of the event loop), then stores the turn. The conversation counts as busy from the
   * start.
   */
  async accept(input: TurnInput): Promise<AcceptedTurn> {
    let resolved: ReturnType<ProfileResolver['resolve']> | undefined;
    const opened = await this.#open(
      { conversationId: input.conversationId, content: input.content },
      (conversation) => {
        resolved = this.#options.profiles.resolve(input.profile, conversation?.profile);
        return {
          id: resolved.id,
          model: resolved.profile.model,
          historyBytes: historyBytes(resolved.contextTokens),
        };
      },
    );
    const { profile, choices, contextTokens } = resolved as NonNullable<typeof resolved>;
    const tools = this.#options.tools.forProfile(profile.tools, profile.toolMode);
    const window = {
      tokens: contextTokens,
      reply: replyReserve(contextTokens, profile.maxTokens),
      tools: toolTokens(toolSpecs(tools)),
    };
    const fitted = fitHistory(profile.system, opened.history, window);
    const turn: ActiveTurn = {
      ...this.#state(opened),
      omittedMessages: opened.earlier + fitted.omitted,
      choices,
      request: {
        model: profile.model,
        messages: fitted.messages,
        ...(profile.temperature !== undefined && { temperature: profile.temperature }),
        ...(profile.maxTokens !== undefined && { maxTokens: profile.maxTokens }),
        ...(profile.contextTokens !== undefined && { contextTokens: profile.contextTokens }),
      },
      tools,
      maxToolRounds: profile.maxToolRounds,
      window,
      earlierMessages: fitted.earlier,
    };
    // The provider request is started before the turn is stored; its events are read only
    // once `start()` runs, after the ack.
    prefetchFirstRound(turn);
    this.#turns.set(turn.turnId, turn);
    this.#byConversation.set(turn.conversationId, turn);
    await afterRequestLeaves();
    try {
      if (turn.controller.signal.aborted) {
        throw new HearthError(
          ErrorCode.interrupted,
          'Hearth is shutting down; try again in a moment',
        );
      }
      await opened.persist();
    } catch (error) {
      this.#turns.delete(turn.turnId);
      this.#byConversation.delete(turn.conversationId);
      turn.controller.abort('cancelled' satisfies StopReason);
      throw error;
    }
    return this.#register(opened, turn, input.content, (context) =>
      streamTurn({ ...context, turn }),
    );
  }

  async acceptImage(input: ImageInput): Promise<AcceptedTurn> {
    const resolved = this.#options.profiles.resolveImage(input.profile);
    const content: InputPart[] = [{ type: 'text', text: input.prompt }];
    // An image model is sent the prompt alone: no history is read.
    const opened = await this.#open({ conversationId: input.conversationId, content }, () => ({
      id: resolved.id,
      model: resolved.profile.model,
      historyBytes: 0,
    }));
    // Held while it is stored; `#register` below marks it busy for the turn.
    this.#opening.add(opened.conversationId);
    try {
      await opened.persist();
    } finally {
      this.#opening.delete(opened.conversationId);
    }
    const turn: ImageTurn = {
      ...this.#state(opened),
      provider: resolved.provider,
      request: {
        model: resolved.profile.model,
        prompt: input.prompt,
        partialImages: imagePreviews,
        ...(input.size !== undefined && { size: input.size }),
      },
    };
    return this.#register(opened, turn, content, (context) =>
      streamImageTurn({ ...context, turn, media: this.#options.media }),
    );
  }

  #state(opened: OpenedTurn): TurnState {
    return {
      turnId: opened.turnId,
      conversationId: opened.conversationId,
      profileId: opened.profile.id,
      model: opened.profile.model,
      assistantMessageId: opened.assistantMessageId,
      controller: new AbortController(),
      parts: [],
      text: '',
      revision: 0,
      done: Promise.resolve(),
      omittedMessages: 0,
    };
  }

  /** What a turn's body works with; made once per turn (its child logger included). */
  #context(turn: TurnState): TurnContext {
    const { store, sink, checkpointMs } = this.#options;
    const logger = this.#options.logger.child({
      conversationId: turn.conversationId,
      turnId: turn.turnId,
    });
    return { store, sink, checkpointMs, logger };
  }

  #register(
    opened: OpenedTurn,
    turn: TurnState,
    content: InputPart[],
    body: (context: TurnContext) => Promise<void>,
  ): AcceptedTurn {
    this.#turns.set(turn.turnId, turn);
    this.#byConversation.set(turn.conversationId, turn);
    return {
      conversationId: turn.conversationId,
      turnId: turn.turnId,
      userMessageId: opened.userMessageId,
      assistantMessageId: turn.assistantMessageId,
      start: () => {
        turn.done = this.#run(turn, content, opened.userMessageId, body);
      },
    };
  }

  async #run(
    turn: TurnState,
    content: InputPart[],
    userMessageId: string,
    body: (context: TurnContext) => Promise<void>,
  ): Promise<void> {
    const { sink } = this.#options;
    const context = this.#context(turn);
    const { logger } = context;
    sink.emit(turn.conversationId, {
      type: 'turn.started',
      turnId: turn.turnId,
      profile: turn.profileId,
      model: turn.model,
      userMessageId,
      assistantMessageId: turn.assistantMessageId,
      content,
      ...(turn.omittedMessages > 0 && { omittedMessages: turn.omittedMessages }),
    });
    logger.info({ profile: turn.profileId, model: turn.model }, 'turn started');
    try {
      await body(context);
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

  /** The reply a turn running here is writing, as far as it has come; storage lags behind it. */
  replyInProgress(
    conversationId: string,
  ): { messageId: string; content: ContentPart[] } | undefined {
    const active = this.#byConversation.get(conversationId);
    return active && { messageId: active.assistantMessageId, content: replyContent(active) };
  }

  /** Whether a turn is running in the conversation here, or is being opened. */
  isBusy(conversationId: string): boolean {
    return this.#byConversation.has(conversationId) || this.#opening.has(conversationId);
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
