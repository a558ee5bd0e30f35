/**
 * Starts a whole Hearth in-process on a free loopback port, with a fresh data folder, a known
 * admin token and profiles pointing at a provider double. Dispose it to stop and clean up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type HearthConfig } from '../../src/common/config/schema.ts';
import { hashToken, type Secrets } from '../../src/common/config/secrets.ts';
import { createLogger } from '../../src/common/logger.ts';
import { startHearth, type RunningHearth } from '../../src/hearth.ts';
import type { HearthExtension } from '../../src/extension.ts';
import type { ToolSource } from '../../src/router/tools/tool.ts';
import type { Bus } from '../../src/common/bus/bus.ts';
import type { ChatProvider } from '../../src/adapters/provider.ts';

export const adminToken = 'test-admin-token-0123456789';
export const userToken = 'test-user-token-0123456789';

export interface TestHearth extends AsyncDisposable {
  hearth: RunningHearth;
  config: HearthConfig;
  url: string;
  wsUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface TestHearthOptions {
  /** Base URL of an OpenAI-compatible double; when given, profiles `default` and `second` use it. */
  providerBaseURL?: string;
  /** Raw config merged over the fixture's (validated by the real schema). */
  config?: Record<string, unknown>;
  dataDir?: string;
  /** API keys by provider id, as if read from the environment. */
  providerKeys?: Record<string, string>;
  /** Optional rooms to start with it (MCP aggregator, Zigbee). */
  extensions?: HearthExtension[];
  /** Tool sources beyond the built-in ones. */
  toolSources?: ToolSource[];
  /** A bus shared with the test (a RedisBus, say); default an in-process one. */
  bus?: Bus;
  /** Providers used in place of configured ones, by provider id (HearthOptions.chatProviders). */
  chatProviders?: ReadonlyMap<string, ChatProvider>;
}

export async function startTestHearth(options: TestHearthOptions = {}): Promise<TestHearth> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'hearth-test-')));
  const providers = options.providerBaseURL
    ? { providers: { double: { kind: 'openai-compatible', baseURL: options.providerBaseURL } } }
    : {};
  const profiles = options.providerBaseURL
    ? {
        profiles: {
          default: { provider: 'double', model: 'test-model', system: 'You are a test.' },
          second: { provider: 'double', model: 'other-model' },
        },
        defaultProfile: 'default',
      }
    : {};
  const config = configSchema.parse({
    server: { host: '127.0.0.1', port: 0 },
    dataDir,
    log: { level: process.env.HEARTH_TEST_LOG ?? 'silent' },
    // A developer's own Ollama must not leak into tests.
    discovery: { ollama: false },
    ...providers,
    ...profiles,
    ...options.config,
  });
  const secrets: Secrets = {
    providerKeys: new Map(Object.entries(options.providerKeys ?? {})),
    tokens: [
      { name: 'admin', role: 'admin', hash: hashToken(adminToken) },
      { name: 'kid', role: 'user', hash: hashToken(userToken) },
    ],
  };
  let hearth: RunningHearth;
  try {
    hearth = await startHearth({
      config,
      secrets,
      logger: createLogger({ level: config.log.level }),
      ...(options.extensions && { extensions: options.extensions }),
      ...(options.toolSources && { toolSources: options.toolSources }),
      ...(options.bus && { bus: options.bus }),
      ...(options.chatProviders && { chatProviders: options.chatProviders }),
    });
  } catch (error) {
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const stop = async () => {
    await hearth.stop();
  };
  return {
    hearth,
    config,
    url: hearth.url,
    wsUrl: `${hearth.url.replace('http', 'ws')}/ws`,
    dataDir,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
