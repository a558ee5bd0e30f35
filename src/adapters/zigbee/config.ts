/**
 * Configuration of the Zigbee2MQTT adapter: the `zigbee` section of Hearth's config (its
 * schema lives with the rest of the config in src/common/config).
 */
import type { z } from 'zod';

export { zigbeeConfigSchema } from '../../common/config/zigbee-schema.ts';
import type { zigbeeConfigSchema } from '../../common/config/zigbee-schema.ts';

export type ZigbeeConfig = z.infer<typeof zigbeeConfigSchema>;

/** Whether the adapter should start at all. */
export function zigbeeEnabled(config: ZigbeeConfig): boolean {
  if (config.enabled === false) return false;
  return config.mqttURL !== undefined || config.embeddedBroker.enabled;
}

/** The broker URL without credentials, for logs. */
export function redactURL(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '[unparsable url]';
  }
}
