/**
 * The simulator's CLI (`sim/zigbee/main.ts`) as a real process against a real Mosquitto: it
 * publishes the bridge, answers a `/set`, and goes offline (retained) on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMosquitto, type TestMosquitto } from '../support/mosquitto.ts';
import { observe } from './mqtt-observer.ts';

const mainPath = fileURLToPath(new URL('../../sim/zigbee/main.ts', import.meta.url));
let broker: TestMosquitto;

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

it('runs a home from the command line and goes offline on SIGTERM', async () => {
  await using obs = await observe(broker.url, ['cli/#']);
  const child = spawn(
    process.execPath,
    [mainPath, '--url', broker.url, '--base', 'cli', '--devices', '30', '--tick', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const devices = await obs.next('cli/bridge/devices', 8000);
    expect(devices.json()).toHaveLength(31);
    await obs.publish('cli/living_room/lamp/set', '{"brightness":12}');
    expect((await obs.next('cli/living_room/lamp')).json()).toMatchObject({ brightness: 12 });
    expect(output).toContain('30 devices');
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  const offline = await obs.take((m) => m.topic === 'cli/bridge/state' && m.text.includes('off'));
  expect(offline.json()).toEqual({ state: 'offline' });
});
