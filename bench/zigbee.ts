/**
 * Zigbee state to the UIs (`bench/zigbee.ts`): a throwaway Mosquitto, the bridge simulator
 * with a home of N devices (its own process), Hearth (its own process, `node src/main.ts`),
 * and a stamping publisher (its own process) sending state updates for every device at a
 * fixed rate, as Zigbee2MQTT would. Latency is the time from the publish to a WebSocket
 * client's `device.state` (through Hearth) and, in the same run, to a bare MQTT subscriber.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import WebSocket from 'ws';
import { adminToken } from '../test/support/hearth-fixture.ts';
import type { HearthProcess } from '../test/support/hearth-process.ts';
import { spawnBenchHearth } from './support/bench-hearth.ts';
import { startMosquitto } from '../test/support/mosquitto.ts';
import { now, round, roundSummary, sleep, summarize, type Summary } from './support/stats.ts';

export const zigbeeDefaults = { devices: 500, perSecond: 1000, seconds: 10, warmupSeconds: 3 };
export type ZigbeeOptions = typeof zigbeeDefaults;

export interface ZigbeeResult {
  options: ZigbeeOptions;
  devicesListed: number;
  published: number;
  throughHearth: Summary & { received: number };
  bareMqtt: Summary & { received: number };
  addedP50: number;
  addedP99: number;
}

const root = join(import.meta.dirname, '..');

function run(args: string[]): { done: Promise<string>; kill(): void } {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (data: Buffer) => (out += data.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${args[0]} exited ${code}`)),
    );
  });
  return { done, kill: () => child.kill('SIGTERM') };
}

function rounded(values: number[]): Summary & { received: number } {
  return { received: values.length, ...roundSummary(summarize(values)) };
}

export async function runZigbee(options: ZigbeeOptions = zigbeeDefaults): Promise<ZigbeeResult> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-zigbee-'));
  const broker = await startMosquitto();
  const sim = run([
    'sim/zigbee/main.ts',
    '--url',
    broker.url,
    '--devices',
    String(options.devices),
    '--tick',
    '0',
  ]);
  let hearth: HearthProcess | undefined;
  try {
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'discovery: { ollama: false }',
        'log: { level: info }',
        'zigbee: { getsPerSecond: 200 }',
        'auth:',
        '  tokens:',
        '    - { name: admin, role: admin, tokenEnv: HEARTH_ADMIN }',
        '',
      ].join('\n'),
    );
    hearth = await spawnBenchHearth(dir, { HEARTH_MQTT_URL: broker.url });
    // Every device listed (the simulator's bridge/devices reached Hearth).
    let names: string[] = [];
    for (const deadline = now() + 60_000; now() < deadline; await sleep(250)) {
      const response = await fetch(`${hearth.url}/api/v1/devices`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      const list = (await response.json()) as { devices: Array<{ name: string; type: string }> };
      names = list.devices.filter((d) => d.type !== 'Coordinator').map((d) => d.name);
      if (names.length >= options.devices) break;
    }
    if (names.length < options.devices) throw new Error(`only ${names.length} devices listed`);
    // Let the paced re-read after connecting finish, so it does not mix into the window.
    await sleep(Math.ceil((names.length / 200) * 1000) + 1000);

    const viaHearth: number[] = [];
    const bare: number[] = [];
    let measuring = false;
    const ws = new WebSocket(`${hearth.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.on('message', (data: Buffer) => {
      const at = now();
      const frame = JSON.parse(data.toString()) as { type: string; state?: { bench_t?: number } };
      if (measuring && frame.type === 'device.state' && typeof frame.state?.bench_t === 'number')
        viaHearth.push(at - frame.state.bench_t);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        id: 1,
        protocol: 1,
        token: adminToken,
        client: { name: 'bench', kind: 'bench' },
      }),
    );
    ws.send(JSON.stringify({ type: 'devices.subscribe', id: 2 }));
    const subscriber = await connectAsync(broker.url, { clientId: `bench_bare_${process.pid}` });
    (subscriber.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    await subscriber.subscribeAsync('zigbee2mqtt/#');
    subscriber.on('message', (topic, payload) => {
      const at = now();
      if (!measuring || topic.includes('/bridge/')) return;
      const t = (JSON.parse(payload.toString()) as { bench_t?: number }).bench_t;
      if (typeof t === 'number') bare.push(at - t);
    });

    const warmup = run([
      'bench/support/mqtt-stamper.ts',
      broker.url,
      'zigbee2mqtt',
      String(options.perSecond),
      String(options.warmupSeconds),
      ...names,
    ]);
    await warmup.done;
    await sleep(500);
    measuring = true;
    const measured = run([
      'bench/support/mqtt-stamper.ts',
      broker.url,
      'zigbee2mqtt',
      String(options.perSecond),
      String(options.seconds),
      ...names,
    ]);
    const out = await measured.done;
    await sleep(1000);
    measuring = false;
    ws.close();
    await subscriber.endAsync();
    const published = Number(/done (\d+)/.exec(out)?.[1] ?? 0);
    const throughHearth = rounded(viaHearth);
    const bareMqtt = rounded(bare);
    return {
      options,
      devicesListed: names.length,
      published,
      throughHearth,
      bareMqtt,
      addedP50: round(throughHearth.p50 - bareMqtt.p50, 3),
      addedP99: round(throughHearth.p99 - bareMqtt.p99, 3),
    };
  } finally {
    await hearth?.stop();
    sim.kill();
    await sim.done.catch(() => undefined);
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const result = await runZigbee(
    quick ? { devices: 50, perSecond: 200, seconds: 3, warmupSeconds: 1 } : zigbeeDefaults,
  );
  console.log(JSON.stringify(result, null, 2));
}
