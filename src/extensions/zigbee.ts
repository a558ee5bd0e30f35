import { zigbeeEnabled, redactURL } from '../adapters/zigbee/config.ts';
import type { HearthExtension, StartedExtension } from '../extension.ts';
import { SqliteDeviceStore } from '../mcp/service/devices/sqlite-device-store.ts';

/**
 * Zigbee through Zigbee2MQTT as a room of Hearth: the home's devices for the `devices.*`
 * frames and `/api/v1/devices`, and as tools for the model (`home__list_devices`,
 * `home__get_device_state`, `home__set_device_state`, groups and scenes). Off (nothing started) unless
 * `zigbee.mqttURL` or the embedded broker is configured. Devices and their last states are
 * kept in the database, so they are listed at once after a restart.
 */
export function zigbeeExtension(options: { env?: NodeJS.ProcessEnv } = {}): HearthExtension {
  return {
    name: 'zigbee',
    async start(context): Promise<StartedExtension> {
      const config = context.config.zigbee;
      if (!zigbeeEnabled(config)) return {};
      // MQTT and the device code load only for homes that use them.
      const [{ startZigbee }, { createDeviceTools }] = await Promise.all([
        import('../adapters/zigbee/device-service.ts'),
        import('../adapters/zigbee/device-tools.ts'),
      ]);
      const service = await startZigbee({
        config,
        logger: context.logger,
        store: new SqliteDeviceStore(context.db),
        env: options.env ?? process.env,
      });
      context.logger.info(
        { broker: redactURL(service.brokerURL), baseTopic: config.baseTopic },
        'Zigbee2MQTT adapter started',
      );
      const backend = service.toolsBackend();
      // Named `home__*` like every catalogue tool (`<source>__<tool>`), so a profile's allow
      // list can take them all at once.
      const tools = () =>
        createDeviceTools(backend).map((tool) => ({ ...tool, name: `home__${tool.name}` }));
      return {
        devices: service,
        tools: { tools },
        stop: () => service.stop(),
      };
    },
  };
}
