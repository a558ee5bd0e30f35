/**
 * The vocabulary of one upstream server: its states, the status row UIs show, the restart
 * policy, and the options and call options of `Upstream`.
 */
import type { Progress } from '@modelcontextprotocol/client';
import type { CatalogueStore, StoredCatalogue } from './catalogue-store.ts';
import type { TransportKind } from './connect.ts';
import type { ServerEntry } from './servers-file.ts';

export type UpstreamState = 'off' | 'idle' | 'starting' | 'ready' | 'failed';

export interface UpstreamStatus {
  name: string;
  state: UpstreamState;
  transport: TransportKind | undefined;
  /** Negotiated protocol version (`2026-07-28`, `2025-11-25`, ...), as last seen. */
  era: string | undefined;
  toolCount: number;
  lastError: string | undefined;
  restarts: number;
  /** ISO time the running connection became ready. */
  startedAt: string | undefined;
  /** Process (group) id of a running stdio server. */
  pid: number | undefined;
}

export interface RestartPolicy {
  maxRestarts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A crash after this long up (default 5 min) starts a fresh restart budget. */
  stableMs?: number | undefined;
}

export const defaultRestartPolicy: RestartPolicy = {
  maxRestarts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
};

/** Minimal structural logger (pino-compatible); never given secret values. */
export interface UpstreamLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface UpstreamOptions {
  entry: ServerEntry;
  enabled: boolean;
  cached: StoredCatalogue | undefined;
  store: CatalogueStore;
  onChange: (server: string, what: 'state' | 'catalogue') => void;
  restartPolicy?: RestartPolicy | undefined;
  /** Per-request timeout, reset by every progress notification (default 60 s). */
  callTimeoutMs?: number | undefined;
  /** How long tools/list may take in a health check (default 5 s). */
  healthTimeoutMs?: number | undefined;
  log?: UpstreamLog | undefined;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: Progress) => void) | undefined;
}
