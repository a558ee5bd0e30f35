import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ErrorCode, HearthError } from '../errors.ts';
import { configSchema, type HearthConfig } from './schema.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadedConfig {
  config: HearthConfig;
  /** The file's values with the environment's overrides, before defaults and validation. */
  raw: Record<string, unknown>;
  /** Absolute path of the YAML file read, or undefined when only defaults and env were used. */
  file: string | undefined;
}

/** Environment variables that override one key of the file, with how to read their value. */
const envOverrides: ReadonlyArray<{
  env: string;
  path: readonly string[];
  kind: 'string' | 'int';
}> = [
  { env: 'HEARTH_HOST', path: ['server', 'host'], kind: 'string' },
  { env: 'HEARTH_PORT', path: ['server', 'port'], kind: 'int' },
  { env: 'HEARTH_DATA_DIR', path: ['dataDir'], kind: 'string' },
  { env: 'HEARTH_LOG_LEVEL', path: ['log', 'level'], kind: 'string' },
  { env: 'HEARTH_DEFAULT_PROFILE', path: ['defaultProfile'], kind: 'string' },
  { env: 'HEARTH_REDIS_URL', path: ['cluster', 'redisURL'], kind: 'string' },
  { env: 'HEARTH_CENTRAL_URL', path: ['cluster', 'centralURL'], kind: 'string' },
  { env: 'HEARTH_MCP_SERVERS', path: ['mcp', 'serversFile'], kind: 'string' },
  { env: 'HEARTH_MQTT_URL', path: ['zigbee', 'mqttURL'], kind: 'string' },
];

function configError(where: string, message: string): HearthError {
  return new HearthError(ErrorCode.invalidConfig, `Invalid configuration (${where}): ${message}`);
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1) as string] = value;
}

async function readYaml(file: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw configError(file, `cannot read the file: ${(error as Error).message}`);
  });
  const doc = parseDocument(text);
  const first = doc.errors[0];
  if (first) throw configError(file, `not valid YAML: ${first.message}`);
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw configError(file, 'the top level must be a mapping of keys to values');
  }
  return value as Record<string, unknown>;
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
  const key = issue.path.join('.') || '(top level)';
  let value: unknown = raw;
  for (const part of issue.path) {
    value =
      typeof value === 'object' && value !== null
        ? (value as Record<PropertyKey, unknown>)[part]
        : undefined;
  }
  const shown =
    value === undefined || typeof value === 'object' ? '' : ` (got ${JSON.stringify(value)})`;
  return `${key}: ${issue.message}${shown}`;
}

/**
 * Reads config.yaml (from HEARTH_CONFIG, else ./config.yaml when present), applies environment
 * overrides and validates the whole with one schema. Throws a HearthError `invalid_config`
 * naming the file, the key and the problem.
 */
export async function loadConfig(options: { env: Env; cwd?: string }): Promise<LoadedConfig> {
  const { env } = options;
  const cwd = options.cwd ?? process.cwd();
  const explicit = env.HEARTH_CONFIG;
  let file: string | undefined;
  if (explicit) {
    file = resolve(cwd, explicit);
    if (!existsSync(file)) throw configError('HEARTH_CONFIG', `file ${file} does not exist`);
  } else if (existsSync(resolve(cwd, 'config.yaml'))) {
    file = resolve(cwd, 'config.yaml');
  }
  const raw = file ? await readYaml(file) : {};

  const fromEnv = new Set<string>();
  for (const override of envOverrides) {
    const text = env[override.env];
    if (text === undefined || text === '') continue;
    let value: string | number = text;
    if (override.kind === 'int') {
      if (!/^\d+$/.test(text))
        throw configError(override.env, `expected a whole number, got ${JSON.stringify(text)}`);
      value = Number(text);
    }
    setPath(raw, override.path, value);
    fromEnv.add(override.path.join('.'));
  }

  const config = validateConfig(raw, { where: file ?? 'defaults and environment', cwd, fromEnv });
  return { config, file, raw };
}

/**
 * Validates raw configuration values with the one schema: the defaults filled in, `dataDir`
 * made absolute. Throws `invalid_config` naming `where`, each key and its problem (and the
 * environment variable, for keys it set).
 */
export function validateConfig(
  raw: Record<string, unknown>,
  options: { where: string; cwd?: string; fromEnv?: ReadonlySet<string> },
): HearthConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.');
      const source = envOverrides.find(
        (o) => o.path.join('.') === key && options.fromEnv?.has(key),
      );
      return source ? `${source.env}: ${describeIssue(issue, raw)}` : describeIssue(issue, raw);
    });
    throw configError(options.where, lines.join('; '));
  }
  const config = parsed.data;
  config.dataDir = resolve(options.cwd ?? process.cwd(), config.dataDir);
  return config;
}
