import type { AddressInfo } from 'node:net';
import { discoverOllama } from './adapters/ollama/discover.ts';
import { createChatProviders, createImageProviders } from './adapters/registry.ts';
import { createApiPlugin } from './mcp/service/api/api-plugin.ts';
import type { Authenticate } from './mcp/service/api/route.ts';
import { MediaStore } from './mcp/service/media/media-store.ts';
import { withLocalOllama } from './router/local-defaults.ts';
import type { HearthConfig } from './common/config/schema.ts';
import type { Secrets } from './common/config/secrets.ts';
import type { Logger } from './common/logger.ts';
import { ensureBootstrapToken } from './gateway/auth/bootstrap-token.ts';
import { TokenAuth } from './gateway/auth/token-auth.ts';
import { Hub } from './gateway/hub/hub.ts';
import { createGateway, type Gateway } from './gateway/server.ts';
import { openDatabase } from './mcp/service/store/database.ts';
import { SqliteConversationStore } from './mcp/service/store/conversation-store.ts';
import { ProfileResolver, setupHint } from './router/profiles.ts';
import { Router } from './router/router.ts';
import { builtinTools } from './router/tools/builtin/index.ts';
import { ToolCatalogue } from './router/tools/catalogue.ts';
import type { ToolSource } from './router/tools/tool.ts';

export interface HearthOptions {
  config: HearthConfig;
  secrets: Secrets;
  logger: Logger;
  /** Told the admin token made on a first start, to show it once; never logged. */
  onAdminToken?: (token: string, url: string) => void;
  /** Tool sources beyond Hearth's built-in ones. */
  toolSources?: ToolSource[];
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

/** The REST API's view of the gateway's tokens: `Authorization: Bearer <token>` to a principal. */
function bearerAuthenticator(auth: TokenAuth): Authenticate {
  return (header) => {
    const token = /^Bearer +(\S+)$/i.exec(header ?? '')?.[1];
    return token === undefined ? undefined : auth.verify(token);
  };
}

/** Wires every room into one process: the embedded default that `npm start` runs. */
export async function startHearth(options: HearthOptions): Promise<RunningHearth> {
  const { secrets, logger } = options;
  const config = await withDiscoveredProviders(options.config, logger);
  const db = openDatabase({ dataDir: config.dataDir });
  const store = new SqliteConversationStore(db);
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

  const providers = createChatProviders(config, secrets);
  const imageProviders = createImageProviders(config, secrets);
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
    source: {
      lastSeq: (id) => store.lastSeq(id),
      snapshot: (id) => router.snapshot(id),
      saveLastSeq: (id, seq) => store.setLastSeq(id, seq),
    },
  });
  const tools = new ToolCatalogue([builtinTools, ...(options.toolSources ?? [])]);
  const router: Router = new Router({
    store,
    tools,
    media,
    sink: hub,
    profiles,
    logger,
    checkpointMs: config.stream.checkpointMs,
  });

  const gateway = await createGateway({
    config,
    logger,
    auth,
    hub,
    router,
    profiles,
    media: mediaStore,
    limits: config.limits,
    setupHint,
  });
  await gateway.app.register(
    createApiPlugin({
      store,
      authenticate: bearerAuthenticator(auth),
      isBusy: (id) => router.isBusy(id),
      onDeleted: (id) => hub.forget(id),
    }),
  );
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
        await router.shutdown();
        hub.flush();
        gateway.closeSessions('Hearth is shutting down');
        await gateway.app.close();
        db.close();
        logger.info('Hearth stopped');
      })();
      return stopping;
    },
  };
}
