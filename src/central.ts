/**
 * `--role central`: the central service alone. It holds the database (the only writer), serves
 * the REST API to people, tools and gateways, and publishes every change on Redis for the
 * gateways to apply. It runs no chat turns and no WebSocket.
 */
import type { AddressInfo } from 'node:net';
import type { Bus } from './common/bus/bus.ts';
import { publishTopic } from './common/bus/bus.ts';
import {
  broadcast,
  configChanged,
  configRejected,
  conversationDeleted,
  deviceEvent,
} from './common/bus/cluster-topics.ts';
import { loadConfig, type Env } from './common/config/load.ts';
import type { HearthConfig } from './common/config/schema.ts';
import { renamedFrame } from './common/protocol.ts';
import { resolveTokens, type TokenEntry } from './common/config/secrets.ts';
import type { Logger } from './common/logger.ts';
import type { HearthExtension, StartedExtension } from './extension.ts';
import { ensureBootstrapToken } from './gateway/auth/bootstrap-token.ts';
import { TokenAuth } from './gateway/auth/token-auth.ts';
import { createPlainServer } from './gateway/http/plain-server.ts';
import type { DeviceService } from './common/devices.ts';
import { createApiPlugin } from './mcp/service/api/api-plugin.ts';
import {
  clusterRoutes,
  interruptOrphanedReplies,
  staleStreamingMs,
  streamsElsewhere,
} from './mcp/service/api/cluster-routes.ts';
import type { Authenticate } from './mcp/service/api/route.ts';
import { LiveConfig } from './mcp/service/config/live-config.ts';
import { OverlayStore } from './mcp/service/config/overlay-store.ts';
import { watchConfigFile } from './mcp/service/config/watch-config-file.ts';
import { SqliteConversationStore } from './mcp/service/store/conversation-store.ts';
import { openDatabase, startCheckpoints } from './mcp/service/store/database.ts';
import { MediaStore } from './mcp/service/media/media-store.ts';
import { ToolCatalogue } from './router/tools/catalogue.ts';
import { runToolCall } from './router/tools/run-tool-call.ts';

export interface CentralOptions {
  config: HearthConfig;
  raw?: Record<string, unknown>;
  configFile?: string | undefined;
  env: Env;
  logger: Logger;
  /** Redis Pub/Sub, shared with the gateways; closed by the caller. */
  bus: Bus;
  onAdminToken?: (token: string, url: string) => void;
  extensions?: HearthExtension[];
}

export interface RunningCentral {
  url: string;
  port: number;
  live: LiveConfig<{ tokens: TokenEntry[] }>;
  stop(): Promise<void>;
}

export async function startCentral(options: CentralOptions): Promise<RunningCentral> {
  const { logger, bus } = options;
  const db = openDatabase({ dataDir: options.config.dataDir });
  const checkpoints = startCheckpoints(db);
  const store = new SqliteConversationStore(db, {
    searchIndex: {
      onError: (err) => logger.warn({ err }, 'search index could not catch up; trying again'),
    },
  });
  // Replies whose gateway stopped mid-turn: marked interrupted now and every half of the
  // time after which they count as orphaned.
  const sweepOrphans = () => {
    const orphaned = interruptOrphanedReplies({ store });
    if (orphaned > 0)
      logger.warn({ orphaned }, 'marked replies orphaned by a gateway as interrupted');
  };
  sweepOrphans();
  const orphanSweep = setInterval(sweepOrphans, staleStreamingMs / 2);
  orphanSweep.unref();
  const live = new LiveConfig<{ tokens: TokenEntry[] }>({
    fileRaw: options.raw ?? options.config,
    overlays: new OverlayStore(db),
  });
  // Provider keys live where the turns run (the gateways); here only the tokens are needed.
  live.check = (next) => ({ tokens: resolveTokens(next, options.env) });
  let tokens = resolveTokens(live.current, options.env);
  const bootstrap = await ensureBootstrapToken({
    dataDir: options.config.dataDir,
    configuredTokens: tokens.length,
  });
  const allTokens = () => (bootstrap.entry ? [...tokens, bootstrap.entry] : tokens);
  const auth = new TokenAuth(allTokens());
  const authenticate: Authenticate = (header) => auth.verifyBearer(header);
  const publish = <T>(topic: Parameters<typeof publishTopic<T>>[1], message: T) =>
    publishTopic(bus, topic, message).catch((error: unknown) =>
      logger.warn({ err: error, channel: topic.channel }, 'could not publish on the bus'),
    );

  const app = createPlainServer({ config: options.config, logger });
  // The extensions' tools run here, once for the house; gateways list and call them over REST.
  const tools = new ToolCatalogue([]);
  const clusterApi = {
    store,
    media: new MediaStore({ dataDir: options.config.dataDir }),
    state: () => ({ version: live.version, config: live.current, tokens: allTokens() }),
    tools: {
      list: () =>
        tools.entries().map(({ tool: { name, description, inputSchema }, large }) => ({
          name,
          description,
          inputSchema,
          large,
        })),
      call: (name: string, args: Record<string, unknown>, signal: AbortSignal) =>
        runToolCall({ id: 'central', name, arguments: JSON.stringify(args) }, tools.all(), signal),
    },
  };
  const started: StartedExtension[] = [];
  let devices: DeviceService | undefined;
  for (const extension of options.extensions ?? []) {
    const result = await extension.start({
      config: live.current,
      currentConfig: () => live.current,
      onConfigChange: (listener) => live.onChange(({ config }) => listener(config)),
      db,
      bus,
      logger: logger.child({ extension: extension.name }),
      app,
      authenticate,
      broadcast: (frame, role) => void publish(broadcast, { frame, ...(role && { role }) }),
    });
    started.push(result);
    if (result.tools) tools.add(result.tools);
    if (result.devices) {
      devices = result.devices;
      // Gateways keep their own copy of the device list and follow it through these events.
      result.devices.onEvent((event) => void publish(deviceEvent, event));
    }
  }
  await app.register(
    createApiPlugin({
      store,
      authenticate,
      isBusy: (id) => streamsElsewhere(clusterApi, id),
      onDeleted: (conversationId) => void publish(conversationDeleted, { conversationId }),
      // Every gateway sends it to every client it has.
      onRenamed: (conversation) => void publish(broadcast, { frame: renamedFrame(conversation) }),
      config: live,
      mcpServers: () => started.find((result) => result.mcpServers)?.mcpServers,
      devices: () => devices,
      extraRoutes: [...clusterRoutes(clusterApi), ...started.flatMap((s) => s.apiRoutes ?? [])],
    }),
  );
  live.onChange(({ config, version, built }) => {
    tokens = built.tokens;
    logger.level = config.log.level;
    auth.replace(allTokens());
    logger.info({ version }, 'configuration changed: telling the gateways');
    void publish(configChanged, { version });
  });
  const reloadFile = async (file: string) => {
    try {
      const { raw } = await loadConfig({ env: { ...options.env, HEARTH_CONFIG: file } });
      live.replaceFile(raw, file);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ err: error }, 'config.yaml changed but is not valid; the config stays');
      void publish(configRejected, { version: live.version, message });
    }
  };
  const watcher = options.configFile
    ? watchConfigFile({
        file: options.configFile,
        onChange: () => void reloadFile(options.configFile as string),
      })
    : undefined;

  await app.listen({ host: options.config.server.host, port: options.config.server.port });
  const port = (app.server.address() as AddressInfo).port;
  const host = options.config.server.host;
  const url = `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;
  if (bootstrap.createdToken !== undefined) options.onAdminToken?.(bootstrap.createdToken, url);
  logger.info({ url, role: 'central' }, 'Hearth central service is listening');

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    live,
    stop() {
      stopping ??= (async () => {
        watcher?.close();
        await app.close();
        for (const result of started.reverse()) await result.stop?.();
        clearInterval(orphanSweep);
        checkpoints.stop();
        db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        db.close();
        logger.info('central service stopped');
      })();
      return stopping;
    },
  };
}
