/**
 * All upstream MCP servers of the household: the servers file plus the ON/OFF overrides kept
 * in the database, merged into one catalogue of tools, prompts and resources under one
 * namespace (see tool-names.ts). Servers start lazily on first use, stop when idle, and their
 * last catalogue stays listed while they are stopped.
 */
import type { DatabaseSync } from 'node:sqlite';
import type {
  CallToolResult,
  GetPromptResult,
  ReadResourceResult,
} from '@modelcontextprotocol/client';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import { CatalogueStore, type StoredCatalogue } from './catalogue-store.ts';
import { buildCatalogue, type MergedCatalogue } from './merge.ts';
import type { ServerEntry, ServersFile } from './servers-file.ts';
import { splitResourceUri, type NameOrigin } from './tool-names.ts';
import {
  Upstream,
  type CallOptions,
  type RestartPolicy,
  type UpstreamLog,
  type UpstreamState,
  type UpstreamStatus,
} from './upstream.ts';

export type { CatalogueTool, CataloguePrompt, CatalogueResource } from './merge.ts';

export interface AggregatorOptions {
  db: DatabaseSync;
  file: ServersFile;
  restartPolicy?: RestartPolicy | undefined;
  callTimeoutMs?: number | undefined;
  healthTimeoutMs?: number | undefined;
  log?: UpstreamLog | undefined;
}

/** One row of `list()`: what the REST API and UIs show. */
export interface ServerInfo extends UpstreamStatus {
  enabled: boolean;
  /** Where the ON/OFF switch comes from: the servers file or a runtime override. */
  source: 'file' | 'override';
}

export type AggregatorEvent =
  { type: 'catalogue'; server: string } | { type: 'state'; server: string; state: UpstreamState };

export interface ReloadResult {
  added: string[];
  removed: string[];
  restarted: string[];
}

export class McpAggregator {
  readonly #store: CatalogueStore;
  readonly #options: AggregatorOptions;
  readonly #upstreams = new Map<string, Upstream>();
  readonly #listeners = new Set<(event: AggregatorEvent) => void>();
  #overrides: Map<string, boolean>;
  #invalid: ServersFile['invalid'];
  #merged: MergedCatalogue | undefined;
  #closed = false;

  constructor(options: AggregatorOptions) {
    this.#options = options;
    this.#store = new CatalogueStore(options.db);
    this.#overrides = this.#store.overrides();
    this.#invalid = options.file.invalid;
    const cached = this.#store.catalogues();
    for (const entry of options.file.servers) this.#add(entry, cached.get(entry.name));
  }

  /** One upstream, for serving it alone (unprefixed) at `/mcp/<server>`. */
  upstream(name: string): Upstream | undefined {
    return this.#upstreams.get(name);
  }

  /** Entries of the servers file that were left out, by name. */
  get invalid(): ServersFile['invalid'] {
    return this.#invalid;
  }

  list(): ServerInfo[] {
    return [...this.#upstreams.values()].map((upstream) => this.#info(upstream));
  }

  server(name: string): ServerInfo | undefined {
    const upstream = this.#upstreams.get(name);
    return upstream && this.#info(upstream);
  }

  /** Turns a server ON or OFF, kept as an override; OFF stops its tree and fails its calls. */
  async setEnabled(server: string, enabled: boolean): Promise<ServerInfo> {
    const upstream = this.#get(server);
    this.#store.setOverride(server, enabled);
    this.#overrides.set(server, enabled);
    if (enabled) upstream.enable();
    else await upstream.disable();
    this.#changed({ type: 'state', server, state: upstream.state });
    return this.#info(upstream);
  }

  /** Drops a server's override: the servers file's `enabled` decides again. */
  async clearOverride(server: string): Promise<ServerInfo> {
    const upstream = this.#get(server);
    this.#store.clearOverride(server);
    this.#overrides.delete(server);
    if (upstream.entry.enabled) upstream.enable();
    else await upstream.disable();
    this.#changed({ type: 'state', server, state: upstream.state });
    return this.#info(upstream);
  }

  /** Applies a new servers file: only changed entries restart, removed ones stop. */
  async reload(file: ServersFile): Promise<ReloadResult> {
    const result: ReloadResult = { added: [], removed: [], restarted: [] };
    this.#invalid = file.invalid;
    const next = new Map(file.servers.map((entry) => [entry.name, entry]));
    const work: Promise<void>[] = [];
    for (const [name, upstream] of this.#upstreams) {
      if (next.has(name)) continue;
      result.removed.push(name);
      this.#upstreams.delete(name);
      this.#store.deleteCatalogue(name);
      work.push(upstream.disable());
    }
    const cached = this.#store.catalogues();
    for (const entry of file.servers) {
      const old = this.#upstreams.get(entry.name);
      if (!old) {
        result.added.push(entry.name);
        this.#add(entry, cached.get(entry.name));
      } else if (old.entry.fingerprint !== entry.fingerprint) {
        result.restarted.push(entry.name);
        const wasRunning = old.state === 'ready' || old.state === 'starting';
        work.push(
          old.disable().then(async () => {
            const fresh = this.#add(entry, this.#store.catalogues().get(entry.name));
            if (wasRunning && fresh.state !== 'off')
              await fresh.ensureListed().catch(() => undefined);
          }),
        );
      } else if (!this.#overrides.has(entry.name) && old.entry.enabled !== entry.enabled) {
        // Only the switch moved: same process rules as a runtime toggle.
        work.push(entry.enabled ? Promise.resolve(old.enable()) : old.disable());
        Object.assign(old.entry, { enabled: entry.enabled });
      }
    }
    await Promise.all(work);
    this.#changed({ type: 'catalogue', server: '*' });
    return result;
  }

  /**
   * Starts, in small batches, the enabled servers whose catalogue was never seen, lists them
   * and (unless `keepRunning`, or a call is using one) stops them again at once.
   */
  async discover(options: { concurrency?: number; keepRunning?: boolean } = {}): Promise<void> {
    this.#assertOpen();
    const pending = [...this.#upstreams.values()].filter((u) => !u.listed && u.state === 'idle');
    const concurrency = options.concurrency ?? 4;
    const next = async (): Promise<void> => {
      for (let upstream = pending.shift(); upstream; upstream = pending.shift()) {
        await upstream.ensureListed().catch(() => undefined);
        // Hundreds of servers listed once must not all stay up for their idle timeout.
        if (!options.keepRunning) await upstream.stopIfUnused();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, next));
  }

  tools(): MergedCatalogue['tools'] {
    return this.#catalogue().tools;
  }

  prompts(): MergedCatalogue['prompts'] {
    return this.#catalogue().prompts;
  }

  resources(): MergedCatalogue['resources'] {
    return this.#catalogue().resources;
  }

  /** Calls a catalogue tool by its merged name, starting its server if needed. */
  async callTool(
    name: string,
    args: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<CallToolResult> {
    const origin = await this.#resolve(name, 'toolNames');
    if (!origin) throw new HearthError(ErrorCode.notFound, `Unknown MCP tool ${name}`);
    return this.#get(origin.server).callTool(origin.original, args, options);
  }

  async getPrompt(
    name: string,
    args: Record<string, string>,
    options: CallOptions = {},
  ): Promise<GetPromptResult> {
    const origin = await this.#resolve(name, 'promptNames');
    if (!origin) throw new HearthError(ErrorCode.notFound, `Unknown MCP prompt ${name}`);
    return this.#get(origin.server).getPrompt(origin.original, args, options);
  }

  /** Reads a resource by its namespaced URI (`mcp-upstream://<server>/<uri>`). */
  async readResource(uri: string, options: CallOptions = {}): Promise<ReadResourceResult> {
    this.#assertOpen();
    const origin = splitResourceUri(uri);
    if (!origin || !this.#upstreams.has(origin.server)) {
      throw new HearthError(ErrorCode.notFound, `Unknown MCP resource ${uri}`);
    }
    return this.#get(origin.server).readResource(origin.uri, options);
  }

  /** Checks every running server (see `Upstream.healthy`); unhealthy ones restart. */
  async checkHealth(): Promise<Record<string, boolean>> {
    const upstreams = [...this.#upstreams.values()];
    const results = await Promise.all(upstreams.map((upstream) => upstream.healthy()));
    return Object.fromEntries(upstreams.map((upstream, i) => [upstream.name, results[i] ?? false]));
  }

  /** Listens to catalogue and state changes; returns the unsubscribe function. */
  onChange(listener: (event: AggregatorEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every server and its whole process tree. */
  async stop(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [...this.#upstreams.values()].map((upstream) => upstream.stop('Hearth is stopping')),
    );
  }

  #add(entry: ServerEntry, cached: StoredCatalogue | undefined): Upstream {
    const upstream = new Upstream({
      entry,
      enabled: this.#overrides.get(entry.name) ?? entry.enabled,
      cached,
      store: this.#store,
      restartPolicy: this.#options.restartPolicy,
      callTimeoutMs: this.#options.callTimeoutMs,
      healthTimeoutMs: this.#options.healthTimeoutMs,
      log: this.#options.log,
      onChange: (server, what) => {
        const current = this.#upstreams.get(server);
        if (current !== upstream) return;
        this.#changed(
          what === 'state'
            ? { type: 'state', server, state: upstream.state }
            : { type: 'catalogue', server },
        );
      },
    });
    this.#upstreams.set(entry.name, upstream);
    this.#merged = undefined;
    return upstream;
  }

  /**
   * Resolves a merged name. An unknown name that may belong to a stopped server (never listed,
   * or listed long ago: its cached catalogue may be stale) starts that server to learn its
   * current catalogue: the lazy start of a first call. A server already starting (discovery)
   * is waited for.
   */
  async #resolve(name: string, kind: 'toolNames' | 'promptNames'): Promise<NameOrigin | undefined> {
    this.#assertOpen();
    const known = this.#catalogue()[kind].resolve(name);
    if (known) return known;
    const candidates = [...this.#upstreams.values()].filter(
      (upstream) =>
        (upstream.state === 'idle' || upstream.state === 'starting') &&
        name.startsWith(`${sanitised(upstream.name)}__`.slice(0, 55)),
    );
    if (candidates.length === 0) return undefined;
    await Promise.all(candidates.map((upstream) => upstream.ensureListed().catch(() => undefined)));
    return this.#catalogue()[kind].resolve(name);
  }

  #assertOpen(): void {
    if (this.#closed) throw new HearthError(ErrorCode.unavailable, 'The MCP aggregator is stopped');
  }

  #get(server: string): Upstream {
    const upstream = this.#upstreams.get(server);
    if (!upstream) throw new HearthError(ErrorCode.notFound, `Unknown MCP server ${server}`);
    return upstream;
  }

  #info(upstream: Upstream): ServerInfo {
    const override = this.#overrides.get(upstream.name);
    return {
      ...upstream.status(),
      enabled: override ?? upstream.entry.enabled,
      source: override === undefined ? 'file' : 'override',
    };
  }

  #catalogue(): MergedCatalogue {
    this.#merged ??= buildCatalogue(this.#upstreams.values());
    return this.#merged;
  }

  #changed(event: AggregatorEvent): void {
    this.#merged = undefined;
    for (const listener of this.#listeners) listener(event);
  }
}

function sanitised(server: string): string {
  return server.replace(/[^a-zA-Z0-9_-]/g, '_');
}
