/** Turns the JSON results in bench/results/ into the tables of docs/benchmarks.md. */
import type { FanoutComparison, FanoutMeasurement, FanoutResult, Mode } from './fanout.ts';
import type { IdleResult } from './idle.ts';
import type { MachineInfo } from './support/machine.ts';
import type { OverheadResult } from './overhead.ts';
import type { AdaptersResult } from './adapters.ts';

export interface Envelope<T> {
  name: string;
  date: string;
  durationSeconds: number;
  machine: MachineInfo;
  /** Busy CPU of the whole machine, in cores, just before the benchmark started. */
  busyCoresBefore: number;
  git: { commit: string; changedFiles: string[] };
  result: T;
}

export const mark = (ok: boolean | undefined): string =>
  ok === undefined ? '–' : ok ? 'yes' : '**no**';
export const n = (value: number): string => value.toLocaleString('en-US');
export const ms = (value: number): string => value.toFixed(value < 10 ? 2 : 1);

export function header(envelope: Envelope<unknown>): string {
  const { machine, git } = envelope;
  const dirty = git.changedFiles.length
    ? `, with uncommitted changes in ${git.changedFiles.length} file(s) under src/`
    : '';
  return (
    `Run ${envelope.date.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(envelope.durationSeconds)} s; ` +
    `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.os}, ` +
    `Node ${machine.node}; commit ${git.commit.slice(0, 7)}${dirty}. Machine busy before the ` +
    `run: ${envelope.busyCoresBefore} cores.`
  );
}

const modeTitle: Record<Mode, string> = {
  full: 'Full speed (production yields once per delta, closed loop)',
  paced: 'Paced',
  burst: 'Burst (no pause between deltas: throughput capacity only)',
};

/** Every server measured in a cell (relay, local and raw2 are absent from older results). */
function servers(row: FanoutComparison): FanoutMeasurement[] {
  return [row.hearth, row.raw, row.relay, row.local, row.rawAgain].filter(
    (m): m is FanoutMeasurement => m !== undefined,
  );
}

/** Median, over a cell's runs of every server, of the CPU other processes used meanwhile. */
function otherLoad(row: FanoutComparison): string {
  const values = servers(row)
    .flatMap((m) => m.runs)
    .map((r) => r.otherCores)
    .sort((a, b) => a - b);
  return (values[Math.floor(values.length / 2)] ?? 0).toFixed(2);
}

/** Deltas per `text.delta` frame Hearth sent (results older than text batching: 1). */
function perFrame(row: FanoutComparison): string {
  return String(row.hearth.deltasPerFrame ?? 1);
}

function fanoutTable(rows: FanoutComparison[], mode: Mode): string {
  const first = rows[0];
  if (!first) return '';
  const lines = [`#### ${modeTitle[mode]}, ${n(first.deltas)} deltas`, ''];
  if (mode === 'burst') {
    lines.push(
      '| clients | raw deliveries/s | Hearth deliveries/s | Hearth deltas per frame | ratio (target ≥ 0.8) | met | server CPU µs/delivery raw / Hearth | other load (cores) |',
      '| ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: |',
    );
    for (const row of rows) {
      lines.push(
        `| ${n(row.clients)} | ${n(row.raw.deliveriesPerSecond)} | ${n(row.hearth.deliveriesPerSecond)} | ` +
          `${perFrame(row)} | ${row.throughputRatio} | ${mark(row.meetsThroughput)} | ` +
          `${row.raw.serverCpuUsPerDelivery} / ${row.hearth.serverCpuUsPerDelivery} | ${otherLoad(row)} |`,
      );
    }
  } else {
    lines.push(
      '| clients | raw deliveries/s | Hearth deliveries/s | Hearth deltas per frame | ratio (≥ 0.8) | met | raw p50 / p99 ms | Hearth p50 / p99 ms | p99 ratio (≤ 1.25) | met | server CPU µs/delivery raw / Hearth | other load (cores) |',
      '| ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: | ---: | :---: | ---: | ---: |',
    );
    for (const row of rows) {
      lines.push(
        `| ${n(row.clients)} | ${n(row.raw.deliveriesPerSecond)} | ${n(row.hearth.deliveriesPerSecond)} | ` +
          `${perFrame(row)} | ${row.throughputRatio} | ${mark(row.meetsThroughput)} | ` +
          `${ms(row.raw.latencyP50Ms)} / ${ms(row.raw.latencyP99Ms)} | ` +
          `${ms(row.hearth.latencyP50Ms)} / ${ms(row.hearth.latencyP99Ms)} | ${row.p99Ratio} | ` +
          `${mark(row.meetsP99)} | ${row.raw.serverCpuUsPerDelivery} / ${row.hearth.serverCpuUsPerDelivery} | ` +
          `${otherLoad(row)} |`,
      );
    }
  }
  const incomplete = rows.filter((r) => servers(r).some((m) => !m.complete));
  if (incomplete.length) {
    lines.push(
      '',
      `Incomplete runs (deliveries lost or timed out): ${incomplete.map((r) => `${r.clients} clients`).join(', ')}.`,
    );
  }
  return lines.join('\n');
}

/**
 * Hearth with its provider in process against raw `ws` (absent from results older than it):
 * Hearth's own path from a delta to every client, with no upstream hop on either side.
 */
function localTable(rows: FanoutComparison[], mode: Mode): string {
  const withLocal = rows.filter((row) => row.local !== undefined);
  if (withLocal.length === 0) return '';
  const latency = mode !== 'burst';
  const lines = [
    `Provider in Hearth's process against raw \`ws\` (${modeTitle[mode].toLowerCase()}):`,
    '',
    '| clients | raw deliveries/s | Hearth deliveries/s | Hearth deltas per frame | ratio (≥ 0.8) | met |' +
      (latency ? ' raw p50 / p99 ms | Hearth p50 / p99 ms | p99 ratio (≤ 1.25) | met |' : '') +
      ' server CPU µs/delivery raw / Hearth | raw A/A ratios: throughput' +
      (latency ? ' / p99' : '') +
      ' |',
    '| ---: | ---: | ---: | ---: | ---: | :---: |' +
      (latency ? ' ---: | ---: | ---: | :---: |' : '') +
      ' ---: | ---: |',
  ];
  for (const row of withLocal) {
    const local = row.local!;
    lines.push(
      `| ${n(row.clients)} | ${n(row.raw.deliveriesPerSecond)} | ${n(local.deliveriesPerSecond)} | ` +
        `${local.deltasPerFrame ?? 1} | ${row.localThroughputRatio} | ${mark(row.localMeetsThroughput)} |` +
        (latency
          ? ` ${ms(row.raw.latencyP50Ms)} / ${ms(row.raw.latencyP99Ms)} | ` +
            `${ms(local.latencyP50Ms)} / ${ms(local.latencyP99Ms)} | ${row.localP99Ratio} | ` +
            `${mark(row.localMeetsP99)} |`
          : '') +
        ` ${row.raw.serverCpuUsPerDelivery} / ${local.serverCpuUsPerDelivery} |` +
        ` ${row.aaThroughputRatio ?? '–'}${latency ? ` / ${row.aaP99Ratio ?? '–'}` : ''} |`,
    );
  }
  return lines.join('\n');
}

/** Runs per server in each cell, as measured (the same for every server of a cell). */
function runCounts(result: FanoutResult): string {
  const byCount = new Map<number, string[]>();
  for (const row of result.comparisons) {
    const count = row.raw.runs.length;
    byCount.set(count, [...(byCount.get(count) ?? []), `${n(row.clients)} ${row.mode}`]);
  }
  return [...byCount]
    .sort((a, b) => b[0] - a[0])
    .map(([count, cells]) => `${count} (${cells.join(', ')})`)
    .join('; ');
}

/** Cells whose runs met TCP retransmissions, by server: drops on loopback, then a timer. */
function retransmitNote(result: FanoutResult): string {
  const names: Record<string, string> = {
    hearth: 'Hearth over HTTP',
    local: 'Hearth in process',
    raw: 'raw',
    raw2: 'raw again',
    relay: 'relay',
  };
  const cells = result.comparisons.flatMap((row) => {
    const hit = servers(row).flatMap((m) => {
      const runs = m.runs.filter((r) => (r.tcpRetransmits ?? 0) > 0);
      return runs.length ? [`${names[m.system] ?? m.system} ${runs.length}`] : [];
    });
    return hit.length ? [`${n(row.clients)} clients ${row.mode}: ${hit.join(', ')}`] : [];
  });
  const known = result.comparisons.some((row) => row.raw.runs[0]?.tcpRetransmits !== undefined);
  if (!known) return '';
  return cells.length
    ? 'Runs during which the kernel retransmitted TCP segments (on loopback, mostly segments ' +
        "dropped when a client socket's receive buffer overflowed, which a timer or a probe " +
        `then resends), by server: ${cells.join('; ')}. Medians over runs keep a single such ` +
        'run from deciding a cell.'
    : 'No run met a TCP retransmission.';
}

/** The same cells against the relay baseline (absent from results older than it). */
function relayTable(rows: FanoutComparison[], mode: Mode): string {
  const withRelay = rows.filter((row) => row.relay !== undefined);
  if (withRelay.length === 0) return '';
  const latency = mode !== 'burst';
  const lines = [
    `Against the relay baseline (${modeTitle[mode].toLowerCase()}):`,
    '',
    '| clients | relay deliveries/s | Hearth deliveries/s | ratio (≥ 0.8) |' +
      (latency ? ' relay p50 / p99 ms | Hearth p50 / p99 ms | p99 ratio (≤ 1.25) |' : '') +
      ' both met | server CPU µs/delivery relay / Hearth |',
    '| ---: | ---: | ---: | ---: |' + (latency ? ' ---: | ---: | ---: |' : '') + ' :---: | ---: |',
  ];
  for (const row of withRelay) {
    lines.push(
      `| ${n(row.clients)} | ${n(row.relay.deliveriesPerSecond)} | ${n(row.hearth.deliveriesPerSecond)} | ` +
        `${row.relayThroughputRatio} |` +
        (latency
          ? ` ${ms(row.relay.latencyP50Ms)} / ${ms(row.relay.latencyP99Ms)} | ` +
            `${ms(row.hearth.latencyP50Ms)} / ${ms(row.hearth.latencyP99Ms)} | ${row.relayP99Ratio} |`
          : '') +
        ` ${mark(row.meetsVsRelay)} | ${row.relay.serverCpuUsPerDelivery} / ${row.hearth.serverCpuUsPerDelivery} |`,
    );
  }
  return lines.join('\n');
}

export function fanoutSection(envelope: Envelope<FanoutResult>): string {
  const { result } = envelope;
  const { options } = result;
  const others = result.comparisons.flatMap((c) => servers(c).flatMap((m) => m.runs));
  const maxOther = Math.max(...others.map((r) => r.otherCores));
  const modes: Mode[] = ['full', 'paced', 'burst'];
  return [
    '### Fan-out',
    '',
    header(envelope),
    '',
    'One turn delivered to every subscribed client; medians over the runs of each cell, the ' +
      `servers in a new order every round. Runs per server: ${runCounts(result)}; short runs ` +
      'get more of them, since one preemption of a process decides a run of 20 ms. Before ' +
      'each cell every server warms up with turns of the same kind (up to 20 whole turns ' +
      'in short cells); before each measured run the harness waits 150 ms, so that work a ' +
      "server deferred lands in nobody's run. Before each of Hearth's runs its clients leave " +
      'the previous conversation, client 0 starts a new one with a 10-delta turn and the ' +
      'others subscribe to it, outside the measured window. ' +
      (result.pinned
        ? "Each server's process ran on CPU 0 and its clients' process on CPU 1 (`taskset`). "
        : '') +
      'Throughput = deliveries / ' +
      "(last delivery − first delta's production); latency = receipt − production of each delta, " +
      'over every (client, delta) pair. Hearth sends text that reaches it in one read as one ' +
      '`text.delta` (up to 16 deltas, the first of a reply alone; docs/protocol.md), so its ' +
      'frames can carry several deltas: a delivery is one delta reaching one client, whatever ' +
      'frame it came in, and the baselines send one frame per delta. Paced mode sends a delta ' +
      `every ${options.pacedDelayMs} ms ` +
      `(${n(options.pacedDeltas)} deltas instead of ${n(options.fullDeltas)}, to keep the run at ` +
      `about ${Math.round((options.pacedDeltas * options.pacedDelayMs) / 1000)} s). Hearth ran with ` +
      `the tests' default config plus \`${JSON.stringify(result.hearthConfig)}\` (every limit it ` +
      'does not name at its default).' +
      " Server CPU µs/delivery is the server process's CPU time over the run divided by the " +
      'deliveries; it depends much less than throughput on what else runs on the machine. ' +
      '"Other load" is the median CPU that processes outside the benchmark used during the ' +
      `cell's runs (up to ${maxOther} cores in some runs).`,
    '',
    'Three baselines run in the same run: **raw** is a bare `ws` server sending pre-built frames ' +
      'of the same shape (a sender: no upstream at all); **relay** is a bare `ws` server that ' +
      'streams the same double through the same `openai` SDK and forwards each chunk (a relay, ' +
      "like Hearth, minus everything Hearth adds). The relay isolates Hearth's own cost; the raw " +
      'sender shows what the upstream hop costs too. A second Hearth runs each cell with its ' +
      "provider in its own process (`bench/support/stamping-provider.ts`, put in the profile's " +
      "provider's place through `HearthOptions.chatProviders`): it yields the same stamped deltas " +
      'with the same pacing, straight to the router, so that Hearth, like the raw server, has no ' +
      'upstream hop and the comparison holds only what Hearth does between a delta and its ' +
      'clients (the turn, its event log, the subscriptions, the sockets). The third baseline, ' +
      '**raw again**, is a second copy of the raw one: its ratios to the first (the A/A ' +
      'column) are what two identical servers differ by in the same cell, the resolution of ' +
      'that cell on this machine.',
    '',
    retransmitNote(result),
    '',
    ...modes.flatMap((mode) => {
      const rows = result.comparisons.filter((c) => c.mode === mode);
      return [fanoutTable(rows, mode), '', relayTable(rows, mode), '', localTable(rows, mode), ''];
    }),
  ].join('\n');
}

export function overheadSection(envelope: Envelope<OverheadResult>): string {
  const { result } = envelope;
  const { sdk, hearth, added, relay, relayAdded, overRelay } = result;
  const plus = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
  type Key = 'firstTokenMs' | 'lastTokenMs';
  type AddedKey = keyof OverheadResult['added'];
  const row = (label: string, key: Key, at: 'p50' | 'p99', addedKey: AddedKey, target: number) =>
    [
      `| ${label} | ${ms(sdk[key][at])}`,
      ...(relay ? [ms(relay[key][at])] : []),
      `${ms(hearth[key][at])} | ${plus(added[addedKey])}`,
      ...(relayAdded && overRelay ? [plus(relayAdded[addedKey]), plus(overRelay[addedKey])] : []),
      `≤ ${target} | ${mark(added[addedKey] <= target)} |`,
    ].join(' | ');
  return [
    '### Overhead per turn',
    '',
    header(envelope),
    '',
    `${result.options.turns} turns each (after ${result.options.warmupTurns} warm-up turns), ` +
      `${relay ? 'rotating' : 'alternating'}; the double echoes a ${result.options.words}-word ` +
      'prompt one word per chunk, with no delay. Direct: the `openai` SDK streaming from the ' +
      'double. Hearth: WebSocket `chat.send` (a new conversation each turn) to the first ' +
      '`text.delta` and to `turn.done`. ' +
      (relay
        ? 'Bare relay: a WebSocket server that answers `chat.send` by streaming the same two ' +
          'messages through the same SDK options and sending the text in the frames Hearth ' +
          'would (the first text alone, then one frame per network read), with no auth, ' +
          'storage or log: the hops any gateway adds. The target is Hearth against the direct ' +
          'call. '
        : '') +
      `Hearth's rate limit was raised (\`${JSON.stringify(result.hearthConfig)}\`) so that ` +
      `back-to-back turns are not refused. Machine busy during the turns: ${result.machineBusyCores} cores.`,
    '',
    relay
      ? '| ms | direct SDK | bare relay | through Hearth | added | relay adds | Hearth over relay | target | met |'
      : '| ms | direct SDK | through Hearth | added | target | met |',
    relay
      ? '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |'
      : '| --- | ---: | ---: | ---: | ---: | :---: |',
    row('first token p50', 'firstTokenMs', 'p50', 'firstTokenP50Ms', 1),
    row('first token p99', 'firstTokenMs', 'p99', 'firstTokenP99Ms', 5),
    row('last token p50', 'lastTokenMs', 'p50', 'lastTokenP50Ms', 1),
    row('last token p99', 'lastTokenMs', 'p99', 'lastTokenP99Ms', 5),
    '',
  ].join('\n');
}

export function idleSection(envelope: Envelope<IdleResult>): string {
  const { result } = envelope;
  const { hearth, raw } = result;
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  return [
    '### Idle connections',
    '',
    header(envelope),
    '',
    `${n(result.options.clients)} authenticated idle clients in ${result.options.clientProcesses} ` +
      'client processes; the server alone in its process, sampled after forced full GCs, warm ' +
      `(${result.options.warmupClients} clients came and went first) and then with every client ` +
      `connected. \`ulimit -n\`: soft ${result.openFiles.soft}, hard ${result.openFiles.hard}.`,
    '',
    '| | raw `ws` | Hearth | ratio | target | met |',
    '| --- | ---: | ---: | ---: | ---: | :---: |',
    `| RSS per client (KiB) | ${raw.rssPerClientKiB} | ${hearth.rssPerClientKiB} | ${result.ratio} | ≤ 16 | ${mark(result.meetsTarget)} |`,
    `| RSS per client (bytes) | ${n(raw.rssPerClientBytes)} | ${n(hearth.rssPerClientBytes)} | | ≤ 16,384 | |`,
    `| JS heap used per client (KiB) | ${raw.heapPerClientKiB} | ${hearth.heapPerClientKiB} | ${(hearth.heapPerClientKiB / raw.heapPerClientKiB).toFixed(2)} | | |`,
    `| clients connected | ${n(raw.connected)} | ${n(hearth.connected)} | | ${n(result.options.clients)} | |`,
    `| RSS before → after (MiB) | ${mib(raw.before.rss)} → ${mib(raw.after.rss)} | ${mib(hearth.before.rss)} → ${mib(hearth.after.rss)} | | | |`,
    '',
  ].join('\n');
}

export function adaptersSection(envelope: Envelope<AdaptersResult>): string {
  const { result } = envelope;
  return [
    '### Adapter overhead',
    '',
    header(envelope),
    '',
    `Text events per second for a ${n(result.chunks)}-chunk reply from each provider's double: ` +
      "iterating the official SDK's own stream (raw) against iterating Hearth's adapter over the " +
      `same SDK and double, alternating, median of ${result.repeats} runs.`,
    '',
    '| adapter | raw events/s | adapter events/s | ratio | target | met |',
    '| --- | ---: | ---: | ---: | ---: | :---: |',
    ...result.rows.map(
      (row) =>
        `| ${row.adapter} | ${n(row.rawEventsPerSecond)} | ${n(row.adapterEventsPerSecond)} | ${row.ratio} | ≥ 0.9 | ${mark(row.ratio >= 0.9)} |`,
    ),
    '',
  ].join('\n');
}
