/**
 * Starts a real, throwaway Mosquitto broker on a free loopback port with its own temporary
 * config (anonymous, no persistence), for tests that need MQTT. Never touches a broker already
 * running on the machine (1883). When the binary is missing this THROWS: a test that needs
 * Mosquitto must fail, not skip. Set HEARTH_MOSQUITTO to use a binary outside PATH.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, killChild, launchServer } from './server-process.ts';

export interface TestMosquitto extends AsyncDisposable {
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Kills the broker and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Kills the broker (SIGKILL, like a crash: clients see their connections drop and retained
   * messages are gone, as persistence is off), runs `whileDown` if given, then starts a fresh
   * broker on the SAME port and waits until it answers an MQTT CONNECT.
   */
  restart(options?: { whileDown?: () => Promise<void> | void }): Promise<void>;
}

export async function startMosquitto(): Promise<TestMosquitto> {
  const binary = findMosquitto();
  const dir = await mkdtemp(join(tmpdir(), 'hearth-mosquitto-'));
  let child: ChildProcess | undefined;
  let port = 0;
  let config = '';
  try {
    // A free port can be taken between the probe and mosquitto binding it; try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      config = join(dir, 'mosquitto.conf');
      await writeFile(config, configText(port));
      try {
        child = await launch(binary, config, port);
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child) await killChild(child, 'SIGKILL');
    child = undefined;
    await rm(dir, { recursive: true, force: true });
  };
  const restart = async (options?: { whileDown?: () => Promise<void> | void }): Promise<void> => {
    if (stopped) throw new Error('test mosquitto was stopped; it cannot restart');
    if (child) await killChild(child, 'SIGKILL');
    child = undefined;
    try {
      await options?.whileDown?.();
    } finally {
      // Back up even when `whileDown` failed, so that one failing test does not fail the rest.
      child = await launch(binary, config, port);
    }
  };

  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop,
    restart,
    [Symbol.asyncDispose]: stop,
  };
}

function configText(port: number): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    // Deliver at once instead of pairing small packets (Nagle): latency is measured on this.
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n');
}

function findMosquitto(): string {
  return findBinary({
    name: 'mosquitto',
    envVar: 'HEARTH_MOSQUITTO',
    dirs: ['/usr/sbin', '/usr/bin', '/usr/local/sbin'],
    apt: 'mosquitto',
    what: 'The MQTT tests start a real broker',
  });
}

function launch(binary: string, config: string, port: number): Promise<ChildProcess> {
  return launchServer({
    binary,
    args: ['-c', config],
    ready: () => answersConnect(port),
    label: `mosquitto on 127.0.0.1:${port}`,
    readiness: 'answer CONNECT',
  });
}

// MQTT 3.1.1 CONNECT, clean session, keep-alive 60 s, client id "hearth-probe".
const connectPacket = Buffer.from([
  0x10,
  0x18,
  0x00,
  0x04,
  0x4d,
  0x51,
  0x54,
  0x54,
  0x04,
  0x02,
  0x00,
  0x3c,
  0x00,
  0x0c,
  ...Buffer.from('hearth-probe', 'ascii'),
]);
const disconnectPacket = Buffer.from([0xe0, 0x00]);

/** True when something on the port answers an MQTT CONNECT with an accepting CONNACK. */
async function answersConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = Buffer.alloc(0);
    const finish = (ok: boolean): void => {
      if (ok) socket.end(disconnectPacket);
      else socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write(connectPacket));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      // CONNACK: 0x20, length 2, flags, return code 0 (accepted).
      if (reply.length >= 4) finish(reply[0] === 0x20 && reply[3] === 0x00);
    });
  });
}
