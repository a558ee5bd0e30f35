/**
 * `--role gateway`: a gateway with its router, on a LAN with one central service and Redis.
 * It reads its configuration and tokens from the central service, stores turns through it,
 * numbers and shares conversation events through Redis Streams, and applies every change the
 * central service announces on the bus without a restart.
 */
import type { AddressInfo } from 'node:net';
import { createChatProviders, createImageProviders } from './adapters/registry.ts';
import type { Bus } from './common/bus/bus.ts';
import { publishTopic, subscribeTopic, type Unsubscribe } from './common/bus/bus.ts';
import {
  broadcast,
  cancelTurn,
  configChanged,
  configRejected,
  conversationDeleted,
  deviceEvent,
} from './common/bus/cluster-topics.ts';
import { validateConfig, type Env } from './common/config/load.ts';
import type { HearthConfig } from './common/config/schema.ts';
import { resolveProviderKeys, type TokenEntry } from './common/config/secrets.ts';
import { ErrorCode, HearthError } from './common/errors.ts';
import type { Logger } from './common/logger.ts';
import { deletedFrame } from './common/protocol.ts';
import { registerCentralProxy } from './gateway/cluster/central-proxy.ts';
import { TokenAuth } from './gateway/auth/token-auth.ts';
import { ClusterHub } from './gateway/cluster/cluster-hub.ts';
import { ClusterEventSink } from './gateway/cluster/cluster-sink.ts';
import { ClusterMedia } from './gateway/cluster/cluster-media.ts';
import { RedisEvents } from './gateway/cluster/redis-events.ts';
import { RemoteDeviceService } from './gateway/cluster/remote-devices.ts';
import { RemoteToolSource } from './gateway/cluster/remote-tools.ts';
import { DeviceFeed } from './gateway/devices/device-feed.ts';
import { createGateway, type Gateway } from './gateway/server.ts';
import { profileState } from './gateway/ws/session.ts';
import { CentralClient } from './mcp/service/client/central-client.ts';
import { RemoteTurnStore } from './mcp/service/client/remote-turn-store.ts';
import { MediaStore } from './mcp/service/media/media-store.ts';
import { ProfileResolver, setupHint } from './router/profiles.ts';
import { Router } from './router/router.ts';
import { builtinTools } from './router/tools/builtin/index.ts';
import { ToolCatalogue } from './router/tools/catalogue.ts';

export interface GatewayNodeOptions {
  /** This gateway's own config: `server`, `dataDir`, `log` and `cluster` are taken from it. */
  config: HearthConfig;
  env: Env;
  logger: Logger;
  /** Redis Pub/Sub shared with the central service; closed by the caller. */
  bus: Bus;
}

export interface RunningGatewayNode {
  url: string;
  port: number;
  gateway: Gateway;
  router: Router;
  hub: ClusterHub;
  /** Version of the central configuration this gateway runs on. */
  readonly version: number;
  /** Reads the central state again now (also done on every announced change). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

interface CentralState {
  version: number;
  config: Record<string, unknown>;
  tokens: TokenEntry[];
}

/** The central configuration with this gateway's own place on the LAN. */
function localise(central: Record<string, unknown>, local: HearthConfig): HearthConfig {
  return validateConfig(
    {
      ...central,
      server: local.server,
      dataDir: local.dataDir,
      log: local.log,
      cluster: local.cluster,
    },
    { where: 'the central service' },
  );
}

export async function startGatewayNode(options: GatewayNodeOptions): Promise<RunningGatewayNode> {
  const { logger, bus, env } = options;
  const local = options.config;
  const { centralURL, redisURL, centralTokenEnv } = local.cluster;
  const token = env[centralTokenEnv];
  if (!centralURL || !redisURL || !token) {
    throw new HearthError(
      ErrorCode.invalidConfig,
      `Invalid configuration: a gateway needs cluster.centralURL, cluster.redisURL and a token in ${centralTokenEnv}`,
    );
  }
  const central = new CentralClient({ baseURL: centralURL, token });
  const first = await central.get<CentralState>('/cluster/state');
  let version = first.version;
  let config = localise(first.config, local);
  let providerKeys = resolveProviderKeys(config, env);
  const secrets = () => ({ providerKeys, tokens: [] });
  let providers = createChatProviders(config, secrets());
  let imageProviders = createImageProviders(config, secrets());
  const auth = new TokenAuth(first.tokens);
  const profiles = new ProfileResolver({
    config: () => config,
    providers: () => providers,
    imageProviders: () => imageProviders,
  });

  const events = await RedisEvents.connect({
    url: redisURL,
    logger,
    streamEvents: local.cluster.streamEvents,
  });
  const reservations = {
    reserved: async (id: string) =>
      (await central.get<{ seq: number }>(`/cluster/conversations/${encodeURIComponent(id)}/seq`))
        .seq,
    reserve: (id: string, seq: number) =>
      central.put<undefined>(`/cluster/conversations/${encodeURIComponent(id)}/seq`, { seq }),
  };
  const sink = new ClusterEventSink({ events, reservations, logger });
  const store = new RemoteTurnStore(central);
  const hub = new ClusterHub({
    events,
    sink,
    logger,
    source: {
      reserved: reservations.reserved,
      detail: (id, limit) => store.detail(id, limit),
    },
  });
  const media = new ClusterMedia({
    local: new MediaStore({ dataDir: local.dataDir }),
    central,
  });
  const remoteTools = new RemoteToolSource({ client: central, logger });
  await remoteTools.refresh();
  const router = new Router({
    store,
    tools: new ToolCatalogue([builtinTools, remoteTools, remoteTools.largeTools]),
    sink: hub,
    profiles,
    logger,
    checkpointMs: config.stream.checkpointMs,
    media,
  });
  // Devices live on the central service; this gateway follows them over REST and the bus.
  const remoteDevices = new RemoteDeviceService({ client: central, logger });
  await remoteDevices.refresh();
  const devices = new DeviceFeed();
  if (remoteDevices.configured) devices.attach(remoteDevices);
  // A bridge configured on the central service later shows up with its first list.
  remoteDevices.onEvent((event) => {
    if (event.type === 'devices.changed' && remoteDevices.configured && !devices.available)
      devices.attach(remoteDevices);
  });
  const gateway = await createGateway({
    config,
    logger,
    auth,
    hub,
    router,
    history: async (id, before, limit) => {
      const { messages, earlier } = await store.page(id, before, limit);
      return { messages, earlier };
    },
    devices,
    profiles,
    media,
    limits: config.limits,
    setupHint,
    cancelElsewhere: async (turnId) => {
      if (!(await events.isTurnRunning(turnId))) return false;
      await publishTopic(bus, cancelTurn, { turnId });
      return true;
    },
  });
  registerCentralProxy(gateway.app, { auth, centralURL, centralToken: token });

  let refreshing: Promise<void> | undefined;
  const apply = (state: CentralState) => {
    if (state.version === version) return;
    try {
      const next = localise(state.config, local);
      const keys = resolveProviderKeys(next, env);
      const nextSecrets = { providerKeys: keys, tokens: [] };
      const chat = createChatProviders(next, nextSecrets);
      const images = createImageProviders(next, nextSecrets);
      config = next;
      providerKeys = keys;
      providers = chat;
      imageProviders = images;
      auth.replace(state.tokens);
      version = state.version;
      logger.info({ version }, 'configuration changed');
      gateway.broadcast({ type: 'config.changed', version, ...profileState(profiles, setupHint) });
    } catch (error) {
      // The central service took it, but this gateway cannot run it (a key missing here).
      logger.error({ err: error, version: state.version }, 'cannot apply the new configuration');
      const message = error instanceof Error ? error.message : String(error);
      gateway.broadcast(
        { type: 'config.changed', version, error: { code: ErrorCode.invalidConfig, message } },
        'admin',
      );
    }
  };
  const refresh = () => {
    refreshing ??= central
      .get<CentralState>('/cluster/state')
      .then(apply)
      .catch((error: unknown) => logger.warn({ err: error }, 'cannot read the central state'))
      .finally(() => (refreshing = undefined));
    return refreshing;
  };

  const subscriptions: Unsubscribe[] = await Promise.all([
    subscribeTopic(bus, configChanged, ({ version: announced }) => {
      if (announced !== version) void refresh();
    }),
    subscribeTopic(bus, configRejected, ({ version: current, message }) =>
      gateway.broadcast(
        { type: 'config.changed', version: current, error: { code: 'invalid_config', message } },
        'admin',
      ),
    ),
    subscribeTopic(bus, conversationDeleted, ({ conversationId }) => {
      hub.forget(conversationId);
      void events.forget(conversationId);
      gateway.broadcast(deletedFrame(conversationId));
    }),
    subscribeTopic(bus, cancelTurn, ({ turnId }) => void router.cancel(turnId)),
    subscribeTopic(bus, broadcast, ({ frame, role }) => gateway.broadcast(frame, role)),
    subscribeTopic(bus, deviceEvent, (event) => remoteDevices.apply(event)),
  ]);
  // What was announced while Redis was away is read again.
  const stopReconnect = bus.onReconnect?.(() => {
    void refresh();
    void remoteDevices.refresh();
  });

  await gateway.app.listen({ host: local.server.host, port: local.server.port });
  const port = (gateway.app.server.address() as AddressInfo).port;
  const host = local.server.host;
  const url = `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;
  logger.info(
    { url, role: 'gateway', central: centralURL, version },
    'Hearth gateway is listening',
  );

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    gateway,
    router,
    hub,
    get version() {
      return version;
    },
    refresh,
    stop() {
      stopping ??= (async () => {
        stopReconnect?.();
        await Promise.all(subscriptions.map((unsubscribe) => unsubscribe().catch(() => undefined)));
        await router.shutdown();
        gateway.closeSessions('Hearth is shutting down');
        await gateway.app.close();
        await events.close();
        logger.info('gateway stopped');
      })();
      return stopping;
    },
  };
}
