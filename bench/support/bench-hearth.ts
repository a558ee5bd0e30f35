/**
 * Hearth as the benchmarks run it: its own process (`node src/main.ts`) on a free loopback
 * port, with its data and config.yaml in `dir`, the admin token of the test fixtures, and
 * whatever else a benchmark adds to the environment (a servers file, a broker URL).
 */
import { join } from 'node:path';
import { adminToken } from '../../test/support/hearth-fixture.ts';
import { spawnHearth, type HearthProcess } from '../../test/support/hearth-process.ts';

export function spawnBenchHearth(dir: string, env: Record<string, string>): Promise<HearthProcess> {
  return spawnHearth({
    args: [],
    env: {
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PORT: '0',
      HEARTH_DATA_DIR: join(dir, 'data'),
      HEARTH_CONFIG: join(dir, 'config.yaml'),
      HEARTH_ADMIN: adminToken,
      ...env,
    },
    listening: 'Hearth is listening',
    timeoutMs: 60_000,
  });
}
