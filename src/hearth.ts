import type { AddressInfo } from 'node:net';
import { discoverOllama } from './adapters/ollama/discover.ts';
import type { ChatProvider } from './adapters/provider.ts';
import { createChatProviders, createImageProviders } from './adapters/registry.ts';
import { createApiPlugin } from './mcp/service/api/api-plugin.ts';
import type { Authenticate } from './mcp/service/api/route.ts';
import { MediaStore } from './mcp/service/media/media-store.ts';
import { withLocalOllama } from './router/local-defaults.ts';
import { isImageKind, type HearthConfig } from './common/config/schema.ts';
import type { Secrets } from './common/config/secrets.ts';
import { deletedFrame, renamedFrame } from './common/protocol.ts';
import { loadConfig, type Env } from './common/config/load.ts';
import { LiveConfig } from './mcp/service/config/live-config.ts';
import { OverlayStore } from './mcp/service/config/overlay-store.ts';
import { watchConfigFile } from './mcp/service/config/watch-config-file.ts';
import type { Logger } from './common/logger.ts';
import { ensureBootstrapToken } from './gateway/auth/bootstrap-token.ts';
import { TokenAuth } from './gateway/auth/token-auth.ts';
import { DeviceFeed } from './gateway/devices/device-feed.ts';
import { Hub } from './gateway/hub/hub.ts';
import { createGateway, type Gateway } from './gateway/server.ts';
import { profileState } from './gateway/ws/session.ts';
import { openDatabase, startCheckpoints } from './mcp/service/store/database.ts';
import { SqliteConversationStore } from './mcp/service/store/conversation-store.ts';
import { localTurnStore } from './mcp/service/store/local-turn-store.ts';
import { conversationSnapshot, olderMessages } from './router/snapshot.ts';
import { ProfileResolver, setupHint } from './router/profiles.ts';
import { Router } from './router/router.ts';
import { builtinTools } from './router/tools/builtin/index.ts';
import { ToolCatalogue } from './router/tools/catalogue.ts';
import type { ToolSource } from './router/tools/tool.ts';
import type { Bus } from './common/bus/bus.ts';
import { MemoryBus } from './common/bus/memory-bus.ts';
import type { HearthExtension, StartedExtension } from './extension.ts';

export interface HearthOptions {
  config: HearthConfig;
  /** config.yaml's values with the environment applied, before validation; default `config`. */
  raw?: Record<string, unknown>;
  /** config.yaml, watched for changes while Hearth runs. */
  configFile?: string | undefined;
  /** Environment for re-reading config.yaml. */
  env?: Env;
  secrets: Secrets;
  /** The secrets a changed config names; default: the same `secrets` for every config. */
  secretsFor?: (config: HearthConfig) => Secrets;
  logger: Logger;
  /** Told the admin token made on a first start, to show it once; never logged. */
  onAdminToken?: (token: string, url: string) => void;
  /** Tool sources beyond Hearth's built-in ones. */
  toolSources?: ToolSource[];
  /** Optional rooms started with Hearth (the MCP aggregator, Zigbee); see extension.ts. */
  extensions?: HearthExtension[];
  /** The bus between rooms; default an in-process one, closed on stop. */
  bus?: Bus;
  /**
   * Chat providers to use in place of the ones config builds, by provider id: a chat provider
   * the config declares is served by this object instead, also after a config change. For
   * tests and benchmarks that drive a turn without an HTTP upstream. An id the starting config
   * does not declare as a chat provider is refused at start.
   */
  chatProviders?: ReadonlyMap<string, ChatProvider>;
}

export interface RunningHearth {
  /** `http://host:port` the gateway listens on. */
  url: string;
  port: number;
  gateway: Gateway;
  router: Router;
  hub: Hub;
  /** Stops taking turns, interrupts running ones keeping their partial text, closes everything. */
  stop(): Promise<void>;
}

/** With no provider configured, offers the models of a local Ollama when one answers. */
async function withDiscoveredProviders(
  config: HearthConfig,
  logger: Logger,
): Promise<HearthConfig> {
  if (Object.keys(config.providers).length > 0 || !config.discovery.ollama) return config;
  const models = await discoverOllama({ baseURL: config.discovery.ollamaURL });
  if (!models || models.length === 0) return config;
  logger.info(
    { url: config.discovery.ollamaURL, models: models.length },
    'no provider configured: offering the models of a local Ollama',
  );
  return withLocalOllama(config, { baseURL: config.discovery.ollamaURL, models });
}

/** `built` with each declared provider that `overrides` names replaced by the override. */
function withChatOverrides(
  built: Map<string, ChatProvider>,
  overrides: ReadonlyMap<string, ChatProvider> | undefined,
): Map<string, ChatProvider> {
  for (const [id, provider] of overrides ?? []) if (built.has(id)) built.set(id, provider);
  return built;
}

/** Wires every room into one process: the embedded default that `npm start` runs. */
export async function startHearth(options: HearthOptions): Promise<RunningHearth> {
  const { logger } = options;
  const secretsFor = options.secretsFor ?? (() => options.secrets);
  for (const id of options.chatProviders?.keys() ?? []) {
    const kind = options.config.providers[id]?.kind;
    if (kind === undefined || isImageKind(kind))
      throw new Error(`chatProviders: "${id}" is not a chat provider in the configuration`);
  }
  const db = openDatabase({ dataDir: options.config.dataDir });
  const checkpoints = startCheckpoints(db);
  const live = new LiveConfig<{
    nextSecrets: Secrets;
    chat: ReturnType<typeof createChatProviders>;
    images: ReturnType<typeof createImageProviders>;
  }>({ fileRaw: options.raw ?? options.config, overlays: new OverlayStore(db) });
  let config = await withDiscoveredProviders(live.current, logger);
  let secrets = secretsFor(config);
  const store = new SqliteConversationStore(db, {
    searchIndex: {
      onError: (err) => logger.warn({ err }, 'search index could not catch up; trying again'),
    },
  });
  const interrupted = store.interruptStreaming();
  if (interrupted > 0)
    logger.warn({ interrupted }, 'marked replies left streaming by an unclean stop as interrupted');

  const bootstrap = await ensureBootstrapToken({
    dataDir: config.dataDir,
    configuredTokens: secrets.tokens.length,
  });
  const auth = new TokenAuth(
    bootstrap.entry ? [...secrets.tokens, bootstrap.entry] : secrets.tokens,
  );

  let providers = withChatOverrides(createChatProviders(config, secrets), options.chatProviders);
  let imageProviders = createImageProviders(config, secrets);
  const profiles = new ProfileResolver({
    config: () => config,
    providers: () => providers,
    imageProviders: () => imageProviders,
  });
  const mediaStore = new MediaStore({ dataDir: config.dataDir });
  const media = {
    put: async (data: Uint8Array, mediaType: string) => ({
      url: `/media/${(await mediaStore.put(data, mediaType)).name}`,
    }),
  };
  const hub: Hub = new Hub({
    replayEvents: config.stream.replayEvents,
    maxIdleLogs: config.stream.maxIdleLogs,
    replayBytes: config.stream.replayBytes,
    source: {
      lastSeq: (id) => store.lastSeq(id),
      snapshot: (id, limit) => conversationSnapshot(store, router, id, limit),
      saveLastSeq: (id, seq) => store.setLastSeq(id, seq),
    },
  });
  const tools = new ToolCatalogue([builtinTools, ...(options.toolSources ?? [])]);
  const router: Router = new Router({
    store: localTurnStore(store),
    tools,
    media,
    sink: hub,
    profiles,
    logger,
    checkpointMs: config.stream.checkpointMs,
  });

  const devices = new DeviceFeed();
  const gateway = await createGateway({
    config,
    logger,
    auth,
    hub,
    router,
    history: (id, before, limit) => olderMessages(store, id, before, limit),
    devices,
    profiles,
    media: mediaStore,
    limits: config.limits,
    setupHint,
  });
  const authenticate: Authenticate = (header) => auth.verifyBearer(header);
  const bus = options.bus ?? new MemoryBus({ logger });
  const started: StartedExtension[] = [];
  for (const extension of options.extensions ?? []) {
    const result = await extension.start({
      config,
      currentConfig: () => config,
      onConfigChange: (listener) => live.onChange(({ config: next }) => listener(next)),
      db,
      bus,
      logger: logger.child({ extension: extension.name }),
      app: gateway.app,
      authenticate,
      broadcast: (frame, role) => gateway.broadcast(frame, role),
    });
    started.push(result);
    if (result.tools) tools.add(result.tools);
    if (result.devices) devices.attach(result.devices);
  }
  await gateway.app.register(
    createApiPlugin({
      store,
      authenticate,
      mcpServers: () => started.find((result) => result.mcpServers)?.mcpServers,
      devices: () => devices.service,
      extraRoutes: started.flatMap((result) => result.apiRoutes ?? []),
      isBusy: (id) => router.isBusy(id),
      onDeleted: (id) => {
        hub.forget(id);
        gateway.broadcast(deletedFrame(id));
      },
      onRenamed: (conversation) => gateway.broadcast(renamedFrame(conversation)),
      config: live,
    }),
  );
  live.check = (next) => {
    // Everything a change needs must be there before it applies: secrets, buildable providers.
    const nextSecrets = secretsFor(next);
    return {
      nextSecrets,
      chat: withChatOverrides(createChatProviders(next, nextSecrets), options.chatProviders),
      images: createImageProviders(next, nextSecrets),
    };
  };
  live.onChange(({ config: next, version, built }) => {
    config = next;
    secrets = built.nextSecrets;
    providers = built.chat;
    imageProviders = built.images;
    auth.replace(bootstrap.entry ? [...secrets.tokens, bootstrap.entry] : secrets.tokens);
    logger.level = next.log.level;
    hub.configure(next.stream);
    logger.info({ version }, 'configuration changed');
    gateway.broadcast({ type: 'config.changed', version, ...profileState(profiles, setupHint) });
  });
  const watcher = options.configFile
    ? watchConfigFile({
        file: options.configFile,
        onChange: () => void reloadFile(options.configFile as string),
      })
    : undefined;
  const reloadFile = async (file: string) => {
    try {
      const { raw } = await loadConfig({
        env: { ...(options.env ?? process.env), HEARTH_CONFIG: file },
      });
      live.replaceFile(raw, file);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error(
        { err: error },
        'config.yaml changed but is not valid; the running configuration stays',
      );
      gateway.broadcast(
        {
          type: 'config.changed',
          version: live.version,
          error: { code: 'invalid_config', message },
        },
        'admin',
      );
    }
  };

  await gateway.app.listen({ host: config.server.host, port: config.server.port });
  const address = gateway.app.server.address() as AddressInfo;
  const host =
    config.server.host === '0.0.0.0' || config.server.host === '::'
      ? 'localhost'
      : config.server.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  if (bootstrap.createdToken !== undefined) options.onAdminToken?.(bootstrap.createdToken, url);
  logger.info({ url, profiles: profiles.list().length }, 'Hearth is listening');

  let stopping: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    gateway,
    router: router,
    hub,
    stop() {
      stopping ??= (async () => {
        watcher?.close();
        await router.shutdown();
        hub.flush();
        gateway.closeSessions('Hearth is shutting down');
        await gateway.app.close();
        devices.detach();
        for (const result of started.reverse()) await result.stop?.();
        if (!options.bus) await bus.close();
        checkpoints.stop();
        db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        db.close();
        logger.info('Hearth stopped');
      })();
      return stopping;
    },
  };
}
