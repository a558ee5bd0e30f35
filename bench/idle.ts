/**
 * Idle connections: resident memory per authenticated idle WebSocket client, Hearth against a
 * bare `ws` server, each with the same number of clients. The server runs alone in its process
 * (with --expose-gc); the clients run in several other processes. Each server is sampled after
 * full collections, once warm (some clients have come and gone) and again with every client
 * connected: Hearth's clients have said hello with a token and been welcomed; the raw server's
 * have sent the same hello and had a welcome-shaped answer.
 */
import { adminToken } from '../test/support/hearth-fixture.ts';
import { fileLimits, startChild, type Child } from './support/ipc.ts';
import type { MemorySample } from './support/process-sample.ts';
import { round, sleep } from './support/stats.ts';

export interface IdleOptions {
  clients: number;
  clientProcesses: number;
  warmupClients: number;
}

export const idleDefaults: IdleOptions = {
  clients: 10_000,
  clientProcesses: 4,
  warmupClients: 500,
};

export interface IdleMeasurement {
  system: 'hearth' | 'raw';
  connected: number;
  before: MemorySample;
  after: MemorySample;
  rssPerClientBytes: number;
  rssPerClientKiB: number;
  heapPerClientKiB: number;
  /** Buffers outside the JS heap (external + arrayBuffers are overlapping; external shown). */
  externalPerClientKiB: number;
  connectSeconds: number;
}

export interface IdleResult {
  options: IdleOptions;
  openFiles: { soft: number; hard: number; perServer: number; perClientProcess: number };
  hearth: IdleMeasurement;
  raw: IdleMeasurement;
  ratio: number;
  meetsTarget: boolean;
}

const kib = (bytes: number): number => bytes / 1024;

async function measureSystem(
  system: 'hearth' | 'raw',
  options: IdleOptions,
  log: (line: string) => void,
): Promise<IdleMeasurement> {
  const perProcess = Math.ceil(options.clients / options.clientProcesses);
  const server = startChild(
    system === 'hearth' ? 'support/hearth-server.ts' : 'support/raw-server.ts',
    { execArgv: ['--expose-gc'], openFiles: options.clients + 512 },
  );
  const children: Child[] = [];
  try {
    const { wsUrl } = await server.call<{ wsUrl: string }>('start', {
      config: { log: { level: 'warn' } },
    });
    // Hello carries the token for Hearth; the raw server only answers it.
    const token = system === 'hearth' ? adminToken : 'not-checked';

    // Warm up: clients that connect, say hello and leave, so that code and pools are in place.
    const warm = startChild('support/fanout-clients.ts', {
      openFiles: options.warmupClients + 256,
    });
    await warm.call('connect', { url: wsUrl, count: options.warmupClients, token });
    await warm.stop();
    await sleep(1000);
    const before = await server.call<MemorySample>('memory', { gc: true });

    const started = performance.now();
    for (let i = 0; i < options.clientProcesses; i++) {
      children.push(startChild('support/fanout-clients.ts', { openFiles: perProcess + 256 }));
    }
    let remaining = options.clients;
    await Promise.all(
      children.map((child) => {
        const count = Math.min(perProcess, remaining);
        remaining -= count;
        return child.call('connect', { url: wsUrl, count, token });
      }),
    );
    const connectSeconds = (performance.now() - started) / 1000;
    await sleep(2000);
    const connected = await server.call<number>('sessions');
    const after = await server.call<MemorySample>('memory', { gc: true });
    const n = Math.max(1, connected);
    const result: IdleMeasurement = {
      system,
      connected,
      before,
      after,
      rssPerClientBytes: Math.round((after.rss - before.rss) / n),
      rssPerClientKiB: round(kib(after.rss - before.rss) / n, 2),
      heapPerClientKiB: round(kib(after.heapUsed - before.heapUsed) / n, 2),
      externalPerClientKiB: round(kib(after.external - before.external) / n, 2),
      connectSeconds: round(connectSeconds, 1),
    };
    log(
      `idle ${system.padEnd(6)} ${connected} clients: RSS ${result.rssPerClientKiB} KiB/client ` +
        `(heap ${result.heapPerClientKiB}, external ${result.externalPerClientKiB}), ` +
        `RSS ${round(before.rss / 2 ** 20, 1)} → ${round(after.rss / 2 ** 20, 1)} MiB`,
    );
    return result;
  } finally {
    for (const child of children) await child.stop();
    await server.stop();
  }
}

export async function runIdle(
  options: IdleOptions = idleDefaults,
  log: (line: string) => void = console.log,
): Promise<IdleResult> {
  const limits = fileLimits();
  const perClientProcess = Math.ceil(options.clients / options.clientProcesses) + 256;
  const perServer = options.clients + 512;
  log(
    `idle: ulimit -n soft ${limits.soft}, hard ${limits.hard}; a server needs ${perServer}, ` +
      `a client process ${perClientProcess} (children run under ulimit -n <hard> when needed)`,
  );
  const hearth = await measureSystem('hearth', options, log);
  const raw = await measureSystem('raw', options, log);
  const ratio = round(hearth.rssPerClientKiB / raw.rssPerClientKiB, 2);
  return {
    options,
    openFiles: { ...limits, perServer, perClientProcess },
    hearth,
    raw,
    ratio,
    // Target 16 KB per client, read as 16 KiB (16,384 bytes); bytes are reported too.
    meetsTarget: hearth.rssPerClientBytes <= 16 * 1024 && hearth.connected === options.clients,
  };
}
