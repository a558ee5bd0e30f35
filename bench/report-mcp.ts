/** The MCP aggregator section of docs/benchmarks.md, from bench/results/mcp.json. */
import type { McpResult } from './mcp.ts';
import { header, mark, ms, n, type Envelope } from './report.ts';
import type { Summary } from './support/stats.ts';

const row = (label: string, s: Summary): string =>
  `| ${label} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} |`;

export function mcpSection(envelope: Envelope<McpResult>): string {
  const { result } = envelope;
  const { options, startupMs, listMs, callMs, memory } = result;
  const stdio = options.servers - options.httpServers;
  return [
    '### MCP aggregator',
    '',
    header(envelope),
    '',
    `Hearth as its own process (\`node src/main.ts\`) with ${n(options.servers)} configured ` +
      `fixture MCP servers (${n(stdio)} stdio, ${n(options.httpServers)} Streamable HTTP; ` +
      `${n(result.tools)} tools in all), \`bench/mcp.ts\`. Start-up is spawn → "Hearth is ` +
      `listening" (Node itself included), ${n(options.starts)} starts each. The first start ` +
      `had nothing cached; discovering every server's tools then took ${n(result.discoveryMs / 1000)} s ` +
      '(in the background, four servers at a time; each is stopped again after listing).',
    '',
    '| ms | p50 | p90 | p99 | max |',
    '| --- | ---: | ---: | ---: | ---: |',
    row(`start-up, ${n(options.servers)} servers (catalogues cached)`, startupMs.cached),
    row('start-up, empty servers file (baseline)', startupMs.emptyFile),
    row(`\`tools/list\` through \`/mcp\`, one page (100 tools)`, listMs.onePage),
    row(`\`tools/list\`, the whole catalogue (${n(listMs.pages)} pages)`, listMs.wholeCatalogue),
    row('`tools/call` directly to an HTTP upstream', callMs.direct),
    ...(callMs.throughRelay
      ? [row('the same call through a bare HTTP relay process', callMs.throughRelay)]
      : []),
    row('the same call through `/mcp` (2025-era client, a session)', callMs.throughHearth),
    ...(callMs.throughHearthModern
      ? [
          row(
            'the same call through `/mcp` (2026-07-28 client, stateless)',
            callMs.throughHearthModern,
          ),
        ]
      : []),
    '',
    `First start (nothing cached): ${ms(startupMs.firstStart)} ms. Memory: Hearth's RSS was ` +
      `${memory.rssConfiguredMiB} MiB with every server configured and none running, against ` +
      `${memory.rssEmptyMiB} MiB with none (${memory.perServerKiB} KiB per server: within the ` +
      'noise of a whole process). Measured in isolation, after full GCs, the aggregator with ' +
      `every server and its cached catalogue (${n(Math.round(result.tools / options.servers))} tools ` +
      `each) holds ${memory.heapPerServerKiB} KiB of JS heap and ${memory.rssPerServerInProcessKiB} KiB ` +
      'of RSS per configured server.',
    '',
    '| target | measured | met |',
    '| --- | ---: | :---: |',
    `| start-up under 2 s | ${ms(startupMs.cached.p50)} ms | ${mark(startupMs.cached.p50 < 2000)} |`,
    `| merged list under 20 ms (one page) | ${ms(listMs.onePage.p50)} ms p50 | ${mark(listMs.onePage.p50 < 20)} |`,
    `| under 1 ms added per call at p50 (HTTP upstream) | +${ms(callMs.addedP50)} ms (p99 +${ms(callMs.addedP99)})${
      callMs.throughRelay
        ? `; a bare relay adds +${ms(callMs.throughRelay.p50 - callMs.direct.p50)} ms`
        : ''
    }${
      callMs.throughHearthModern
        ? `; a 2026-07-28 client +${ms(callMs.throughHearthModern.p50 - callMs.direct.p50)} ms`
        : ''
    } | ${mark(callMs.addedP50 < 1 && (callMs.throughHearthModern?.p50 ?? 0) - callMs.direct.p50 < 1)} |`,
    `| under 200 KB per configured server | ${memory.heapPerServerKiB} KiB heap, ${memory.rssPerServerInProcessKiB} KiB RSS | ${mark(Math.max(memory.heapPerServerKiB, memory.rssPerServerInProcessKiB) * 1024 < 200_000)} |`,
    '',
  ].join('\n');
}
