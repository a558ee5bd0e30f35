/**
 * Starts a real, throwaway `redis-server` on a free loopback port with its own temporary
 * folder and no persistence, for tests that need Redis. Never touches a Redis already running
 * on the machine (6379). When the binary is missing this THROWS: a test that needs Redis must
 * fail, not skip. Set HEARTH_REDIS_SERVER to use a binary outside PATH.
 */
import type { ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { findBinary, launchServer, startThrowawayServer } from './server-process.ts';

export interface TestRedis extends AsyncDisposable {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Kills the server and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Kills the server (SIGKILL, like a crash: clients see their connections drop), runs
   * `whileDown` if given, then starts a fresh server on the SAME port and waits for PING.
   */
  restart(options?: { whileDown?: () => Promise<void> | void }): Promise<void>;
}

export async function startRedisServer(): Promise<TestRedis> {
  const binary = findRedisServer();
  const server = await startThrowawayServer({
    name: 'redis-server',
    launch: (port, dir) => launch(binary, port, dir),
  });
  return {
    url: `redis://127.0.0.1:${server.port}`,
    port: server.port,
    stop: server.stop,
    restart: server.restart,
    [Symbol.asyncDispose]: server.stop,
  };
}

function findRedisServer(): string {
  return findBinary({
    name: 'redis-server',
    envVar: 'HEARTH_REDIS_SERVER',
    dirs: ['/usr/bin', '/usr/local/bin'],
    apt: 'redis-server',
    what: 'The Redis tests start a real Redis',
  });
}

function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  return launchServer({
    binary,
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--logfile',
      '',
    ],
    ready: () => answersPing(port),
    label: `redis-server on 127.0.0.1:${port}`,
    readiness: 'answer PING',
  });
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}
