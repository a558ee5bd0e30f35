/** The split-roles section of docs/benchmarks.md, from bench/results/cluster.json. */
import type { ClusterResult, FanoutShape } from './cluster.ts';
import { header, mark, ms, n, type Envelope } from './report.ts';
import type { Summary } from './support/stats.ts';

const line = (label: string, s: Summary): string =>
  `| ${label} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} |`;

function shapes(
  title: string,
  rows: Record<'spread' | 'oneGateway' | 'embedded', FanoutShape>,
): string[] {
  const base = rows.embedded.deliveriesPerSecond;
  const row = (label: string, shape: FanoutShape) =>
    `| ${label} | ${n(shape.deliveriesPerSecond)} | ${(shape.deliveriesPerSecond / base).toFixed(2)} | ` +
    `${ms(shape.latencyMs.p50)} / ${ms(shape.latencyMs.p99)} | ${shape.complete ? 'yes' : '**no**'} |`;
  return [
    `#### ${title}`,
    '',
    '| subscribers on | deliveries/s | ratio to one process | p50 / p99 ms | complete |',
    '| --- | ---: | ---: | ---: | :---: |',
    row('two gateways (half each)', rows.spread),
    row('one gateway of the split Hearth', rows.oneGateway),
    row('`npm start` (one process)', rows.embedded),
    '',
  ];
}

export function clusterSection(envelope: Envelope<ClusterResult>): string {
  const { result } = envelope;
  const { propagation, options } = result;
  return [
    '### Several processes',
    '',
    header(envelope),
    '',
    'A central service, two gateways, a redis-server and the stamping double, each its own ' +
      'process (`bench/cluster.ts`). Propagation: `PUT /api/v1/profiles/bench` on the central ' +
      'service until a WebSocket client on each gateway has the `config.changed` naming the new ' +
      `model (the gateway has re-read and applied the config by then), ${n(options.changes)} ` +
      'changes one after another; the bare Redis line is a PUBLISH until its SUBSCRIBEr has it.',
    '',
    '| propagation | p50 ms | p90 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: |',
    line('profile change → applied on both gateways', propagation.hearthMs),
    line('of which the API answering the PUT', propagation.apiResponseMs),
    line('bare Redis publish → receive', propagation.bareRedisMs),
    '',
    `Target p99 under 50 ms: ${mark(propagation.hearthMs.p99 < 50)} (${ms(propagation.hearthMs.p99)} ms).`,
    '',
    `Cross-instance fan-out: one turn to ${n(options.clients)} subscribers, ` +
      `${n(options.deltas)} deltas at full speed and ${n(options.pacedDeltas)} at 100/s. ` +
      'At full speed the double (its own process) writes faster than Hearth reads, so Hearth ' +
      'sends the text of each read as one frame of up to 16 deltas; deliveries count deltas.',
    '',
    ...shapes('Full speed', result.fanout),
    ...shapes('Paced, 100 deltas/s', result.paced),
  ].join('\n');
}
