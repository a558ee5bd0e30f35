/**
 * Real Streamable HTTP sessions for 2025-era clients: one `Server` and one transport per
 * `Mcp-Session-Id`, so a client's `notifications/cancelled` and its DELETE reach the calls it
 * started (closing a session aborts every handler still running in it). Bounded: a session
 * idle longer than `idleMs` (no request open and none for that long) is closed, and at most
 * `maxSessions` live at once. A session belongs to the path and the principal that opened it.
 */
import { randomUUID } from 'node:crypto';
import {
  type Server,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../../common/logger.ts';
import { jsonRpcError, trackBody } from './responses.ts';

export interface LegacySessionsOptions {
  idleMs: number;
  maxSessions: number;
  logger: Logger;
}

/** A server for a new session, and what to undo when the session ends. */
export interface SessionServer {
  server: Server;
  detach: () => void;
}

interface Session {
  id: string;
  key: string;
  principal: string;
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
  detach(): void;
  open: number;
  /** Ends the bodies still streaming to the client (SSE of calls and the GET stream). */
  bodies: Set<() => void>;
  /** Calls answered outside the SDK (fast-tool-call.ts), by JSON-RPC request id. */
  calls: Map<string | number, AbortController>;
  lastSeen: number;
  closed: boolean;
}

export class LegacySessions {
  readonly #options: LegacySessionsOptions;
  readonly #sessions = new Map<string, Session>();
  #pending = 0;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: LegacySessionsOptions) {
    this.#options = options;
    const every = Math.max(50, Math.min(options.idleMs / 2, 60_000));
    this.#sweeper = setInterval(() => this.#sweep(), every);
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Serves one 2025-era HTTP request on `key` (the path's source) for `principal`.
   * `create` builds the server of a new session; it runs only for a request that may open one.
   */
  async handle(
    request: Request,
    target: { key: string; principal: string; create: () => SessionServer },
  ): Promise<Response> {
    const id = request.headers.get('mcp-session-id');
    if (id === null) return this.#open(request, target);
    const session = this.#sessions.get(id);
    if (!session || session.key !== target.key || session.principal !== target.principal)
      return jsonRpcError(404, -32001, 'Session not found');
    session.open += 1;
    session.lastSeen = Date.now();
    try {
      return this.#track(session, await session.transport.handleRequest(request));
    } catch (error) {
      session.open -= 1;
      throw error;
    }
  }

  /**
   * Starts a request of a live session that is answered outside the SDK's transport: counted
   * as open until `end`, aborted by a `notifications/cancelled` naming it ({@link cancelCall})
   * or by the session's end. Undefined when there is no such session for this path and
   * principal, or a call with that id is already running in it.
   */
  beginCall(
    id: string,
    target: { key: string; principal: string },
    requestId: string | number,
  ): { signal: AbortSignal; abort: (reason: string) => void; end: () => void } | undefined {
    const session = this.#find(id, target);
    if (!session || session.calls.has(requestId)) return undefined;
    const controller = new AbortController();
    session.calls.set(requestId, controller);
    session.open += 1;
    session.lastSeen = Date.now();
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      session.calls.delete(requestId);
      session.open -= 1;
      session.lastSeen = Date.now();
    };
    const abort = (reason: string): void => controller.abort(new Error(reason));
    return { signal: controller.signal, abort, end };
  }

  /** Aborts a call started with {@link beginCall}; false when the session has no such call. */
  cancelCall(
    id: string,
    target: { key: string; principal: string },
    requestId: string | number,
    reason: string,
  ): boolean {
    const call = this.#find(id, target)?.calls.get(requestId);
    if (!call) return false;
    call.abort(new Error(reason));
    return true;
  }

  #find(id: string, target: { key: string; principal: string }): Session | undefined {
    const session = this.#sessions.get(id);
    if (!session || session.closed) return undefined;
    return session.key === target.key && session.principal === target.principal
      ? session
      : undefined;
  }

  /** Counts the response as open until its body ends; a closing session ends it. */
  #track(session: Session, response: Response): Response {
    let end: () => void = () => undefined;
    const tracked = trackBody(response, () => {
      session.open -= 1;
      session.lastSeen = Date.now();
      session.bodies.delete(end);
    });
    end = tracked.end;
    if (session.closed) end();
    else session.bodies.add(end);
    return tracked.response;
  }

  async #open(
    request: Request,
    target: { key: string; principal: string; create: () => SessionServer },
  ): Promise<Response> {
    if (request.method !== 'POST')
      return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    if (this.#sessions.size + this.#pending >= this.#options.maxSessions)
      return jsonRpcError(503, -32000, 'Too many MCP sessions; close one and retry');
    this.#pending += 1;
    const { server, detach } = target.create();
    let session: Session | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        session = {
          id,
          key: target.key,
          principal: target.principal,
          transport,
          server,
          detach,
          open: 1,
          bodies: new Set(),
          calls: new Map(),
          lastSeen: Date.now(),
          closed: false,
        };
        this.#sessions.set(id, session);
      },
      onsessionclosed: (id) => {
        const closing = this.#sessions.get(id);
        if (closing) void this.#close(closing);
      },
    });
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(request);
      const opened = session;
      if (!opened) {
        // Not an initialize request: nothing to keep.
        detach();
        await server.close();
        return response;
      }
      return this.#track(opened, response);
    } catch (error) {
      detach();
      await server.close().catch(() => undefined);
      throw error;
    } finally {
      this.#pending -= 1;
    }
  }

  async #close(session: Session): Promise<void> {
    if (session.closed) return;
    session.closed = true;
    this.#sessions.delete(session.id);
    session.detach();
    for (const end of [...session.bodies]) end();
    for (const call of session.calls.values()) call.abort(new Error('The MCP session was closed'));
    // Closing aborts the handlers still running, so their sources see the abort.
    await session.server.close().catch((error: unknown) => {
      this.#options.logger.warn({ err: error }, 'closing an MCP session failed');
    });
  }

  #sweep(): void {
    const limit = Date.now() - this.#options.idleMs;
    for (const session of this.#sessions.values()) {
      if (session.open <= 0 && session.lastSeen < limit) void this.#close(session);
    }
  }

  /** Closes every session (their running calls are aborted) and stops the sweeper. */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#sessions.values()].map((session) => this.#close(session)));
  }
}
