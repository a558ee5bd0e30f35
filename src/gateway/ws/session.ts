import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ErrorCode, HearthError, toHearthError } from '../../common/errors.ts';
import { newId } from '../../common/ids.ts';
import type { Logger } from '../../common/logger.ts';
import { protocolVersion, type ClientFrame, type RequestId } from '../../common/protocol.ts';
import type { ProfileResolver } from '../../router/profiles.ts';
import type { Principal } from '../auth/token-auth.ts';
import { CloseCode } from '../close-codes.ts';
import type { Subscriber } from '../hub/hub.ts';
import { handleFrame, type HandlerDeps } from './handlers.ts';
import { parseFrame } from './parse-frame.ts';
import { RateLimiter } from './rate-limiter.ts';

/** What every session shares; one object for all of them. */
export interface SessionOptions extends HandlerDeps {
  logger: Logger;
  onClose(session: Session): void;
}

/** How long a closing socket may take to drain before it is cut. */
const closeGraceMs = 2000;

/** What clients are told of the profiles, in `welcome` and in `config.changed`. */
export function profileState(
  profiles: ProfileResolver,
  setupHint: string,
): Record<string, unknown> {
  return {
    profiles: profiles.list(),
    defaultProfile: profiles.defaultProfile() ?? null,
    defaultImageProfile: profiles.defaultImageProfile() ?? null,
    setup: profiles.hasChat() ? { configured: true } : { configured: false, message: setupHint },
  };
}

/**
 * One WebSocket connection: `hello` first, then requests. Its sends never queue without bound:
 * a client more than `maxBufferedBytes` behind is dropped as a slow consumer. An idle session
 * holds little (thousands may sit connected): the shared options, its socket, a rate limiter,
 * and a child logger only once it has something to log.
 */
export class Session implements Subscriber {
  readonly id = newId('s');
  principal: Principal | undefined;
  readonly #options: SessionOptions;
  readonly #socket: WebSocket;
  /** The connection under the WebSocket, when known: corked to send frames together. */
  readonly #transport: Pick<Duplex, 'cork' | 'uncork'> | undefined;
  readonly #limiter: RateLimiter;
  #helloTimer: NodeJS.Timeout | undefined;
  #logger: Logger | undefined;
  #closed = false;

  constructor(
    socket: WebSocket,
    options: SessionOptions,
    transport?: Pick<Duplex, 'cork' | 'uncork'>,
  ) {
    this.#options = options;
    this.#socket = socket;
    this.#transport = transport;
    const { limits } = options;
    this.#limiter = new RateLimiter({
      perSecond: limits.messagesPerSecond,
      burst: limits.messageBurst,
    });
    this.#helloTimer = setTimeout(
      () => this.close(CloseCode.helloTimeout, 'hello expected'),
      limits.helloTimeoutMs,
    );
    this.#socket.on('message', (data: Buffer, isBinary: boolean) =>
      this.#onMessage(data, isBinary),
    );
    this.#socket.on('close', (code: number) => this.#onClosed(code));
    this.#socket.on('error', (error: Error) => this.logger.debug({ err: error }, 'socket error'));
  }

  get logger(): Logger {
    this.#logger ??= this.#options.logger.child({ sessionId: this.id });
    return this.#logger;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  deliver(frame: Buffer): void {
    if (this.#closed) return;
    if (this.#socket.bufferedAmount > this.#options.limits.maxBufferedBytes) {
      this.logger.warn({ buffered: this.#socket.bufferedAmount }, 'dropping slow consumer');
      this.close(CloseCode.slowConsumer, 'slow consumer');
      return;
    }
    this.#socket.send(frame, { binary: false });
  }

  /**
   * Runs `work`, and whatever frames it sends leave in one write: one system call, and one
   * wake-up of the client, instead of one each (as for a turn's ack and its `turn.started`).
   */
  batch(work: () => void): void {
    this.#transport?.cork();
    try {
      work();
    } finally {
      this.#transport?.uncork();
    }
  }

  send(message: Record<string, unknown>): void {
    this.deliver(Buffer.from(JSON.stringify(message)));
  }

  sendError(id: RequestId, error: unknown): void {
    const failure = toHearthError(error);
    if (failure.unhandled) this.logger.error({ err: failure.cause ?? failure }, 'request failed');
    this.send({ type: 'error', ...(id === undefined ? {} : { id }), ...failure.toWire() });
  }

  close(code: CloseCode, reason: string): void {
    if (this.#closed) return;
    this.#markClosed();
    this.#socket.close(code, reason);
    setTimeout(() => this.#socket.terminate(), closeGraceMs).unref();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    if (!this.#limiter.take()) {
      this.logger.warn('closing a client over its message rate');
      this.send({
        type: 'error',
        code: ErrorCode.rateLimited,
        message: 'Too many frames; slow down and reconnect',
      });
      this.close(CloseCode.rateLimited, 'rate limit exceeded');
      return;
    }
    const parsed = parseFrame(data, isBinary);
    if (this.principal === undefined) {
      if (parsed.ok) this.#onHello(parsed.frame);
      else this.#refuseBeforeHello(parsed.id, parsed.error);
      return;
    }
    if (!parsed.ok) {
      this.sendError(parsed.id, parsed.error);
      return;
    }
    if (parsed.frame.type === 'hello') {
      this.sendError(
        parsed.frame.id,
        new HearthError(ErrorCode.badRequest, 'hello was already received'),
      );
      return;
    }
    const { id } = parsed.frame;
    try {
      handleFrame(this, parsed.frame, this.#options)?.catch((error: unknown) =>
        this.sendError(id, error),
      );
    } catch (error) {
      this.sendError(id, error);
    }
  }

  #refuseBeforeHello(id: RequestId, error: HearthError): void {
    this.send({ type: 'error', ...(id === undefined ? {} : { id }), ...error.toWire() });
    this.close(CloseCode.helloRequired, 'hello required');
  }

  #onHello(frame: ClientFrame): void {
    if (frame.type !== 'hello') {
      const error = new HearthError(
        ErrorCode.unauthorized,
        'The first frame must be hello with a token',
      );
      this.#refuseBeforeHello(frame.id, error);
      return;
    }
    if (frame.protocol !== protocolVersion) {
      this.send({
        type: 'error',
        id: frame.id,
        code: ErrorCode.badRequest,
        message: `Hearth speaks protocol ${protocolVersion}`,
      });
      this.close(CloseCode.unsupportedProtocol, `protocol ${protocolVersion} required`);
      return;
    }
    const principal = this.#options.auth.verify(frame.token);
    if (!principal) {
      this.send({
        type: 'error',
        id: frame.id,
        code: ErrorCode.unauthorized,
        message: 'The token is not valid',
      });
      this.close(CloseCode.unauthorized, 'invalid token');
      return;
    }
    clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
    this.principal = principal;
    this.#options.logger.info(
      { sessionId: this.id, user: principal.name, client: frame.client },
      'client connected',
    );
    const { profiles } = this.#options;
    this.send({
      type: 'welcome',
      ...(frame.id === undefined ? {} : { id: frame.id }),
      protocol: protocolVersion,
      sessionId: this.id,
      user: principal.name,
      role: principal.role,
      ...profileState(profiles, this.#options.setupHint),
    });
  }

  #markClosed(): void {
    this.#closed = true;
    clearTimeout(this.#helloTimer);
    this.#options.onClose(this);
  }

  #onClosed(code: number): void {
    this.logger.debug({ code }, 'socket closed');
    if (!this.#closed) this.#markClosed();
  }
}
