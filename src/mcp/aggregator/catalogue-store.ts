/**
 * SQLite persistence of the aggregator (tables from migration 3): the ON/OFF overrides set at
 * runtime, and each server's last catalogue with its connection verdict, so a stopped server's
 * tools stay listed and a restarted Hearth knows how to reach it without probing.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Prompt, Resource, Tool as McpTool } from '@modelcontextprotocol/client';
import type { ConnectVerdict } from './connect.ts';

/** What a server offered the last time it was listed. */
export interface Catalogue {
  tools: McpTool[];
  prompts: Prompt[];
  resources: Resource[];
}

export interface StoredCatalogue extends Catalogue {
  server: string;
  /** The servers-file fingerprint of the entry that produced it. */
  fingerprint: string;
  verdict: ConnectVerdict | undefined;
  updatedAt: string;
}

interface CatalogueRow {
  server: string;
  fingerprint: string;
  protocol_era: string | null;
  tools: string;
  prompts: string;
  resources: string;
  updated_at: string;
}

export class CatalogueStore {
  readonly #overrides: StatementSync;
  readonly #setOverride: StatementSync;
  readonly #clearOverride: StatementSync;
  readonly #catalogues: StatementSync;
  readonly #saveCatalogue: StatementSync;
  readonly #deleteCatalogue: StatementSync;

  constructor(db: DatabaseSync) {
    this.#overrides = db.prepare('SELECT server, enabled FROM mcp_server_overrides');
    this.#setOverride = db.prepare(
      `INSERT INTO mcp_server_overrides (server, enabled, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (server) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
    );
    this.#clearOverride = db.prepare('DELETE FROM mcp_server_overrides WHERE server = ?');
    this.#catalogues = db.prepare('SELECT * FROM mcp_server_catalogues');
    this.#saveCatalogue = db.prepare(
      `INSERT INTO mcp_server_catalogues
         (server, fingerprint, protocol_era, tools, prompts, resources, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (server) DO UPDATE SET fingerprint = excluded.fingerprint,
         protocol_era = excluded.protocol_era, tools = excluded.tools,
         prompts = excluded.prompts, resources = excluded.resources, updated_at = excluded.updated_at`,
    );
    this.#deleteCatalogue = db.prepare('DELETE FROM mcp_server_catalogues WHERE server = ?');
  }

  /** Runtime ON/OFF switches by server name. */
  overrides(): Map<string, boolean> {
    const rows = this.#overrides.all() as unknown as { server: string; enabled: number }[];
    return new Map(rows.map((row) => [row.server, row.enabled === 1]));
  }

  setOverride(server: string, enabled: boolean): void {
    this.#setOverride.run(server, enabled ? 1 : 0, new Date().toISOString());
  }

  clearOverride(server: string): void {
    this.#clearOverride.run(server);
  }

  catalogues(): Map<string, StoredCatalogue> {
    const rows = this.#catalogues.all() as unknown as CatalogueRow[];
    const result = new Map<string, StoredCatalogue>();
    for (const row of rows) {
      try {
        result.set(row.server, {
          server: row.server,
          fingerprint: row.fingerprint,
          // The protocol_era column holds the whole verdict (transport, era, discover result).
          verdict:
            row.protocol_era === null
              ? undefined
              : (JSON.parse(row.protocol_era) as ConnectVerdict),
          tools: JSON.parse(row.tools) as McpTool[],
          prompts: JSON.parse(row.prompts) as Prompt[],
          resources: JSON.parse(row.resources) as Resource[],
          updatedAt: row.updated_at,
        });
      } catch {
        // A row we cannot read is as good as none: the server is listed afresh when started.
      }
    }
    return result;
  }

  saveCatalogue(entry: Omit<StoredCatalogue, 'updatedAt'>): void {
    this.#saveCatalogue.run(
      entry.server,
      entry.fingerprint,
      entry.verdict === undefined ? null : JSON.stringify(entry.verdict),
      JSON.stringify(entry.tools),
      JSON.stringify(entry.prompts),
      JSON.stringify(entry.resources),
      new Date().toISOString(),
    );
  }

  deleteCatalogue(server: string): void {
    this.#deleteCatalogue.run(server);
  }
}
