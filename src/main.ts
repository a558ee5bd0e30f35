import { existsSync } from 'node:fs';
import { loadConfig } from './common/config/load.ts';
import { resolveSecrets } from './common/config/secrets.ts';
import { HearthError } from './common/errors.ts';
import { createLogger } from './common/logger.ts';
import { startHearth } from './hearth.ts';

if (existsSync('.env')) process.loadEnvFile('.env');

try {
  const { config, file, raw } = await loadConfig({ env: process.env });
  const secrets = resolveSecrets(config, process.env);
  const logger = createLogger({ level: config.log.level });
  logger.info({ configFile: file ?? null, dataDir: config.dataDir }, 'configuration loaded');
  const hearth = await startHearth({
    config,
    raw,
    configFile: file,
    env: process.env,
    secrets,
    secretsFor: (next) => resolveSecrets(next, process.env),
    logger,
    onAdminToken: (token, url) => {
      // Shown once on the terminal, outside the JSON log, which never carries secrets.
      process.stderr.write(
        `\nHearth made an admin token on this first start. It is shown only now; keep it safe:\n\n  ${token}\n\n` +
          `Open the page with it: ${url}/#token=${token}\n\n`,
      );
    },
  });
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    logger.info({ signal }, 'stopping');
    hearth.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'unclean stop');
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
