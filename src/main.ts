import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RedisBus } from './common/bus/redis-bus.ts';
import { loadConfig } from './common/config/load.ts';
import type { HearthConfig } from './common/config/schema.ts';
import { resolveSecrets } from './common/config/secrets.ts';
import { ErrorCode, HearthError } from './common/errors.ts';
import { createLogger, type Logger } from './common/logger.ts';
import { startHearth } from './hearth.ts';
import type { HearthExtension } from './extension.ts';
import { mcpExtension } from './extensions/mcp.ts';
import { zigbeeExtension } from './extensions/zigbee.ts';

if (existsSync('.env')) process.loadEnvFile('.env');

/** Shown once on the terminal, outside the JSON log, which never carries secrets. */
function showAdminToken(token: string, url: string): void {
  process.stderr.write(
    `\nHearth made an admin token on this first start. It is shown only now; keep it safe:\n\n  ${token}\n\n` +
      `Open the page with it: ${url}/#token=${token}\n\n`,
  );
}

const roles = ['all', 'central', 'gateway'] as const;
type Role = (typeof roles)[number];

function roleFrom(argv: string[], env: NodeJS.ProcessEnv): Role {
  const { values } = parseArgs({ args: argv, options: { role: { type: 'string' } } });
  const role = values.role ?? env.HEARTH_ROLE ?? 'all';
  if (!(roles as readonly string[]).includes(role)) {
    throw new HearthError(
      ErrorCode.invalidConfig,
      `Invalid configuration (--role): "${role}" is not one of ${roles.join(', ')}`,
    );
  }
  return role as Role;
}

async function connectBus(config: HearthConfig, logger: Logger): Promise<RedisBus> {
  if (!config.cluster.redisURL) {
    throw new HearthError(
      ErrorCode.invalidConfig,
      'Invalid configuration (cluster.redisURL): a split Hearth needs Redis; set it or HEARTH_REDIS_URL',
    );
  }
  // Loaded only for split roles: `npm start` never needs ioredis.
  const { RedisBus } = await import('./common/bus/redis-bus.ts');
  return RedisBus.connect({ url: config.cluster.redisURL, logger });
}

/** The optional rooms: they run where the database is (one process, or the central service). */
function extensions(configFile: string | undefined): HearthExtension[] {
  // A relative servers file is found next to config.yaml, as a person editing both expects.
  const baseDir = configFile ? dirname(resolve(configFile)) : process.cwd();
  return [mcpExtension({ baseDir, env: process.env }), zigbeeExtension({ env: process.env })];
}

async function start(): Promise<{ stop(): Promise<void>; logger: Logger }> {
  const role = roleFrom(process.argv.slice(2), process.env);
  const { config, file, raw } = await loadConfig({ env: process.env });
  const logger = createLogger({ level: config.log.level });
  logger.info({ configFile: file ?? null, dataDir: config.dataDir, role }, 'configuration loaded');
  if (role === 'all') {
    const hearth = await startHearth({
      config,
      raw,
      configFile: file,
      env: process.env,
      secrets: resolveSecrets(config, process.env),
      secretsFor: (next) => resolveSecrets(next, process.env),
      logger,
      onAdminToken: showAdminToken,
      extensions: extensions(file),
    });
    return { stop: () => hearth.stop(), logger };
  }
  const bus = await connectBus(config, logger);
  const running =
    role === 'central'
      ? await (
          await import('./central.ts')
        ).startCentral({
          config,
          raw,
          configFile: file,
          env: process.env,
          logger,
          bus,
          onAdminToken: showAdminToken,
          extensions: extensions(file),
        })
      : await (
          await import('./gateway-node.ts')
        ).startGatewayNode({ config, env: process.env, logger, bus });
  return {
    logger,
    stop: async () => {
      await running.stop();
      await bus.close();
    },
  };
}

try {
  const hearth = await start();
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    hearth.logger.info({ signal }, 'stopping');
    hearth.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        hearth.logger.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (error) {
  const message =
    error instanceof HearthError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`Hearth could not start: ${message}\n`);
  process.exit(1);
}
