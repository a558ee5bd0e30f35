/**
 * A split Hearth in this process, for real: one central service and two gateways on their own
 * loopback ports, each with its own Redis connections to a throwaway `redis-server`. Dispose
 * it to stop everything and remove the data folders.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCentral, type RunningCentral } from '../../src/central.ts';
import { RedisBus } from '../../src/common/bus/redis-bus.ts';
import { configSchema } from '../../src/common/config/schema.ts';
import { createLogger } from '../../src/common/logger.ts';
import { startGatewayNode, type RunningGatewayNode } from '../../src/gateway-node.ts';
import type { HearthExtension } from '../../src/extension.ts';
import { adminToken, userToken } from './hearth-fixture.ts';
import { startRedisServer, type TestRedis } from './redis-server.ts';

export interface TestCluster extends AsyncDisposable {
  redis: TestRedis;
  central: RunningCentral;
  gateways: RunningGatewayNode[];
  wsUrls: string[];
  dataDirs: string[];
  stop(): Promise<void>;
}

const tokenEnv = { HEARTH_TEST_ADMIN: adminToken, HEARTH_TEST_USER: userToken };

export async function startTestCluster(options: {
  providerBaseURL: string;
  gateways?: number;
  /** More of the central service's environment (tokens added later through the API). */
  centralEnv?: Record<string, string>;
  /** Raw config merged over the central service's. */
  config?: Record<string, unknown>;
  /** More of each gateway's environment (providers' keys). */
  gatewayEnv?: Record<string, string>;
  /** Extensions of the central service (their tools reach the gateways' models). */
  extensions?: HearthExtension[];
}): Promise<TestCluster> {
  const redis = await startRedisServer();
  const logger = createLogger({ level: process.env.HEARTH_TEST_LOG ?? 'silent' });
  const dataDirs: string[] = [];
  const buses: RedisBus[] = [];
  const base = async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hearth-cluster-'));
    dataDirs.push(dataDir);
    return {
      server: { host: '127.0.0.1', port: 0 },
      dataDir,
      log: { level: 'silent' },
      discovery: { ollama: false },
      cluster: { redisURL: redis.url, streamEvents: 500 },
    };
  };
  const bus = async () => {
    const connected = await RedisBus.connect({ url: redis.url, logger, maxReconnectDelayMs: 100 });
    buses.push(connected);
    return connected;
  };
  const centralConfig = configSchema.parse({
    ...(await base()),
    providers: { double: { kind: 'openai-compatible', baseURL: options.providerBaseURL } },
    profiles: {
      default: { provider: 'double', model: 'test-model', system: 'You are a test.' },
      second: { provider: 'double', model: 'other-model' },
      tools: { provider: 'double', model: 'tool-model', tools: ['home__*', 'hearth__*'] },
      searcher: {
        provider: 'double',
        model: 'tool-model',
        tools: ['home__*', 'hearth__*'],
        toolMode: 'search',
      },
    },
    defaultProfile: 'default',
    ...options.config,
    auth: {
      tokens: [
        { name: 'admin', role: 'admin', tokenEnv: 'HEARTH_TEST_ADMIN' },
        { name: 'kid', role: 'user', tokenEnv: 'HEARTH_TEST_USER' },
      ],
    },
  });
  const central = await startCentral({
    config: centralConfig,
    env: { ...tokenEnv, ...options.centralEnv },
    logger: logger.child({ process: 'central' }),
    bus: await bus(),
    ...(options.extensions && { extensions: options.extensions }),
  });
  const gateways: RunningGatewayNode[] = [];
  for (let index = 0; index < (options.gateways ?? 2); index++) {
    const raw = await base();
    gateways.push(
      await startGatewayNode({
        config: configSchema.parse({
          ...raw,
          cluster: { ...raw.cluster, centralURL: central.url },
        }),
        env: { HEARTH_CENTRAL_TOKEN: adminToken, ...options.gatewayEnv },
        logger: logger.child({ process: `gateway${index + 1}` }),
        bus: await bus(),
      }),
    );
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const gateway of gateways) await gateway.stop();
    await central.stop();
    for (const connected of buses) await connected.close();
    await redis.stop();
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  };
  return {
    redis,
    central,
    gateways,
    wsUrls: gateways.map((g) => `${g.url.replace('http', 'ws')}/ws`),
    dataDirs,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
