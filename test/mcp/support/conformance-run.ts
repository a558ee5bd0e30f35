/**
 * Runs the official MCP conformance CLI (`conformance server`) against a URL and reads back
 * its per-scenario `checks.json` files, so tests assert on each check rather than on the exit
 * code alone.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ConformanceCheck {
  id: string;
  status: string;
  errorMessage?: string;
}

/** Scenario name → its checks, for every scenario the run produced results for. */
export type ConformanceResults = Map<string, ConformanceCheck[]>;

const root = resolve(import.meta.dirname, '../../..');

/** The two installed suites: 0.1.x and the 2026-07-28 alpha. */
export const conformanceBins = {
  stable: join(root, 'node_modules/@modelcontextprotocol/conformance/dist/index.js'),
  alpha: join(root, 'node_modules/conformance-alpha/dist/index.js'),
} as const;

export async function runConformance(options: {
  bin: string;
  url: string;
  args?: string[];
  timeoutMs?: number;
}): Promise<{ results: ConformanceResults; exitCode: number | null; output: string }> {
  const outDir = await mkdtemp(join(tmpdir(), 'hearth-conformance-'));
  try {
    const args = [
      options.bin,
      'server',
      '--url',
      options.url,
      '-o',
      outDir,
      ...(options.args ?? []),
    ];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    const exitCode = await new Promise<number | null>((done) => child.on('close', done));
    clearTimeout(timer);
    return { results: await readResults(outDir), exitCode, output };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function readResults(outDir: string): Promise<ConformanceResults> {
  const results: ConformanceResults = new Map();
  for (const entry of await readdir(outDir)) {
    // `server-<scenario>-<timestamp>`, the timestamp starting with the year.
    const match = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry);
    if (!match?.[1]) continue;
    const text = await readFile(join(outDir, entry, 'checks.json'), 'utf8').catch(() => '[]');
    const checks = (JSON.parse(text) as ConformanceCheck[]).map(({ id, status, errorMessage }) =>
      errorMessage === undefined ? { id, status } : { id, status, errorMessage },
    );
    results.set(match[1], checks);
  }
  return results;
}

/** Checks that did not pass (`FAILURE`, `WARNING`, `SKIPPED`), as `scenario/check` → status. */
export function notPassing(results: ConformanceResults): Map<string, string> {
  const failing = new Map<string, string>();
  for (const [scenario, checks] of results) {
    for (const check of checks) {
      if (check.status !== 'SUCCESS' && check.status !== 'INFO')
        failing.set(`${scenario}/${check.id}`, check.status);
    }
  }
  return failing;
}
