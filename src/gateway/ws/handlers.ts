import type { HearthConfig } from '../../common/config/schema.ts';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import { messagePages, type ClientFrame, type RequestId } from '../../common/protocol.ts';
import type { MessagePage } from '../../mcp/service/store/message-pages.ts';
import type { ProfileResolver } from '../../router/profiles.ts';
import type { AcceptedTurn, Router } from '../../router/router.ts';
import type { TokenAuth } from '../auth/token-auth.ts';
import type { DeviceFeed } from '../devices/device-feed.ts';
import type { ConversationHub } from '../hub/conversation-hub.ts';
import type { Session } from './session.ts';

export interface HandlerDeps {
  auth: TokenAuth;
  hub: ConversationHub;
  /**
   * Stops a turn running on another gateway (split mode); resolves false when no gateway runs
   * it. Without it, only this process's turns can be stopped.
   */
  cancelElsewhere?: (turnId: string) => Promise<boolean>;
  router: Router;
  /**
   * The `limit` messages of a conversation just before message `before`, for `history`;
   * throws (or rejects) `unknown_conversation` or `unknown_message`.
   */
  history: (
    conversationId: string,
    before: string,
    limit: number,
  ) => MessagePage | Promise<MessagePage>;
  /** The home's devices, for `devices.subscribe` and `device.set`. */
  devices: DeviceFeed;
  profiles: ProfileResolver;
  limits: HearthConfig['limits'];
  setupHint: string;
}

/**
 * Subscribes the sender to its own turn, acknowledges it, and lets it run; the ack and
 * `turn.started` leave together.
 */
function startTurn(
  session: Session,
  turn: AcceptedTurn,
  id: { id?: RequestId },
  deps: HandlerDeps,
): void {
  // The sender watches its own turn from here on, whether or not it subscribed before; a
  // sender gone meanwhile is not subscribed, and its turn runs all the same.
  if (!session.isClosed && !deps.hub.isSubscribed(session, turn.conversationId)) {
    void deps.hub.subscribe(session, turn.conversationId, { liveOnly: true });
  }
  session.batch(() => {
    session.send({
      type: 'ack',
      ...id,
      conversationId: turn.conversationId,
      turnId: turn.turnId,
      userMessageId: turn.userMessageId,
      assistantMessageId: turn.assistantMessageId,
    });
    turn.start();
  });
}

/**
 * Carries out one request of a session that has said hello. Errors are thrown (or, for a
 * request that waits, rejected) for the session to answer.
 */
export function handleFrame(
  session: Session,
  frame: ClientFrame,
  deps: HandlerDeps,
): void | Promise<void> {
  const id = frame.id === undefined ? {} : { id: frame.id };
  switch (frame.type) {
    case 'ping':
      session.send({ type: 'pong', ...id });
      return;
    case 'subscribe': {
      const { conversationId, afterSeq, snapshotLimit } = frame;
      deps.hub.unsubscribe(session, conversationId);
      const joined = deps.hub.subscribe(session, conversationId, {
        afterSeq,
        snapshotLimit,
        // The ack goes first so a client can match it before the snapshot or replay arrives.
        onReady: (seq) => session.send({ type: 'ack', ...id, conversationId, seq }),
      });
      return joined instanceof Promise ? joined.then(() => undefined) : undefined;
    }
    case 'history': {
      const { conversationId } = frame;
      const answer = (page: MessagePage) =>
        session.send({ type: 'ack', ...id, conversationId, ...page });
      const page = deps.history(conversationId, frame.before, frame.limit ?? messagePages.messages);
      return page instanceof Promise ? page.then(answer) : answer(page);
    }
    case 'unsubscribe':
      deps.hub.unsubscribe(session, frame.conversationId);
      session.send({ type: 'ack', ...id, conversationId: frame.conversationId });
      return;
    case 'chat.send':
      return deps.router
        .accept({
          conversationId: frame.conversationId,
          profile: frame.profile,
          content: frame.content,
        })
        .then((turn) => startTurn(session, turn, id, deps));
    case 'image.generate':
      return deps.router
        .acceptImage({
          conversationId: frame.conversationId,
          profile: frame.profile,
          prompt: frame.prompt,
          size: frame.size,
        })
        .then((turn) => startTurn(session, turn, id, deps));
    case 'chat.cancel': {
      const { turnId } = frame;
      const acknowledge = (found: boolean) => {
        if (!found) throw new HearthError(ErrorCode.unknownTurn, `No running turn ${turnId}`);
        session.send({ type: 'ack', ...id, turnId });
      };
      if (deps.router.cancel(turnId)) return acknowledge(true);
      if (!deps.cancelElsewhere) return acknowledge(false);
      return deps.cancelElsewhere(turnId).then(acknowledge);
    }
    case 'devices.subscribe': {
      const snapshot = deps.devices.subscribe(session);
      session.send({ type: 'ack', ...id });
      session.send(snapshot);
      return;
    }
    case 'device.set': {
      const { deviceId } = frame;
      return deps.devices.set(deviceId, frame.state).then((state) => {
        session.send({ type: 'ack', ...id, deviceId, state });
      });
    }
    default:
      throw new HearthError(ErrorCode.unsupported, `${frame.type} is not supported`);
  }
}
