/**
 * What the throwaway-server fixtures (redis-server, mosquitto) share: finding the binary
 * (an environment override, then PATH and the usual folders; a missing binary THROWS, so a
 * test that needs the server fails instead of skipping), a free loopback port, killing a
 * child and waiting for it, and killing every child still running when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export function findBinary(options: {
  name: string;
  envVar: string;
  dirs: string[];
  apt: string;
  what: string;
}): string {
  const fromEnv = process.env[options.envVar];
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`${options.envVar}=${fromEnv} is not an executable ${options.name} binary.`);
  }
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...options.dirs]) {
    if (!dir) continue;
    const candidate = join(dir, options.name);
    if (isExecutable(candidate)) return candidate;
  }
  throw new Error(
    `${options.name} was not found (searched PATH, ${options.dirs.join(', ')}). ${options.what}: ` +
      `install it (\`apt-get install ${options.apt}\`) or set ${options.envVar} to the binary.`,
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

export async function freePort(): Promise<number> {
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

export async function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills `child` when the test process exits, should the test not stop it itself. */
export function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const each of running) each.kill('SIGKILL');
  });
}

/**
 * Spawns a server and waits until `ready()` answers true; a server that exits first or does
 * not become ready in `timeoutMs` is killed and reported with the end of its output.
 */
export async function launchServer(options: {
  binary: string;
  args: string[];
  ready: () => Promise<boolean>;
  /** Names the server in errors, such as `redis-server on 127.0.0.1:6390`. */
  label: string;
  /** What `ready()` waits for, in errors: `answer PING`. */
  readiness: string;
  timeoutMs?: number;
}): Promise<ChildProcess> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const child = spawn(options.binary, options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited (code ${code ?? 'none'}, signal ${signal ?? 'none'})`;
  });
  child.once('error', (error) => {
    exited = `could not start: ${error.message}`;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    if (await options.ready()) return child;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await killChild(child, 'SIGKILL');
  throw new Error(
    `${options.label} ${exited ?? `did not ${options.readiness} within ${timeoutMs} ms`}\n${output.trim()}`,
  );
}

export interface ThrowawayServer {
  port: number;
  /** Kills the server and removes its folder. Safe to call twice. */
  stop: () => Promise<void>;
  /** SIGKILL (a crash), `whileDown`, then the same server again on the same port. */
  restart: (options?: { whileDown?: () => Promise<void> | void }) => Promise<void>;
}

/**
 * A server on a free port with its own temporary folder, started by `launch` (which resolves
 * once it answers). A port taken between the probe and the bind is retried twice.
 */
export async function startThrowawayServer(options: {
  name: string;
  launch: (port: number, dir: string) => Promise<ChildProcess>;
}): Promise<ThrowawayServer> {
  const dir = await mkdtemp(join(tmpdir(), `hearth-${options.name}-`));
  let child: ChildProcess | undefined;
  let port = 0;
  try {
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        child = await options.launch(port, dir);
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
  return {
    port,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (child) await killChild(child, 'SIGKILL');
      child = undefined;
      await rm(dir, { recursive: true, force: true });
    },
    restart: async (restartOptions) => {
      if (stopped) throw new Error(`test ${options.name} was stopped; it cannot restart`);
      if (child) await killChild(child, 'SIGKILL');
      child = undefined;
      try {
        await restartOptions?.whileDown?.();
      } finally {
        // Back up even when `whileDown` failed, so that one failing test does not fail the rest.
        child = await options.launch(port, dir);
      }
    },
  };
}
