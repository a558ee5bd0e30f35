/**
 * Runs `node src/main.ts` as its own process (a role of a split Hearth, say) and waits for the
 * JSON log line that says it listens. Dispose it to stop it with SIGTERM (SIGKILL if it hangs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface HearthProcess extends AsyncDisposable {
  url: string;
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function spawnHearth(options: {
  args: string[];
  env: Record<string, string>;
  /** The `msg` of the log line that carries `url`. */
  listening: string;
  timeoutMs?: number;
}): Promise<HearthProcess> {
  const child = spawn(process.execPath, ['src/main.ts', ...options.args], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "${options.listening}" in time; stderr: ${stderr}`)),
      options.timeoutMs ?? 15_000,
    );
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      for (const line of stdout.split('\n')) {
        if (!line.includes(options.listening)) continue;
        const parsed = JSON.parse(line) as { msg?: string; url?: string };
        if (parsed.msg === options.listening && parsed.url) {
          clearTimeout(timer);
          resolve(parsed.url);
        }
      }
    });
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  let stopping: Promise<number | null> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    })();
    return stopping;
  };
  return {
    url,
    child,
    output: () => ({ stdout, stderr }),
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}
