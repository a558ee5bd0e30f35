/**
 * The 2026-07-28 (stateless) leg: one SDK `createMcpHandler` per served path, each building a
 * fresh `Server` per request from that path's source. A request's cancellation is the client
 * closing its HTTP request, which the SDK turns into the abort of the handler's signal. The
 * source's list changes go to the path's open `subscriptions/listen` streams.
 */
import { createMcpHandler, type McpHttpHandler, type Server } from '@modelcontextprotocol/server';
import type { Logger } from '../../../common/logger.ts';
import type { OpenCall } from './fast-call-answer.ts';
import type { McpSource } from './source.ts';

interface Entry {
  source: McpSource;
  handler: McpHttpHandler;
  detach(): void;
}

export interface ModernHandlersOptions {
  logger: Logger;
  /** Most `subscriptions/listen` streams open at once on one path. */
  maxSubscriptions: number;
}

export class ModernHandlers {
  readonly #options: ModernHandlersOptions;
  readonly #entries = new Map<string, Entry>();
  /** Calls answered by the fast path (fast-modern-call.ts), aborted when the endpoint closes. */
  readonly #calls = new Set<AbortController>();
  #closed = false;

  constructor(options: ModernHandlersOptions) {
    this.#options = options;
  }

  /** Serves one modern-era request on `key` (the path) from `source`. */
  async handle(
    request: Request,
    target: { key: string; source: McpSource; create: (source: McpSource) => Server },
  ): Promise<Response> {
    return this.#entry(target).handler.fetch(request);
  }

  #entry(target: { key: string; source: McpSource; create: (source: McpSource) => Server }): Entry {
    const known = this.#entries.get(target.key);
    if (known?.source === target.source) return known;
    // The path now has another source (the server was replaced): start afresh.
    if (known) this.#drop(target.key, known);
    const { logger, maxSubscriptions } = this.#options;
    const source = target.source;
    const handler = createMcpHandler(() => target.create(source), {
      legacy: 'reject',
      maxSubscriptions,
      onerror: (error) => logger.debug({ err: error }, 'MCP request rejected'),
    });
    const detach = source.onListChanged((what) => {
      if (what === 'tools') handler.notify.toolsChanged();
      else if (what === 'prompts') handler.notify.promptsChanged();
      else handler.notify.resourcesChanged();
    });
    const entry = { source, handler, detach };
    this.#entries.set(target.key, entry);
    return entry;
  }

  /** Drops the path's handler (its server is gone), closing its open exchanges. */
  forget(key: string): void {
    const entry = this.#entries.get(key);
    if (entry) this.#drop(key, entry);
  }

  #drop(key: string, entry: Entry): void {
    this.#entries.delete(key);
    entry.detach();
    entry.handler.close().catch(() => undefined);
  }

  /** Counts a fast-path call as open until `end`; undefined once the endpoint closes. */
  beginCall(): OpenCall | undefined {
    if (this.#closed) return undefined;
    const controller = new AbortController();
    this.#calls.add(controller);
    return {
      signal: controller.signal,
      abort: (reason) => controller.abort(new Error(reason)),
      end: () => this.#calls.delete(controller),
      closing: () => this.#closed,
    };
  }

  /** Aborts every open modern exchange and forgets every path. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const call of this.#calls) call.abort(new Error('The MCP endpoint is closing'));
    this.#calls.clear();
    const entries = [...this.#entries.entries()];
    this.#entries.clear();
    await Promise.all(
      entries.map(async ([, entry]) => {
        entry.detach();
        await entry.handler.close();
      }),
    );
  }
}
