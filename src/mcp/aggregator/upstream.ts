/**
 * One upstream MCP server behind ONE shared connection (never one per client or session):
 * started lazily by the first call or listing that needs it, stopped after `idleTimeoutMs`
 * with no call in flight, restarted with exponential backoff after a crash until a cap, then
 * `failed` until toggled. Its catalogue is kept (and persisted) while it is stopped, and
 * refreshed when the server announces a list change.
 */
import type {
  CallToolResult,
  GetPromptResult,
  ReadResourceResult,
  RequestOptions,
} from '@modelcontextprotocol/client';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import type { Catalogue } from './catalogue-store.ts';
import { connectUpstream, type Connection, type ConnectVerdict } from './connect.ts';
import { SessionGone } from './rpc-response-reader.ts';
import { InFlightCalls } from './in-flight.ts';
import { listCatalogue } from './list-catalogue.ts';
import { redact, type ServerEntry } from './servers-file.ts';
import {
  defaultRestartPolicy,
  type CallOptions,
  type RestartPolicy,
  type UpstreamOptions,
  type UpstreamState,
  type UpstreamStatus,
} from './upstream-types.ts';

export * from './upstream-types.ts';

const ignoreProgress = (): void => undefined;
const callTimeout = 60_000;
const emptyCatalogue: Catalogue = { tools: [], prompts: [], resources: [] };

export class Upstream {
  readonly entry: ServerEntry;
  readonly #options: UpstreamOptions;
  #stderr: string[] = [];
  readonly #policy: RestartPolicy;
  #state: UpstreamState;
  #catalogue: Catalogue;
  #verdict: ConnectVerdict | undefined;
  #connection: Connection | undefined;
  #starting: Promise<Connection> | undefined;
  #generation = 0;
  readonly #inFlight = new InFlightCalls();
  /** Requests waiting for the connection or running on it. */
  #pending = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarts = 0;
  #lastError: string | undefined;
  #startedAt: string | undefined;

  constructor(options: UpstreamOptions) {
    this.#options = options;
    this.entry = options.entry;
    this.#policy = options.restartPolicy ?? defaultRestartPolicy;
    this.#state = options.enabled ? 'idle' : 'off';
    this.#catalogue = options.cached ?? emptyCatalogue;
    // A verdict is only trusted for the entry that produced it.
    this.#verdict =
      options.cached?.fingerprint === options.entry.fingerprint
        ? options.cached.verdict
        : undefined;
  }

  get name(): string {
    return this.entry.name;
  }

  get state(): UpstreamState {
    return this.#state;
  }

  /** Whether a catalogue was ever seen (live or from the database). */
  get listed(): boolean {
    return this.#catalogue !== emptyCatalogue;
  }

  status(): UpstreamStatus {
    return {
      name: this.name,
      state: this.#state,
      transport: this.#verdict?.transport,
      era: this.#verdict?.version,
      toolCount: this.#catalogue.tools.length,
      lastError: this.#lastError,
      restarts: this.#restarts,
      startedAt: this.#state === 'ready' ? this.#startedAt : undefined,
      pid: this.#connection?.pid,
    };
  }

  catalogue(): Catalogue {
    return this.#catalogue;
  }

  /** Starts the server if needed and lists it (a listing that needs it), then idles as usual. */
  async ensureListed(): Promise<void> {
    await this.#ready();
    this.#armIdle();
  }

  /**
   * Health is "process alive and tools/list answers", not ping. A running server that fails
   * the check is restarted as after a crash; a stopped one is healthy (nothing to check).
   */
  async healthy(): Promise<boolean> {
    const connection = this.#connection;
    if (this.#state !== 'ready' || !connection) return true;
    let error: string | undefined;
    if (!connection.alive()) error = 'process not alive';
    else {
      try {
        await connection.client.listTools(undefined, {
          timeout: this.#options.healthTimeoutMs ?? 5_000,
          cacheMode: 'bypass',
        });
      } catch (cause) {
        error = `tools/list failed: ${(cause as Error).message}`;
      }
    }
    if (error === undefined) return true;
    // Unhealthy counts as a crash: the connection goes, the backoff restart takes over.
    if (connection === this.#connection) {
      this.#generation += 1;
      this.#connection = undefined;
      const reason = new HearthError(
        ErrorCode.unavailable,
        `MCP server ${this.name} is unhealthy: ${error}`,
      );
      this.#inFlight.abortAll(reason);
      await connection.client.close().catch(() => undefined);
      this.#failed(reason);
    }
    return false;
  }

  callTool(
    name: string,
    args: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<CallToolResult> {
    const params = { name, arguments: args };
    return this.#request(options, async (connection, requestOptions) => {
      if (!connection.callTool) return connection.client.callTool(params, requestOptions);
      const fast = {
        ...requestOptions,
        signal: requestOptions.signal!,
        timeout: requestOptions.timeout ?? callTimeout,
      };
      try {
        return await connection.callTool(params, fast);
      } catch (error) {
        if (!(error instanceof SessionGone)) throw error;
      }
      // The server forgot the session (it restarted) before running anything: open a new
      // session and send the call once more.
      const renewed = await this.#renew(connection);
      return renewed.callTool
        ? renewed.callTool(params, fast)
        : renewed.client.callTool(params, requestOptions);
    });
  }

  getPrompt(
    name: string,
    args: Record<string, string>,
    options: CallOptions = {},
  ): Promise<GetPromptResult> {
    return this.#request(options, (connection, requestOptions) =>
      connection.client.getPrompt({ name, arguments: args }, requestOptions),
    );
  }

  readResource(uri: string, options: CallOptions = {}): Promise<ReadResourceResult> {
    return this.#request(options, (connection, requestOptions) =>
      connection.client.readResource({ uri }, { ...requestOptions, cacheMode: 'bypass' }),
    );
  }

  /** Stops the process unless a request is running or waiting for it (after a discovery). */
  async stopIfUnused(): Promise<void> {
    if (this.#pending === 0 && this.#state === 'ready')
      await this.stop(`MCP server ${this.name} was listed`);
  }

  /** Turns the server on (idle, lazy) with a fresh restart budget. */
  enable(): void {
    if (this.#state !== 'off' && this.#state !== 'failed') return;
    this.#restarts = 0;
    this.#lastError = undefined;
    this.#setState('idle');
  }

  /** Turns the server off: its process tree is stopped and calls in flight fail. */
  async disable(): Promise<void> {
    await this.#shutdown(
      new HearthError(ErrorCode.unavailable, `MCP server ${this.name} was turned off`),
    );
    this.#setState('off');
  }

  /** Stops the process tree (idle stop, reload, shutdown); the server stays on and lazy. */
  async stop(reason = `MCP server ${this.name} was stopped`): Promise<void> {
    await this.#shutdown(new HearthError(ErrorCode.unavailable, reason));
    if (this.#state !== 'off') this.#setState('idle');
  }

  async #request<T>(
    options: CallOptions,
    send: (connection: Connection, requestOptions: RequestOptions) => Promise<T>,
  ): Promise<T> {
    this.#pending += 1;
    try {
      const connection = await this.#ready();
      clearTimeout(this.#idleTimer);
      return await this.#inFlight.run(options.signal, (signal) =>
        send(connection, {
          signal,
          // Always ask for progress: it carries the progress token upstream, and every
          // notification resets the timeout, so long calls that report progress never time out.
          onprogress: options.onProgress ?? ignoreProgress,
          resetTimeoutOnProgress: true,
          timeout: this.#options.callTimeoutMs ?? callTimeout,
        }),
      );
    } finally {
      this.#pending -= 1;
      this.#armIdle();
    }
  }

  #ready(): Promise<Connection> {
    if (this.#state === 'off') {
      return Promise.reject(
        new HearthError(ErrorCode.unavailable, `MCP server ${this.name} is turned off`),
      );
    }
    if (this.#state === 'failed' || this.#restartTimer) {
      const message = `MCP server ${this.name} failed${this.#restartTimer ? ' and is restarting' : ''}: ${this.#lastError ?? 'unknown error'}`;
      return Promise.reject(new HearthError(ErrorCode.unavailable, message));
    }
    if (this.#connection) return Promise.resolve(this.#connection);
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  /** Replaces a connection whose session the server dropped; other callers share the new one. */
  async #renew(stale: Connection): Promise<Connection> {
    if (this.#connection === stale) {
      this.#generation += 1;
      this.#connection = undefined;
      await stale.client.close().catch(() => undefined);
    }
    return this.#ready();
  }

  async #start(): Promise<Connection> {
    const generation = ++this.#generation;
    this.#setState('starting');
    let connection: Connection | undefined;
    try {
      this.#stderr = [];
      connection = await connectUpstream({
        entry: this.entry,
        prior: this.#verdict,
        onStderr: (line) => this.#keepStderr(line),
        onListChanged: () => void this.#refresh().catch(() => undefined),
        onClose: () => this.#closed(generation),
      });
      if (generation !== this.#generation) throw new Error('stopped while starting');
      this.#connection = connection;
      this.#verdict = connection.verdict;
      await this.#refresh();
      this.#startedAt = new Date().toISOString();
      this.#setState('ready');
      this.#options.log?.info(
        { server: this.name, pid: connection.pid, verdict: connection.verdict.version },
        'MCP server ready',
      );
      return connection;
    } catch (error) {
      if (connection) await connection.client.close().catch(() => undefined);
      if (generation !== this.#generation) {
        throw new HearthError(ErrorCode.unavailable, `MCP server ${this.name} was stopped`);
      }
      this.#connection = undefined;
      // The cached verdict may be what failed (an upgraded server): probe afresh next time.
      this.#verdict = undefined;
      this.#failed(error);
      throw new HearthError(
        ErrorCode.unavailable,
        `MCP server ${this.name} did not start: ${this.#lastError}`,
        { cause: error },
      );
    }
  }

  async #refresh(): Promise<void> {
    const connection = this.#connection;
    if (!connection) return;
    const catalogue = await listCatalogue(connection.client);
    if (connection !== this.#connection) return;
    this.#catalogue = catalogue;
    this.#options.store.saveCatalogue({
      server: this.name,
      fingerprint: this.entry.fingerprint,
      verdict: this.#verdict,
      ...this.#catalogue,
    });
    this.#options.onChange(this.name, 'catalogue');
  }

  /** The connection closed: a crash unless we closed it ourselves (generation moved on). */
  #closed(generation: number): void {
    if (generation !== this.#generation || !this.#connection) return;
    this.#connection = undefined;
    // A crash after a long healthy run starts a fresh restart budget.
    const upSince = this.#startedAt === undefined ? Date.now() : Date.parse(this.#startedAt);
    if (Date.now() - upSince >= (this.#policy.stableMs ?? 5 * 60_000)) this.#restarts = 0;
    const error = new HearthError(
      ErrorCode.unavailable,
      `MCP server ${this.name} exited${this.#stderrTail()}`,
    );
    this.#inFlight.abortAll(error);
    this.#failed(error);
  }

  /** The last lines a stdio server wrote to stderr: why it failed, as it said it. */
  #keepStderr(line: string): void {
    this.#stderr.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
    if (this.#stderr.length > 5) this.#stderr.shift();
  }

  #stderrTail(): string {
    return this.#stderr.length === 0 ? '' : ` (stderr: ${this.#stderr.join(' | ')})`;
  }

  #failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const said = message.includes('(stderr: ') ? '' : this.#stderrTail();
    this.#lastError = redact(`${message}${said}`, this.entry);
    this.#restarts += 1;
    clearTimeout(this.#idleTimer);
    if (this.#restarts > this.#policy.maxRestarts) {
      this.#options.log?.warn(
        { server: this.name, restarts: this.#restarts - 1, error: this.#lastError },
        'MCP server failed; staying down until toggled',
      );
      this.#restarts = this.#policy.maxRestarts;
      this.#setState('failed');
      return;
    }
    const delay = Math.min(
      this.#policy.baseDelayMs * 2 ** (this.#restarts - 1),
      this.#policy.maxDelayMs,
    );
    this.#options.log?.warn(
      { server: this.name, restarts: this.#restarts, delay, error: this.#lastError },
      'MCP server failed; restarting',
    );
    this.#setState('starting');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      void this.#ready().then(
        () => this.#armIdle(),
        () => undefined,
      );
    }, delay);
    this.#restartTimer.unref();
  }

  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#pending > 0 || this.#state !== 'ready') return;
    this.#idleTimer = setTimeout(
      () => void this.stop(`MCP server ${this.name} went idle`),
      this.entry.idleTimeoutMs,
    );
    this.#idleTimer.unref();
  }

  async #shutdown(reason: HearthError): Promise<void> {
    this.#generation += 1;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#inFlight.abortAll(reason);
    const connection = this.#connection;
    this.#connection = undefined;
    await this.#starting?.catch(() => undefined);
    if (connection) await connection.client.close().catch(() => undefined);
  }

  #setState(state: UpstreamState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onChange(this.name, 'state');
  }
}
