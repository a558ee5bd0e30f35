/**
 * Fan-out: one turn of text deltas delivered to 1, 100 and 1,000 subscribed WebSocket clients,
 * Hearth against a bare `ws` server sending frames of the same shape and size to the same
 * number of clients, in the same run. Five servers: raw `ws`; a relay (the double through the
 * `openai` SDK to a bare `ws` server); Hearth with its provider over HTTP (the double through
 * the SDK); Hearth with its provider in process (bench/support/stamping-provider.ts, no
 * upstream hop, like raw); and a second raw server, whose ratios to the first (an A/A
 * comparison) show how far two identical servers differ on this machine in the same run.
 * Servers and clients run in separate processes, bound to a CPU each; each measurement is
 * repeated, the servers in a new order every round, and the median is reported.
 *
 * Modes, and where a delta's latency starts (its production):
 * - full: as fast as the server takes them. The stamping double (or provider) runs in the
 *   server's process and yields to the event loop between deltas, like the raw server, so
 *   that production cannot run ahead of the server (its work is charged to the server).
 *   Latency runs from the delta being made: the double writing the chunk, the provider
 *   yielding it, the raw server making the frame.
 * - paced: a delta every `pacedDelayMs` on a fixed schedule (support/pacing.ts), same clocks.
 * - burst: throughput only. Hearth's double runs in its own process and writes every chunk at
 *   once (Hearth's input is queued); the raw server sends every delta without yielding, and
 *   the in-process provider makes each delta the moment the router asks (no yield either).
 *   Latencies here include Hearth's input queue and are not compared.
 */
import { adminToken } from '../test/support/hearth-fixture.ts';
import { backToBackConfig } from './support/back-to-back.ts';
import { startChild, type Child } from './support/ipc.ts';
import { cpuMs, machineCpu, pinToCore, tcpRetransmits, unpin } from './support/machine.ts';
import { profilingWanted } from './support/profiler.ts';
import type { StreamPlan } from './support/stamping-double.ts';
import { round, roundSummary, sleep, summarize, type Summary } from './support/stats.ts';

export interface FanoutOptions {
  counts: number[];
  fullDeltas: number;
  pacedDeltas: number;
  pacedDelayMs: number;
  burstDeltas: number;
  warmupDeltas: number;
  /** Warm-up turns of each server before a cell, until about this many deliveries (≤ 20 turns). */
  warmupDeliveries: number;
  /** Runs per cell at least (paced cells get exactly this many: each lasts seconds). */
  repeats: number;
  /**
   * Full-speed and burst cells get more runs when they are short: enough for about this many
   * deliveries per server, up to `maxRuns`.
   */
  deliveriesPerCell: number;
  maxRuns: number;
  /** Each server's process on CPU 0 and its clients' process on CPU 1 (where possible). */
  pin: boolean;
}

export const fanoutDefaults: FanoutOptions = {
  counts: [1, 100, 1000],
  fullDeltas: 2000,
  pacedDeltas: 500,
  pacedDelayMs: 10,
  burstDeltas: 2000,
  warmupDeltas: 200,
  warmupDeliveries: 40_000,
  repeats: 3,
  deliveriesPerCell: 2_000_000,
  maxRuns: 45,
  pin: true,
};

/**
 * `local`: Hearth with its provider in its own process (bench/support/stamping-provider.ts).
 * `raw2`: a second raw server, the same code as `raw`, for the A/A comparison.
 */
export type System = 'hearth' | 'local' | 'raw' | 'raw2' | 'relay';
export type Mode = 'full' | 'paced' | 'burst';

export interface FanoutRun {
  complete: boolean;
  /** Deliveries received; expected is clients × deltas. */
  received: number;
  expected: number;
  /** `text.delta` frames those deliveries came in (Hearth joins deltas that arrive together). */
  frames: number;
  turnErrors: number;
  closedEarly: number;
  /**
   * Deliveries / (last delivery − first delta's production): the window starts when the first
   * delta is made, so a server that joins deltas into fewer frames gains nothing by it.
   */
  deliveriesPerSecond: number;
  latencyMs: Summary;
  /**
   * CPU of the server process over the run. Hearth's double in its own process (burst mode)
   * is not counted; the relay's and the in-process provider's production is (it is theirs).
   */
  serverCpuUsPerDelivery: number;
  /** CPU time / wall time of the run, in cores. */
  serverCores: number;
  clientCores: number;
  /** Busy CPU of the whole machine not used by this benchmark's processes, in cores. */
  otherCores: number;
  wallMs: number;
  /** TCP segments retransmitted on the machine during the run (absent where unknown). */
  tcpRetransmits?: number;
}

export interface FanoutMeasurement {
  system: System;
  clients: number;
  mode: Mode;
  deltas: number;
  /** Medians over the runs. */
  deliveriesPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  serverCpuUsPerDelivery: number;
  /** Deltas per `text.delta` frame: 1 for the baselines; Hearth joins deltas that arrive together. */
  deltasPerFrame?: number;
  complete: boolean;
  runs: FanoutRun[];
}

export interface FanoutComparison {
  clients: number;
  mode: Mode;
  deltas: number;
  hearth: FanoutMeasurement;
  raw: FanoutMeasurement;
  /** The relay baseline: the same double streamed through the same SDK to a bare `ws` server. */
  relay: FanoutMeasurement;
  relayThroughputRatio: number;
  relayP99Ratio: number;
  /**
   * Hearth with its provider in process: no HTTP upstream, so the same work as the raw server
   * plus everything Hearth does between a provider's delta and the clients (absent from
   * results older than it).
   */
  local?: FanoutMeasurement;
  localThroughputRatio?: number;
  localP99Ratio?: number;
  localMeetsThroughput?: boolean;
  localMeetsP99?: boolean | undefined;
  /**
   * The second raw server against the first: what the ratios of two identical servers are in
   * this cell on this machine (absent from results older than it).
   */
  rawAgain?: FanoutMeasurement;
  aaThroughputRatio?: number;
  aaP99Ratio?: number;
  /** The targets (0.8 of throughput, 1.25 × p99) against the relay. */
  meetsVsRelay: boolean;
  throughputRatio: number;
  p50Ratio: number;
  p99Ratio: number;
  cpuPerDeliveryRatio: number;
  meetsThroughput: boolean;
  /** Undefined in burst mode, where latencies are not comparable. */
  meetsP99: boolean | undefined;
}

export interface FanoutResult {
  options: FanoutOptions;
  /** Whether the servers and the clients really ran on CPUs of their own (see `pin`). */
  pinned?: boolean;
  /** Config Hearth ran with, over the test fixture's (tests' defaults for everything else). */
  hearthConfig: Record<string, unknown>;
  comparisons: FanoutComparison[];
}

/** Below this many deliveries per run (full speed or burst), a cell warms up with whole turns. */
const shortCellDeliveries = 100_000;

/**
 * Runs per server in a cell. A run to one client at full speed lasts 15–50 ms, and on a
 * 2-core machine one preemption of the clients' process (a few ms) decides its p99: the same
 * raw server gave p99s of 0.2 and 4 ms in consecutive runs. Short cells therefore get as many
 * runs as `deliveriesPerCell` asks, up to `maxRuns`; paced runs last seconds and get `repeats`.
 */
export function runsPerCell(
  options: FanoutOptions,
  mode: Mode,
  clientCount: number,
  deltas: number,
): number {
  if (mode === 'paced') return options.repeats;
  const wanted = Math.ceil(options.deliveriesPerCell / (clientCount * deltas));
  return Math.max(options.repeats, Math.min(options.maxRuns, wanted));
}

/**
 * Warm-up turns per server before a cell. The first seconds of a server and its clients'
 * process are the slowest and the most often interrupted (code still being optimised, heaps
 * still growing): with one warm-up turn, raw's 1-client runs averaged 95,000 deliveries/s and
 * half of them met a stall; after 25 (in a separate experiment) they averaged 148,000 and few
 * did. Short cells warm up with whole turns (up to 20); the others with turns of
 * `warmupDeltas` (2 at 100 clients, 1 at 1,000, already 200,000 deliveries).
 */
export function warmupTurns(options: FanoutOptions, clientCount: number, deltas: number): number {
  return Math.min(20, Math.max(1, Math.ceil(options.warmupDeliveries / (clientCount * deltas))));
}

/** Client 0 sends three frames per run (leave, start, send), every 50 ms or so at 1 client. */
const hearthConfig = backToBackConfig;

interface Rig {
  system: System;
  server: Child;
  clients: Child;
  /** Hearth's double in its own process, for burst mode. */
  double?: Child;
  conversationId?: string;
}

interface Collected {
  complete: boolean;
  received: number;
  frames: number;
  first: number;
  last: number;
  turnErrors: number;
  closedEarly: number;
  latencies: Float64Array;
  cpu: NodeJS.CpuUsage;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

async function measure(
  rig: Rig,
  mode: Mode,
  plan: StreamPlan,
  clientCount: number,
  profileName?: string,
): Promise<FanoutRun> {
  const { system, server, clients, double } = rig;
  const external = mode === 'burst' && system === 'hearth';
  const turn = system === 'hearth' || system === 'local';
  if (turn) {
    // Every turn in a conversation of its own: in one conversation each run would carry the
    // replies of every run before it (65 replies of 2,000 deltas, 2 MB, by the end of a
    // 1-client cell), which the turn loads and holds while it streams, so runs would not be
    // alike. The clients leave the previous conversation first, as a UI does.
    rig.conversationId = await clients.call<string>('setupConversation', {
      previous: rig.conversationId,
    });
    await (external ? double : server)?.call('plan', plan);
  }
  if (profileName) await server.call('startProfile');
  const clientCpu0 = await clients.call<NodeJS.CpuUsage>('arm', { expected: plan.deltas });
  const serverCpu0 = await server.call<NodeJS.CpuUsage>('cpu');
  const doubleCpu0 = external ? await double?.call<NodeJS.CpuUsage>('cpu') : undefined;
  const parentCpu0 = process.cpuUsage();
  const machine0 = machineCpu();
  const retransmits0 = tcpRetransmits();
  const started = performance.now();
  let production: Promise<unknown> = Promise.resolve();
  if (turn) {
    await clients.call('trigger', {
      conversationId: rig.conversationId,
      ...(external && { profile: 'external' }),
    });
  } else {
    production = server.call('broadcast', plan);
  }
  const timeoutMs = 60_000 + (plan.deltas * clientCount) / 10;
  const got = await clients.call<Collected>('collect', { timeoutMs });
  const serverCpu1 = await server.call<NodeJS.CpuUsage>('cpu');
  const doubleCpu1 = external ? await double?.call<NodeJS.CpuUsage>('cpu') : undefined;
  const wallMs = performance.now() - started;
  const machine1 = machineCpu();
  const retransmits1 = tcpRetransmits();
  const parentCpu = cpuMs(parentCpu0, process.cpuUsage());
  await production;
  if (profileName) await server.call<string>('stopProfile', { name: profileName });

  const doubleCpu = doubleCpu0 && doubleCpu1 ? cpuMs(doubleCpu0, doubleCpu1) : 0;
  const serverCpu = cpuMs(serverCpu0, serverCpu1);
  const clientCpu = cpuMs(clientCpu0, got.cpu);
  const ours = serverCpu + doubleCpu + clientCpu + parentCpu;
  return {
    complete: got.complete && got.received === plan.deltas * clientCount,
    received: got.received,
    expected: plan.deltas * clientCount,
    frames: got.frames,
    turnErrors: got.turnErrors,
    closedEarly: got.closedEarly,
    deliveriesPerSecond: round(got.received / ((got.last - got.first) / 1000), 0),
    latencyMs: roundSummary(summarize(got.latencies)),
    serverCpuUsPerDelivery: round((serverCpu * 1000) / Math.max(1, got.received), 2),
    serverCores: round(serverCpu / wallMs, 2),
    clientCores: round(clientCpu / wallMs, 2),
    otherCores: round(Math.max(0, machine1.busyMs - machine0.busyMs - ours) / wallMs, 2),
    wallMs: round(wallMs, 0),
    ...(retransmits0 !== undefined &&
      retransmits1 !== undefined && { tcpRetransmits: retransmits1 - retransmits0 }),
  };
}

/** Pause before each measured run; see where it is used. */
const settleMs = 150;

/** A small seeded generator (mulberry32), for run orders that repeat between harness runs. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Binds every server to CPU 0 and every clients' process to CPU 1, all or none: when one
 * binding fails, every process is unbound again, so that no server runs bound while another
 * does not.
 */
function pinAll(rigs: Rig[]): boolean {
  const bindings = rigs.flatMap((rig) => [
    { pid: rig.server.pid, core: 0 },
    { pid: rig.clients.pid, core: 1 },
  ]);
  if (bindings.every(({ pid, core }) => pinToCore(pid, core))) return true;
  for (const { pid } of bindings) unpin(pid);
  return false;
}

async function startRig(system: System, clientCount: number): Promise<Rig> {
  const openFiles = clientCount + 256;
  const clients = startChild('support/fanout-clients.ts', { openFiles });
  if (system === 'raw' || system === 'raw2' || system === 'relay') {
    const script = system === 'relay' ? 'support/relay-server.ts' : 'support/raw-server.ts';
    const server = startChild(script, { openFiles });
    const { wsUrl } = await server.call<{ wsUrl: string }>('start');
    await clients.call('connect', { url: wsUrl, count: clientCount });
    return { system, server, clients };
  }
  // Hearth over HTTP also has a double in its own process, for burst mode.
  const double = system === 'hearth' ? startChild('support/double-server.ts') : undefined;
  const external = await double?.call<{ baseURL: string }>('start', { kind: 'stamping' });
  const server = startChild('support/hearth-server.ts', { openFiles });
  const { wsUrl } = await server.call<{ wsUrl: string }>('start', {
    ...(external ? { externalBaseURL: external.baseURL } : { inProcess: true }),
    config: hearthConfig,
  });
  await clients.call('connect', { url: wsUrl, count: clientCount, token: adminToken });
  return { system, server, clients, ...(double && { double }) };
}

async function stopRig(rig: Rig): Promise<void> {
  await rig.clients.stop();
  await rig.server.stop();
  await rig.double?.stop();
}

function summarizeRuns(
  system: System,
  clientCount: number,
  mode: Mode,
  deltas: number,
  runs: FanoutRun[],
): FanoutMeasurement {
  return {
    system,
    clients: clientCount,
    mode,
    deltas,
    deliveriesPerSecond: round(median(runs.map((r) => r.deliveriesPerSecond)), 0),
    latencyP50Ms: round(median(runs.map((r) => r.latencyMs.p50)), 3),
    latencyP99Ms: round(median(runs.map((r) => r.latencyMs.p99)), 3),
    serverCpuUsPerDelivery: round(median(runs.map((r) => r.serverCpuUsPerDelivery)), 2),
    deltasPerFrame: round(median(runs.map((r) => r.received / Math.max(1, r.frames))), 2),
    complete: runs.every((r) => r.complete),
    runs,
  };
}

export async function runFanout(
  options: FanoutOptions = fanoutDefaults,
  log: (line: string) => void = console.log,
): Promise<FanoutResult> {
  const comparisons: FanoutComparison[] = [];
  let pinned = options.pin;
  const random = seededRandom(20261126);
  const plans: Array<[Mode, StreamPlan]> = [
    ['full', { deltas: options.fullDeltas, delayMs: 0 }],
    ['paced', { deltas: options.pacedDeltas, delayMs: options.pacedDelayMs }],
    ['burst', { deltas: options.burstDeltas, delayMs: 0, burst: true }],
  ];
  for (const clientCount of options.counts) {
    // Every server stays up with its clients connected; only one streams at a time.
    const rigs = [
      await startRig('hearth', clientCount),
      await startRig('raw', clientCount),
      await startRig('relay', clientCount),
      await startRig('local', clientCount),
      await startRig('raw2', clientCount),
    ];
    // A server and its clients each keep a core busy at full speed. Unbound, the threads of
    // one take the other's core now and then, and a client woken by the first frame of a run
    // could wait a whole scheduler tick (4 ms here) for a CPU: the first deltas of most of
    // Hearth's 1-client runs in one bench run arrived up to 4 ms late (median p99 3.9 ms over
    // 70 turns of a script, 0.07 ms with the two processes bound apart). Every server is
    // bound alike; Hearth's double in its own process (burst mode) is not bound.
    if (options.pin) pinned = pinAll(rigs) && pinned;
    try {
      for (const [mode, plan] of plans) {
        const runs = Object.fromEntries(
          rigs.map((rig) => [rig.system, [] as FanoutRun[]]),
        ) as Record<System, FanoutRun[]>;
        const short = mode !== 'paced' && clientCount * plan.deltas < shortCellDeliveries;
        const repeats = runsPerCell(options, mode, clientCount, plan.deltas);
        // Turns of the same kind first (at full speed), so that every server runs warm code;
        // short cells warm up with whole turns.
        const warmup = { ...plan, deltas: short ? plan.deltas : options.warmupDeltas, delayMs: 0 };
        const turns = warmupTurns(options, clientCount, warmup.deltas);
        for (let turn = 0; turn < turns; turn++) {
          for (const rig of rigs) await measure(rig, mode, warmup, clientCount);
        }
        for (let repeat = 0; repeat < repeats; repeat++) {
          // A new order every round (seeded, so runs of the harness repeat it): rotating one
          // list would have each server follow the same one in most rounds.
          const order = shuffled(rigs, random);
          for (const rig of order) {
            // Let the previous run's deferred work finish (Hearth's search index catches up
            // 100 ms after a write), so that it never lands in another server's run: on the
            // bound CPUs it would run on the core of the server being measured.
            await sleep(settleMs);
            const profileName =
              profilingWanted() && repeat === 0
                ? `fanout-${rig.system}-${clientCount}-${mode}`
                : undefined;
            const run = await measure(rig, mode, plan, clientCount, profileName);
            runs[rig.system].push(run);
            log(
              `fanout ${rig.system.padEnd(6)} clients=${String(clientCount).padStart(4)} ` +
                `${mode.padEnd(5)} #${repeat + 1}: ${run.deliveriesPerSecond} deliveries/s ` +
                `(${round(run.received / Math.max(1, run.frames), 2)} per frame), p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, ` +
                `${run.serverCpuUsPerDelivery} µs cpu/delivery, cores server ${run.serverCores} ` +
                `clients ${run.clientCores} other ${run.otherCores}` +
                (run.tcpRetransmits ? ` TCP retransmits ${run.tcpRetransmits}` : '') +
                (run.complete ? '' : ` INCOMPLETE ${run.received}/${run.expected}`),
            );
          }
        }
        const hearth = summarizeRuns('hearth', clientCount, mode, plan.deltas, runs.hearth);
        const raw = summarizeRuns('raw', clientCount, mode, plan.deltas, runs.raw);
        const relay = summarizeRuns('relay', clientCount, mode, plan.deltas, runs.relay);
        const local = summarizeRuns('local', clientCount, mode, plan.deltas, runs.local);
        const rawAgain = summarizeRuns('raw2', clientCount, mode, plan.deltas, runs.raw2);
        const localThroughputRatio = round(local.deliveriesPerSecond / raw.deliveriesPerSecond, 2);
        const localP99Ratio = round(local.latencyP99Ms / raw.latencyP99Ms, 2);
        const relayThroughputRatio = round(
          hearth.deliveriesPerSecond / relay.deliveriesPerSecond,
          2,
        );
        const relayP99Ratio = round(hearth.latencyP99Ms / relay.latencyP99Ms, 2);
        const throughputRatio = round(hearth.deliveriesPerSecond / raw.deliveriesPerSecond, 2);
        const p99Ratio = round(hearth.latencyP99Ms / raw.latencyP99Ms, 2);
        comparisons.push({
          clients: clientCount,
          mode,
          deltas: plan.deltas,
          hearth,
          raw,
          relay,
          relayThroughputRatio,
          relayP99Ratio,
          local,
          localThroughputRatio,
          localP99Ratio,
          localMeetsThroughput: localThroughputRatio >= 0.8 && local.complete,
          localMeetsP99: mode === 'burst' ? undefined : localP99Ratio <= 1.25 && local.complete,
          rawAgain,
          aaThroughputRatio: round(rawAgain.deliveriesPerSecond / raw.deliveriesPerSecond, 2),
          aaP99Ratio: round(rawAgain.latencyP99Ms / raw.latencyP99Ms, 2),
          meetsVsRelay:
            relayThroughputRatio >= 0.8 &&
            (mode === 'burst' || relayP99Ratio <= 1.25) &&
            hearth.complete,
          throughputRatio,
          p50Ratio: round(hearth.latencyP50Ms / raw.latencyP50Ms, 2),
          p99Ratio,
          cpuPerDeliveryRatio: round(hearth.serverCpuUsPerDelivery / raw.serverCpuUsPerDelivery, 2),
          meetsThroughput: throughputRatio >= 0.8 && hearth.complete,
          meetsP99: mode === 'burst' ? undefined : p99Ratio <= 1.25 && hearth.complete,
        });
      }
    } finally {
      for (const rig of rigs) await stopRig(rig);
    }
  }
  return { options, pinned, hearthConfig, comparisons };
}
