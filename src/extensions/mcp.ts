import { isAbsolute, resolve } from 'node:path';
import type { HearthExtension, StartedExtension } from '../extension.ts';
import { McpAggregator, type ServerInfo } from '../mcp/aggregator/aggregator.ts';
import { mergedSource, serverSource } from '../mcp/aggregator/endpoint-sources.ts';
import { registerMcpEndpoint } from '../mcp/aggregator/endpoint/mcp-endpoint.ts';
import { loadServersFile, type ServersFile } from '../mcp/aggregator/servers-file.ts';
import { watchServersFile } from '../mcp/aggregator/servers-file-watch.ts';
import { createMcpToolSource } from '../mcp/aggregator/tool-source.ts';
import type { McpServerView } from '../mcp/service/api/mcp-server-routes.ts';

export interface McpExtensionOptions {
  /** Where a relative `mcp.serversFile` is found; default the working directory. */
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds between health checks of running servers; default 30 s. */
  healthEveryMs?: number;
}

const emptyFile: ServersFile = { servers: [], invalid: [] };

function view(info: ServerInfo): McpServerView {
  return {
    name: info.name,
    enabled: info.enabled,
    switchedBy: info.source,
    state: info.state,
    transport: info.transport ?? 'unknown',
    protocolVersion: info.era ?? null,
    tools: info.toolCount,
    lastError: info.lastError ?? null,
    restarts: info.restarts,
    startedAt: info.startedAt ?? null,
  };
}

/**
 * The MCP aggregator as a room of Hearth: the servers file (watched; only changed servers
 * restart), ON/OFF switches through `/api/v1/mcp-servers` kept in the database, the merged
 * tools in the chat loop's catalogue, `/mcp` and `/mcp/<server>` for other MCP clients, and
 * `mcp.servers` frames to every UI when a server's state changes. A servers file that cannot
 * be read stops Hearth at start; an invalid entry only leaves that server out.
 */
export function mcpExtension(options: McpExtensionOptions = {}): HearthExtension {
  return {
    name: 'mcp',
    async start(context): Promise<StartedExtension> {
      const { logger } = context;
      const env = options.env ?? process.env;
      const pathOf = (file: string | undefined) =>
        file === undefined || isAbsolute(file) ? file : resolve(options.baseDir ?? '.', file);
      let path = pathOf(context.config.mcp.serversFile);
      const file = path ? await loadServersFile(path, env) : emptyFile;
      const report = (loaded: ServersFile) => {
        for (const { server, message } of loaded.invalid)
          logger.error({ server }, `MCP server left out: ${message}`);
      };
      report(file);
      const aggregator = new McpAggregator({ db: context.db, file, log: logger });
      logger.info({ servers: file.servers.length, file: path ?? null }, 'MCP servers configured');
      // Servers never listed are started once, a few at a time, to learn their tools; their
      // catalogues are kept, so later starts spawn nothing until a tool is used.
      const discover = () =>
        void aggregator
          .discover({ concurrency: 4 })
          .catch((error: unknown) => logger.warn({ err: error }, 'MCP discovery failed'));
      discover();

      let watcher: { close(): void } | undefined;
      const watch = () => {
        watcher?.close();
        watcher = path
          ? watchServersFile(path, {
              env,
              onLoad: async (next) => {
                report(next);
                const result = await aggregator.reload(next);
                logger.info(result, 'MCP servers file reloaded');
                discover();
              },
              onError: (error) =>
                logger.error({ err: error }, 'MCP servers file changed but cannot be used'),
            })
          : undefined;
      };
      watch();
      const stopConfig = context.onConfigChange((config) => {
        const next = pathOf(config.mcp.serversFile);
        if (next === path) return;
        path = next;
        watch();
        void (path ? loadServersFile(path, env) : Promise.resolve(emptyFile))
          .then(async (loaded) => {
            report(loaded);
            logger.info(await aggregator.reload(loaded), 'MCP servers file changed');
            discover();
          })
          .catch((error: unknown) =>
            logger.error({ err: error }, 'the new MCP servers file cannot be used'),
          );
      });

      // UIs show each server's state; coalesced so a burst of changes sends one frame.
      let announce: NodeJS.Timeout | undefined;
      const stopChanges = aggregator.onChange(() => {
        announce ??= setTimeout(() => {
          announce = undefined;
          context.broadcast({ type: 'mcp.servers', servers: aggregator.list().map(view) });
        }, 50);
      });
      const health = setInterval(
        () => void aggregator.checkHealth().catch(() => undefined),
        options.healthEveryMs ?? 30_000,
      );
      health.unref();

      const endpoint = context.config.mcp.endpoint
        ? registerMcpEndpoint(context.app, {
            merged: mergedSource(aggregator),
            server: (name) =>
              aggregator.server(name) ? serverSource(aggregator, name) : undefined,
            authenticate: context.authenticate,
            logger,
            pageSize: context.config.mcp.pageSize,
          })
        : undefined;

      return {
        tools: createMcpToolSource(aggregator),
        mcpServers: {
          list: () => aggregator.list().map(view),
          setEnabled: async (name, enabled) =>
            aggregator.server(name) ? view(await aggregator.setEnabled(name, enabled)) : undefined,
          clearOverride: async (name) => {
            if (!aggregator.server(name)) return undefined;
            return view(await aggregator.clearOverride(name));
          },
        },
        async stop() {
          clearInterval(health);
          clearTimeout(announce);
          stopChanges();
          stopConfig();
          watcher?.close();
          await endpoint?.close();
          await aggregator.stop();
        },
      };
    },
  };
}
