/**
 * `npm run bench [-- names...] [--quick] [--repeats N]`: runs the benchmarks (default: fanout, adapters,
 * overhead, idle), writes each result to bench/results/<name>.json and rewrites the generated
 * part of docs/benchmarks.md from every result file present.
 *
 * --quick: small sizes, to check the harness; results go to bench/results/<name>.quick.json and
 * the docs are left alone. --report: only rewrite the docs from the result files. BENCH_CPU_PROF=1: CPU profiles of the measured windows of the server
 * processes, in bench/results/profiles/ (summarise with bench/profile-summary.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { fanoutDefaults, runFanout, type FanoutResult } from './fanout.ts';
import { idleDefaults, runIdle, type IdleResult } from './idle.ts';
import { overheadDefaults, runOverhead, type OverheadResult } from './overhead.ts';
import {
  adaptersSection,
  fanoutSection,
  idleSection,
  overheadSection,
  type Envelope,
} from './report.ts';
import { adaptersDefaults, runAdapters, type AdaptersResult } from './adapters.ts';
import { clusterDefaults, runCluster, type ClusterResult } from './cluster.ts';
import { clusterSection } from './report-cluster.ts';
import { mcpDefaults, runMcp, type McpResult } from './mcp.ts';
import { mcpSection } from './report-mcp.ts';
import { runZigbee, zigbeeDefaults, type ZigbeeResult } from './zigbee.ts';
import { zigbeeSection } from './report-zigbee.ts';
import { machineCpu, machineInfo } from './support/machine.ts';
import { round, sleep } from './support/stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = `${root}bench/results/`;
const docsPath = `${root}docs/benchmarks.md`;
const names = ['fanout', 'overhead', 'idle', 'adapters', 'cluster', 'mcp', 'zigbee'] as const;
type Name = (typeof names)[number];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const reportOnly = argv.includes('--report');
const repeatsAt = argv.indexOf('--repeats');
const repeats = repeatsAt === -1 ? undefined : Number(argv[repeatsAt + 1]);
if (repeats !== undefined && !(Number.isInteger(repeats) && repeats >= 1)) {
  console.error('--repeats takes a whole number of runs, at least 1');
  process.exit(2);
}
const wanted = argv.filter((a): a is Name => (names as readonly string[]).includes(a));
const unknown = argv.filter(
  (a, i) => !a.startsWith('--') && !wanted.includes(a as Name) && argv[i - 1] !== '--repeats',
);
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${names.join(', ')}`);
  process.exit(2);
}
const selected = wanted.length ? wanted : [...names];

function git(): { commit: string; changedFiles: string[] } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: root,
      encoding: 'utf8',
    });
    return {
      commit,
      changedFiles: status
        .split('\n')
        .filter(Boolean)
        .map((l) => l.slice(3)),
    };
  } catch {
    return { commit: 'unknown', changedFiles: [] };
  }
}

/** Busy cores of the whole machine over `ms`. */
async function busyCores(ms: number): Promise<number> {
  const a = machineCpu();
  await sleep(ms);
  const b = machineCpu();
  return round(((b.busyMs - a.busyMs) / (b.totalMs - a.totalMs)) * machineInfo().cores, 2);
}

/** Waits (at most `maxMs`) for other work on the machine to settle; returns the last reading. */
async function waitForQuiet(maxMs = 120_000): Promise<number> {
  const deadline = performance.now() + maxMs;
  let busy = await busyCores(2000);
  while (busy > 0.3 && performance.now() < deadline) {
    console.log(
      `machine busy (${busy} cores in use by other work); waiting before the next benchmark`,
    );
    busy = await busyCores(5000);
  }
  return busy;
}

async function runOne(name: Name): Promise<Envelope<unknown>> {
  const busyCoresBefore = await waitForQuiet(quick ? 0 : 120_000);
  const date = new Date().toISOString();
  const started = performance.now();
  let result: unknown;
  if (name === 'fanout') {
    result = await runFanout(
      quick
        ? {
            ...fanoutDefaults,
            counts: [1, 20],
            fullDeltas: 200,
            pacedDeltas: 50,
            burstDeltas: 200,
            warmupDeltas: 50,
            warmupDeliveries: 0,
            repeats: repeats ?? 1,
            maxRuns: repeats ?? 1,
          }
        : { ...fanoutDefaults, ...(repeats && { repeats }) },
    );
  } else if (name === 'overhead') {
    result = await runOverhead(
      quick ? { ...overheadDefaults, turns: 20, warmupTurns: 5 } : overheadDefaults,
    );
  } else if (name === 'cluster') {
    result = await runCluster(
      quick ? { changes: 50, clients: 10, deltas: 200, pacedDeltas: 50 } : clusterDefaults,
    );
  } else if (name === 'zigbee') {
    result = await runZigbee(
      quick ? { devices: 50, perSecond: 200, seconds: 3, warmupSeconds: 1 } : zigbeeDefaults,
    );
  } else if (name === 'mcp') {
    result = await runMcp(
      quick ? { servers: 20, httpServers: 2, listRequests: 20, calls: 50, starts: 1 } : mcpDefaults,
    );
  } else if (name === 'adapters') {
    result = await runAdapters(quick ? { chunks: 500, repeats: 3 } : adaptersDefaults);
  } else {
    result = await runIdle(
      quick ? { ...idleDefaults, clients: 500, warmupClients: 50 } : idleDefaults,
    );
  }
  return {
    name,
    date,
    durationSeconds: round((performance.now() - started) / 1000, 1),
    machine: machineInfo(),
    busyCoresBefore,
    git: git(),
    result,
  };
}

function readResult<T>(name: Name): Envelope<T> | undefined {
  const path = `${resultsDir}${name}.json`;
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Envelope<T>) : undefined;
}

const generatedStart = '<!-- generated by `npm run bench`: start -->';
const generatedEnd = '<!-- generated by `npm run bench`: end -->';

async function writeDocs(): Promise<void> {
  const fanout = readResult<FanoutResult>('fanout');
  const overhead = readResult<OverheadResult>('overhead');
  const idle = readResult<IdleResult>('idle');
  const adapters = readResult<AdaptersResult>('adapters');
  const cluster = readResult<ClusterResult>('cluster');
  const mcp = readResult<McpResult>('mcp');
  const zigbee = readResult<ZigbeeResult>('zigbee');
  const generated = [
    generatedStart,
    '',
    fanout ? fanoutSection(fanout) : '### Fan-out\n\nNot run yet.\n',
    overhead ? overheadSection(overhead) : '### Overhead per turn\n\nNot run yet.\n',
    idle ? idleSection(idle) : '### Idle connections\n\nNot run yet.\n',
    adapters ? adaptersSection(adapters) : '### Adapter overhead\n\nNot run yet.\n',
    cluster ? clusterSection(cluster) : '### Several processes\n\nNot run yet.\n',
    mcp ? mcpSection(mcp) : '### MCP aggregator\n\nNot run yet.\n',
    zigbee ? zigbeeSection(zigbee) : '### Zigbee state to the UIs\n\nNot run yet.\n',
    generatedEnd,
  ].join('\n');
  let docs = existsSync(docsPath)
    ? readFileSync(docsPath, 'utf8')
    : `# Benchmarks\n\n## Results\n\n${generatedStart}\n${generatedEnd}\n`;
  const from = docs.indexOf(generatedStart);
  const to = docs.indexOf(generatedEnd);
  docs =
    from === -1 || to === -1
      ? `${docs.trimEnd()}\n\n## Results\n\n${generated}\n`
      : `${docs.slice(0, from)}${generated}${docs.slice(to + generatedEnd.length)}`;
  const options = (await prettier.resolveConfig(docsPath)) ?? {};
  writeFileSync(docsPath, await prettier.format(docs, { ...options, filepath: docsPath }));
}

mkdirSync(resultsDir, { recursive: true });
for (const name of reportOnly ? [] : selected) {
  console.log(`\n== ${name}${quick ? ' (quick)' : ''}`);
  const envelope = await runOne(name);
  const file = `${resultsDir}${name}${quick ? '.quick' : ''}.json`;
  writeFileSync(file, `${JSON.stringify(envelope, null, 2)}\n`);
  console.log(`wrote ${file.slice(root.length)}`);
}
if (!quick) {
  await writeDocs();
  console.log('updated docs/benchmarks.md');
}
