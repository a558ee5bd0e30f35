/**
 * Starts a real, throwaway Mosquitto broker on a free loopback port with its own temporary
 * config (anonymous, no persistence), for tests that need MQTT. Never touches a broker already
 * running on the machine (1883). When the binary is missing this THROWS: a test that needs
 * Mosquitto must fail, not skip. Set HEARTH_MOSQUITTO to use a binary outside PATH.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { findBinary, launchServer, startThrowawayServer } from './server-process.ts';

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
  const server = await startThrowawayServer({
    name: 'mosquitto',
    launch: async (port, dir) => {
      const config = join(dir, 'mosquitto.conf');
      await writeFile(config, configText(port));
      return launch(binary, config, port);
    },
  });
  return {
    url: `mqtt://127.0.0.1:${server.port}`,
    port: server.port,
    stop: server.stop,
    restart: server.restart,
    [Symbol.asyncDispose]: server.stop,
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
