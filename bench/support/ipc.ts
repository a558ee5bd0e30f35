/**
 * Child processes for the benchmarks: a parent starts a script with an IPC channel (structured
 * clone serialisation, so typed arrays travel as they are) and calls named commands in it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Child {
  readonly pid: number;
  call<T = unknown>(command: string, args?: unknown): Promise<T>;
  /** Asks the child to stop, then kills it if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface ChildOptions {
  args?: string[];
  /** Extra node flags, e.g. `--expose-gc`. */
  execArgv?: string[];
  /** Open files the child needs; when above the current soft limit it runs under `ulimit -n`. */
  openFiles?: number;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** The soft and hard `ulimit -n` of this shell's children. */
export function fileLimits(): { soft: number; hard: number } {
  // Read through the shell, the same way the children are started.
  const read = (flag: string): number => {
    const out = spawnSyncText('bash', ['-c', `ulimit ${flag}`]);
    return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
  };
  return { soft: read('-Sn'), hard: read('-Hn') };
}

function spawnSyncText(command: string, args: string[]): string {
  return spawnSync(command, args, { encoding: 'utf8' }).stdout.trim();
}

/** Starts `bench/<script>` (path relative to bench/) in its own Node process. */
export function startChild(script: string, options: ChildOptions = {}): Child {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const nodeArgs = [...(options.execArgv ?? []), path, ...(options.args ?? [])];
  let child: ChildProcess;
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
  const limits = options.openFiles === undefined ? undefined : fileLimits();
  if (limits && options.openFiles !== undefined && options.openFiles > limits.soft) {
    if (options.openFiles > limits.hard) {
      throw new Error(
        `${script} needs ${options.openFiles} open files but the hard limit is ${limits.hard}`,
      );
    }
    child = spawn(
      'bash',
      ['-c', `ulimit -n ${limits.hard} && exec "$@"`, 'bash', process.execPath, ...nodeArgs],
      { stdio, serialization: 'advanced' },
    );
  } else {
    child = spawn(process.execPath, nodeArgs, { stdio, serialization: 'advanced' });
  }
  let nextId = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const waiter of pending.values())
        waiter.reject(new Error(`${script} exited (${code ?? signal}) during a call`));
      pending.clear();
      resolve();
    });
  });
  child.on('message', (message: Reply) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(`${script}: ${message.error}`));
  });
  return {
    pid: child.pid ?? -1,
    call<T>(command: string, args?: unknown): Promise<T> {
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, command, args });
      });
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      this.call('exit').catch(() => undefined);
      await exited;
      clearTimeout(timer);
    },
  };
}

type Handler = (args: any) => unknown;

/**
 * The child's side: answers the parent's calls with `handlers`. `exit` (from `Child.stop`)
 * runs the optional `onExit` and ends the process; so does losing the parent.
 */
export function serve(handlers: Record<string, Handler>, onExit?: () => unknown): void {
  const send = (reply: Reply): void => {
    process.send?.(reply);
  };
  const exit = async (): Promise<never> => {
    try {
      await onExit?.();
    } finally {
      process.exit(0);
    }
  };
  process.on('disconnect', () => void exit());
  process.on('message', (message: { id: number; command: string; args: unknown }) => {
    if (message.command === 'exit') {
      void exit();
      return;
    }
    const handler = handlers[message.command];
    void (async () => {
      try {
        if (!handler) throw new Error(`unknown command ${message.command}`);
        send({ id: message.id, ok: true, result: await handler(message.args) });
      } catch (error) {
        send({
          id: message.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      }
    })();
  });
}
