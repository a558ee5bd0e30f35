/**
 * The seam through which optional rooms (the MCP aggregator, Zigbee) join a running Hearth
 * without `hearth.ts` knowing their insides. An extension is started once, after storage and
 * the bus are up and before the gateway listens; what it returns is wired in: its tools join
 * the catalogue, its REST routes join `/api/v1`, its devices answer the `devices.*` frames.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { FastifyInstance } from 'fastify';
import type { Bus } from './common/bus/bus.ts';
import type { DeviceService } from './common/devices.ts';
import type { HearthConfig } from './common/config/schema.ts';
import type { Logger } from './common/logger.ts';
import type { McpServersApi } from './mcp/service/api/mcp-server-routes.ts';
import type { ApiRoute, Authenticate } from './mcp/service/api/route.ts';
import type { ToolSource } from './router/tools/tool.ts';

export interface ExtensionContext {
  /** The configuration at start. */
  config: HearthConfig;
  /** The configuration in force now (changes through the API or config.yaml). */
  currentConfig(): HearthConfig;
  /** Called after every configuration change with the new configuration. */
  onConfigChange(listener: (config: HearthConfig) => void): () => void;
  /** Hearth's database (WAL); an extension keeps its own tables, added by a migration. */
  db: DatabaseSync;
  bus: Bus;
  logger: Logger;
  /** The HTTP server before it listens: for routes outside `/api/v1` (such as `/mcp`). */
  app: FastifyInstance;
  /** Checks `Authorization: Bearer <token>` the way the REST API does. */
  authenticate: Authenticate;
  /** Sends a frame to every WebSocket session, or only to those of one role. */
  broadcast(frame: Record<string, unknown>, role?: 'admin' | 'user'): void;
}

export interface StartedExtension {
  /** Tools for the chat loop's catalogue (asked again on every turn). */
  tools?: ToolSource;
  /** The home's devices: they answer `devices.subscribe` and `device.set`. */
  devices?: DeviceService;
  /** The MCP servers' switches, for `/api/v1/mcp-servers`. */
  mcpServers?: McpServersApi;
  /** More REST routes under `/api/v1`, described like the others (OpenAPI included). */
  apiRoutes?: ApiRoute[];
  /** Stops everything the extension started (processes, connections, timers). */
  stop?(): Promise<void>;
}

export interface HearthExtension {
  /** Shown in logs. */
  name: string;
  start(context: ExtensionContext): Promise<StartedExtension>;
}
