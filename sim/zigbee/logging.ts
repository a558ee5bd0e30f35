/**
 * `bridge/logging` as Zigbee2MQTT 2.x publishes it. Its logger (lib/util/logger.ts) hands
 * winston the text `"<namespace>: <message>"` and the MQTT transport (lib/extension/bridge.ts)
 * publishes `{message, level, namespace}` with sorted keys, where `namespace` is absent at run
 * time; its own tests, with a mocked logger, show `{"level","message","namespace":"z2m"}` and an
 * unprefixed message. `runtime` (default) publishes what a running Zigbee2MQTT sends,
 * `documented` the tested form. Like Zigbee2MQTT, a payload identical to the previous one is
 * not published again.
 */
import { stableJson } from './bridge-payloads.ts';

export type LogFormat = 'runtime' | 'documented';

export interface BridgeLogger {
  error(message: string): Promise<void>;
}

export function createBridgeLogger(
  format: LogFormat,
  send: (payload: string) => Promise<void>,
): BridgeLogger {
  let last: string | undefined;
  return {
    async error(message) {
      const payload =
        format === 'runtime'
          ? stableJson({ level: 'error', message: `z2m: ${message}` })
          : stableJson({ level: 'error', message, namespace: 'z2m' });
      if (payload === last) return;
      last = payload;
      await send(payload);
    },
  };
}
