/**
 * Starts a real, throwaway `redis-server` on a free loopback port with its own temporary
 * folder and no persistence, for tests that need Redis. Never touches a Redis already running
 * on the machine (6379). When the binary is missing this THROWS: a test that needs Redis must
 * fail, not skip. Set HEARTH_REDIS_SERVER to use a binary outside PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

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

const startTimeoutMs = 10_000;
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function startRedisServer(): Promise<TestRedis> {
  const binary = findRedisServer();
  const dir = await mkdtemp(join(tmpdir(), 'hearth-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  try {
    // A free port can be taken between the probe and redis binding it; try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        child = await launch(binary, port, dir);
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
    if (child) await kill(child, 'SIGKILL');
    child = undefined;
    await rm(dir, { recursive: true, force: true });
  };
  const restart = async (options?: { whileDown?: () => Promise<void> | void }): Promise<void> => {
    if (stopped) throw new Error('test redis-server was stopped; it cannot restart');
    if (child) await kill(child, 'SIGKILL');
    child = undefined;
    try {
      await options?.whileDown?.();
    } finally {
      // Back up even when `whileDown` failed, so that one failing test does not fail the rest.
      child = await launch(binary, port, dir);
    }
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    restart,
    [Symbol.asyncDispose]: stop,
  };
}

function findRedisServer(): string {
  const fromEnv = process.env.HEARTH_REDIS_SERVER;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`HEARTH_REDIS_SERVER=${fromEnv} is not an executable redis-server binary.`);
  }
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    if (isExecutable(candidate)) return candidate;
  }
  throw new Error(
    'redis-server was not found (searched PATH, /usr/bin, /usr/local/bin). The Redis tests ' +
      'start a real Redis: install it (`apt-get install redis-server`) or set ' +
      'HEARTH_REDIS_SERVER to the binary.',
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

async function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    binary,
    [
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
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  installExitHook();
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    running.delete(child);
    exited = `exited (code ${code ?? 'none'}, signal ${signal ?? 'none'})`;
  });
  child.once('error', (error) => {
    running.delete(child);
    exited = `could not start: ${error.message}`;
  });

  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    if (await answersPing(port)) return child;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await kill(child, 'SIGKILL');
  throw new Error(
    `redis-server on 127.0.0.1:${port} ${exited ?? `did not answer PING within ${startTimeoutMs} ms`}` +
      `\n${output.trim()}`,
  );
}

/** True when something on the port answers `PING` with `+PONG`. */
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

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/** A crashed or interrupted test run must not leave redis-server processes behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}
