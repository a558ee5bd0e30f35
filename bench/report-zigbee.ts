/** The Zigbee section of docs/benchmarks.md, from bench/results/zigbee.json. */
import type { ZigbeeResult } from './zigbee.ts';
import { header, mark, ms, n, type Envelope } from './report.ts';
import type { Summary } from './support/stats.ts';

const row = (label: string, s: Summary & { received: number }): string =>
  `| ${label} | ${n(s.received)} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} |`;

export function zigbeeSection(envelope: Envelope<ZigbeeResult>): string {
  const { result } = envelope;
  const { options } = result;
  return [
    '### Zigbee state to the UIs',
    '',
    header(envelope),
    '',
    `A throwaway Mosquitto, the bridge simulator with ${n(result.devicesListed)} devices, Hearth ` +
      '(`node src/main.ts`) and a stamping publisher, each its own process (`bench/zigbee.ts`). ' +
      `The publisher sends ${n(options.perSecond)} state updates per second round-robin over ` +
      `every device for ${options.seconds} s (after ${options.warmupSeconds} s of warm-up), ` +
      `${n(result.published)} in all, each stamped with its publish time. Latency: publish → a ` +
      "WebSocket client's `device.state` through Hearth, and publish → a bare MQTT subscriber " +
      'of the same broker, in the same run.',
    '',
    '| path | received | p50 ms | p90 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('MQTT → Hearth → WebSocket client', result.throughHearth),
    row('MQTT → bare subscriber (baseline)', result.bareMqtt),
    '',
    `Added by Hearth: p50 +${ms(result.addedP50)} ms, p99 +${ms(result.addedP99)} ms. ` +
      `Target p99 under 10 ms added: ${mark(result.addedP99 < 10)}.`,
    '',
  ].join('\n');
}
