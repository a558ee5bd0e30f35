/** Small helpers shared by the adapter tests. */
import { createLogger } from '../../src/common/logger.ts';
import type { DeviceEvent } from '../../src/common/devices.ts';
import { zigbeeConfigSchema, type ZigbeeConfig } from '../../src/adapters/zigbee/config.ts';
import {
  startZigbee,
  type StartZigbeeOptions,
  type ZigbeeService,
} from '../../src/adapters/zigbee/device-service.ts';

export const silentLogger = createLogger({ level: 'silent' });

export function config(input: Record<string, unknown>): ZigbeeConfig {
  return zigbeeConfigSchema.parse(input);
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitUntil<T>(
  check: () => T | undefined | false,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface Started extends AsyncDisposable {
  service: ZigbeeService;
  events: DeviceEvent[];
}

/** Starts the adapter, records its events, and stops it when disposed. */
export async function start(
  input: Record<string, unknown>,
  extra: Partial<StartZigbeeOptions> = {},
): Promise<Started> {
  const service = await startZigbee({ config: config(input), logger: silentLogger, ...extra });
  const events: DeviceEvent[] = [];
  service.onEvent((event) => events.push(event));
  return { service, events, [Symbol.asyncDispose]: () => service.stop() };
}
