import { spawn, type ChildProcess } from 'node:child_process';
import {
  ReadBuffer,
  serializeMessage,
  type JSONRPCMessage,
  type Transport,
} from '@modelcontextprotocol/client';

/** How to start a stdio MCP server (already validated, env already resolved). */
export interface StdioLaunch {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd?: string | undefined;
}

/** Grace between SIGTERM and SIGKILL when a server's process tree is stopped. */
export const killGraceMs = 2_000;

/**
 * An MCP client transport over a child process that Hearth spawns itself, in its OWN process
 * group (`detached`), so that `close()` can signal the whole tree (`kill(-pid)`): servers
 * started through `npx`, `uvx` or a shell leave grandchildren that a plain kill would orphan.
 * The SDK's StdioClientTransport has no such option, hence this small transport.
 */
export class ProcessTreeTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Called with each line the server writes to stderr (for the log; never parsed). */
  onstderr?: (line: string) => void;

  readonly #launch: StdioLaunch;
  readonly #buffer = new ReadBuffer();
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #closed = false;

  constructor(launch: StdioLaunch) {
    this.#launch = launch;
  }

  /** The pid of the server process (also its process group id), once started. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Whether the server process is still running. */
  get alive(): boolean {
    return (
      this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
    );
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#launch.command, [...this.#launch.args], {
        env: this.#launch.env,
        cwd: this.#launch.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
        windowsHide: true,
      });
      this.#child = child;
      this.#exited = new Promise((done) => child.once('exit', () => done()));
      child.once('error', (error) => {
        reject(error);
        this.onerror?.(error);
        this.#finish();
      });
      child.once('spawn', () => resolve());
      child.once('exit', () => this.#finish());
      child.stdout?.on('data', (chunk: Buffer) => {
        this.#buffer.append(chunk);
        this.#drain();
      });
      child.stdin?.on('error', (error) => this.onerror?.(error));
      let pending = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (text: string) => {
        const lines = (pending + text).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') this.onstderr?.(line);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.#child?.stdin;
      if (!stdin || !stdin.writable) {
        reject(new Error('The server process is not running'));
        return;
      }
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', () => resolve());
    });
  }

  /** Stops the whole process tree: SIGTERM to the group, SIGKILL after the grace period. */
  async close(): Promise<void> {
    const child = this.#child;
    if (child?.pid !== undefined && this.alive) {
      child.stdin?.end();
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), killGraceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    // The leader may be gone while children of the group linger: they get the hard stop.
    if (child?.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    this.#finish();
  }

  #drain(): void {
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.#buffer.readMessage();
      } catch (error) {
        this.onerror?.(error as Error);
        continue;
      }
      if (message === null) return;
      this.onmessage?.(message);
    }
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    const pid = this.#child?.pid;
    // A crashed leader can leave its children running in the group: reap them too.
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
    this.#buffer.clear();
    this.onclose?.();
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
