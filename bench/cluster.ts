/**
 * A split Hearth for real: `--role central`, two `--role gateway` processes, a throwaway
 * redis-server and the stamping double, each its own process.
 *
 * - Propagation: a profile changed through the central service's API until a WebSocket client
 *   on each of the two gateways has its `config.changed` (the gateway has re-read and applied
 *   the configuration before it sends one), against a bare Redis publish-to-receive measured in
 *   the same run.
 * - Cross-instance fan-out: the spine's full-speed fan-out (one turn of N deltas) with the
 *   subscribers spread over the two gateways, against all of them on one gateway of the same
 *   cluster, and against the embedded single process (`npm start`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { adminToken, userToken } from '../test/support/hearth-fixture.ts';
import { spawnHearth, type HearthProcess } from '../test/support/hearth-process.ts';
import { startRedisServer } from '../test/support/redis-server.ts';
import { startChild, type Child } from './support/ipc.ts';
import { now, round, roundSummary, summarize, type Summary } from './support/stats.ts';

export const clusterDefaults = { changes: 1000, clients: 100, deltas: 2000, pacedDeltas: 300 };
export type ClusterOptions = typeof clusterDefaults;

export interface FanoutShape {
  deliveriesPerSecond: number;
  latencyMs: Summary;
  complete: boolean;
}

export interface ClusterResult {
  options: ClusterOptions;
  propagation: { hearthMs: Summary; bareRedisMs: Summary; apiResponseMs: Summary };
  /** Full speed: the double writes deltas as fast as it can (latency is mostly queueing). */
  fanout: Record<Shape, FanoutShape>;
  /** 100 deltas/s: the latency each hop adds. */
  paced: Record<Shape, FanoutShape>;
}

type Shape = 'spread' | 'oneGateway' | 'embedded';

/** A client that resolves a waiter when the `config.changed` naming a model arrives. */
async function configWatcher(wsUrl: string): Promise<{
  next(model: string): Promise<number>;
  close(): void;
}> {
  const ws = new WebSocket(wsUrl);
  const waiters = new Map<string, (at: number) => void>();
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      ws.send(
        JSON.stringify({
          type: 'hello',
          protocol: 1,
          token: adminToken,
          client: { name: 'b', kind: 'b' },
        }),
      );
    });
    ws.on('message', (data: Buffer) => {
      const at = now();
      const frame = JSON.parse(data.toString()) as Record<string, any>;
      if (frame.type === 'welcome') resolve();
      if (frame.type !== 'config.changed') return;
      const model = (frame.profiles as Array<{ id: string; model: string }>).find(
        (p) => p.id === 'bench',
      )?.model;
      const waiter = model === undefined ? undefined : waiters.get(model);
      if (waiter) {
        waiters.delete(model as string);
        waiter(at);
      }
    });
    ws.once('error', reject);
  });
  return {
    next: (model) => new Promise((resolve) => waiters.set(model, resolve)),
    close: () => ws.terminate(),
  };
}

async function propagation(
  central: HearthProcess,
  gateways: HearthProcess[],
  changes: number,
  redisUrl: string,
) {
  const watchers = await Promise.all(
    gateways.map((g) => configWatcher(`${g.url.replace('http', 'ws')}/ws`)),
  );
  const put = (model: string) =>
    fetch(`${central.url}/api/v1/profiles/bench`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'double', model }),
    });
  const hearth: number[] = [];
  const api: number[] = [];
  for (let i = -20; i < changes; i++) {
    const model = `m${i + 20}`;
    const applied = Promise.all(watchers.map((w) => w.next(model)));
    const started = now();
    const response = await put(model);
    if (response.status !== 200) throw new Error(`PUT answered ${response.status}`);
    const answered = now();
    const times = await applied;
    if (i >= 0) {
      hearth.push(Math.max(...times) - started);
      api.push(answered - started);
    }
  }
  for (const w of watchers) w.close();

  // The same number of messages over bare Redis Pub/Sub, one after another.
  const publisher = new Redis(redisUrl);
  const subscriber = new Redis(redisUrl);
  await subscriber.subscribe('bench');
  let resolveOne: ((at: number) => void) | undefined;
  subscriber.on('message', () => resolveOne?.(now()));
  const bare: number[] = [];
  for (let i = -20; i < changes; i++) {
    const got = new Promise<number>((resolve) => (resolveOne = resolve));
    const started = now();
    await publisher.publish('bench', JSON.stringify({ version: i }));
    const at = await got;
    if (i >= 0) bare.push(at - started);
  }
  publisher.disconnect();
  subscriber.disconnect();
  return {
    hearthMs: roundSummary(summarize(hearth)),
    bareRedisMs: roundSummary(summarize(bare)),
    apiResponseMs: roundSummary(summarize(api)),
  };
}

interface Collected {
  complete: boolean;
  received: number;
  first: number;
  last: number;
  latencies: Float64Array;
}

/** One turn of `plan.deltas` to every client, as the spine's fan-out benchmark runs it. */
async function fanout(
  double: Child,
  urls: string[],
  clients: number,
  plan: { deltas: number; delayMs: number },
): Promise<FanoutShape> {
  const child = startChild('support/fanout-clients.ts');
  try {
    for (const [index, url] of urls.entries()) {
      const count = Math.floor(clients / urls.length) + (index < clients % urls.length ? 1 : 0);
      await child.call('connect', { url, count, token: userToken });
    }
    const conversationId = await child.call<string>('setupConversation');
    const { deltas } = plan;
    await double.call('plan', plan);
    await child.call('arm', { expected: deltas });
    await child.call('trigger', { conversationId });
    const got = await child.call<Collected>('collect', { timeoutMs: 120_000 });
    return {
      complete: got.complete && got.received === deltas * clients,
      deliveriesPerSecond: round(got.received / ((got.last - got.first) / 1000), 0),
      latencyMs: roundSummary(summarize(got.latencies)),
    };
  } finally {
    await child.stop();
  }
}

export async function runCluster(
  options: ClusterOptions = clusterDefaults,
): Promise<ClusterResult> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-cluster-'));
  const redis = await startRedisServer();
  const double = startChild('support/double-server.ts');
  const processes: HearthProcess[] = [];
  let embedded: Child | undefined;
  try {
    const { baseURL } = await double.call<{ baseURL: string }>('start', { kind: 'stamping' });
    const configFile = join(dir, 'central.yaml');
    await writeFile(
      configFile,
      [
        'providers:',
        `  double: { kind: openai-compatible, baseURL: "${baseURL}" }`,
        'profiles:',
        '  default: { provider: double, model: test-model }',
        '  bench: { provider: double, model: m0 }',
        'defaultProfile: default',
        'discovery: { ollama: false }',
        'auth:',
        '  tokens:',
        '    - { name: admin, role: admin, tokenEnv: HEARTH_ADMIN }',
        '    - { name: kid, role: user, tokenEnv: HEARTH_KID }',
        '',
      ].join('\n'),
    );
    const common = {
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PORT: '0',
      HEARTH_REDIS_URL: redis.url,
      HEARTH_LOG_LEVEL: 'info',
    };
    const central = await spawnHearth({
      args: ['--role', 'central'],
      env: {
        ...common,
        HEARTH_DATA_DIR: join(dir, 'central'),
        HEARTH_CONFIG: configFile,
        HEARTH_ADMIN: adminToken,
        HEARTH_KID: userToken,
      },
      listening: 'Hearth central service is listening',
    });
    processes.push(central);
    const gateways: HearthProcess[] = [];
    for (const name of ['g1', 'g2']) {
      gateways.push(
        await spawnHearth({
          args: ['--role', 'gateway'],
          env: {
            ...common,
            HEARTH_DATA_DIR: join(dir, name),
            HEARTH_CENTRAL_URL: central.url,
            HEARTH_CENTRAL_TOKEN: adminToken,
          },
          listening: 'Hearth gateway is listening',
        }),
      );
    }
    processes.push(...gateways);
    const propagated = await propagation(central, gateways, options.changes, redis.url);

    const wsUrls = gateways.map((g) => `${g.url.replace('http', 'ws')}/ws`);
    embedded = startChild('support/hearth-server.ts');
    const { wsUrl } = await embedded.call<{ wsUrl: string }>('start', { providerBaseURL: baseURL });
    const shapes: Record<Shape, string[]> = {
      spread: wsUrls,
      oneGateway: [wsUrls[0] as string],
      embedded: [wsUrl],
    };
    const run = async (plan: { deltas: number; delayMs: number }) => {
      const result = {} as Record<Shape, FanoutShape>;
      for (const shape of Object.keys(shapes) as Shape[])
        result[shape] = await fanout(double, shapes[shape], options.clients, plan);
      return result;
    };
    const full = await run({ deltas: options.deltas, delayMs: 0 });
    const paced = await run({ deltas: options.pacedDeltas, delayMs: 10 });
    return { options, propagation: propagated, fanout: full, paced };
  } finally {
    await embedded?.stop();
    for (const process of processes.reverse()) await process.stop();
    await double.stop();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const result = await runCluster(
    quick ? { changes: 50, clients: 10, deltas: 200, pacedDeltas: 50 } : clusterDefaults,
  );
  console.log(JSON.stringify(result, null, 2));
}
