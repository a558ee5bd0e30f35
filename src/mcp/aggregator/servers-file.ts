/**
 * The static MCP servers file, in the `mcpServers` format of Claude Desktop and Cursor (JSON,
 * or YAML by extension), plus Hearth's keys per server: `enabled`, `tools: {allow, deny}`,
 * `idleTimeoutMs`, `startTimeoutMs`. Strings may say `${VAR}`, taken from the environment, so
 * secrets live there and never in the file; resolved values are never logged. An invalid
 * entry is reported by name and left out; the valid rest loads. A missing, unreadable or
 * unparsable file fails as a whole.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ErrorCode, HearthError } from '../../common/errors.ts';

export const defaultIdleTimeoutMs = 10 * 60_000;
export const defaultStartTimeoutMs = 30_000;

export interface StdioSpec {
  kind: 'stdio';
  command: string;
  args: string[];
  /** Resolved values: secrets. Never log them. */
  env: Record<string, string>;
  cwd?: string | undefined;
}

export interface HttpSpec {
  kind: 'http';
  url: string;
  /** Resolved values: may hold tokens. Never log them. */
  headers: Record<string, string>;
  /** `sse` forces legacy SSE, `http`/`streamable-http` force Streamable HTTP; unset tries both. */
  type?: 'http' | 'sse' | 'streamable-http' | undefined;
}

/** One valid server entry, ready to connect. */
export interface ServerEntry {
  name: string;
  spec: StdioSpec | HttpSpec;
  enabled: boolean;
  tools: { allow?: string[] | undefined; deny?: string[] | undefined };
  idleTimeoutMs: number;
  startTimeoutMs: number;
  /** Hash of the resolved entry: changes exactly when the server must be restarted. */
  fingerprint: string;
  /** Values taken from the environment: `redact` removes them from any text shown or logged. */
  secrets: string[];
}

export interface ServersFile {
  servers: ServerEntry[];
  /** Entries left out, by name, with a message safe to show (no secret values). */
  invalid: { server: string; message: string }[];
}

const globs = z.array(z.string().min(1)).optional();
const common = {
  enabled: z.boolean().default(true),
  tools: z.object({ allow: globs, deny: globs }).strict().default({}),
  idleTimeoutMs: z.number().int().positive().default(defaultIdleTimeoutMs),
  startTimeoutMs: z.number().int().positive().default(defaultStartTimeoutMs),
  // Keys other clients write that Hearth has no use for.
  description: z.string().optional(),
  disabled: z.boolean().optional(),
};
const stdioEntry = z
  .object({
    ...common,
    type: z.literal('stdio').optional(),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().min(1).optional(),
  })
  .strict();
const httpEntry = z
  .object({
    ...common,
    type: z.enum(['http', 'sse', 'streamable-http', 'streamableHttp']).optional(),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();
const fileShape = z.object({ mcpServers: z.record(z.string(), z.unknown()) });
const serverName = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;

/** Reads and parses the servers file at `path` (YAML when it ends in .yaml/.yml). */
export async function loadServersFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServersFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new HearthError(ErrorCode.invalidConfig, `Cannot read MCP servers file ${path}`, {
      cause: error,
    });
  }
  const yaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  return parseServersFile(text, { env, format: yaml ? 'yaml' : 'json' });
}

/** Parses the text of a servers file; see the module comment for the rules. */
export function parseServersFile(
  text: string,
  options: { env?: NodeJS.ProcessEnv; format?: 'json' | 'yaml' } = {},
): ServersFile {
  let raw: unknown;
  try {
    raw = options.format === 'yaml' ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new HearthError(ErrorCode.invalidConfig, 'The MCP servers file is not valid JSON/YAML', {
      cause: error,
    });
  }
  const file = fileShape.safeParse(raw);
  if (!file.success) {
    throw new HearthError(
      ErrorCode.invalidConfig,
      'The MCP servers file needs an "mcpServers" object',
    );
  }
  const env = options.env ?? process.env;
  const result: ServersFile = { servers: [], invalid: [] };
  for (const [name, value] of Object.entries(file.data.mcpServers)) {
    try {
      result.servers.push(parseEntry(name, value, env));
    } catch (error) {
      result.invalid.push({ server: name, message: (error as Error).message });
    }
  }
  return result;
}

function parseEntry(name: string, value: unknown, env: NodeJS.ProcessEnv): ServerEntry {
  if (!serverName.test(name)) {
    throw new Error(
      'a server name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  }
  const isHttp = typeof value === 'object' && value !== null && 'url' in value;
  const parsed = (isHttp ? httpEntry : stdioEntry).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join('.') || 'entry'}: ${issue?.message ?? 'invalid'}`);
  }
  const data = parsed.data;
  const secrets: string[] = [];
  const resolve = (text: string): string => expand(text, env, secrets);
  let spec: StdioSpec | HttpSpec;
  if ('url' in data) {
    const type = data.type === 'streamableHttp' ? 'streamable-http' : data.type;
    spec = {
      kind: 'http',
      url: resolve(data.url),
      headers: mapValues(data.headers, resolve),
      type,
    };
  } else {
    spec = {
      kind: 'stdio',
      command: resolve(data.command),
      args: data.args.map(resolve),
      env: mapValues(data.env, resolve),
      cwd: data.cwd === undefined ? undefined : resolve(data.cwd),
    };
  }
  const enabled = data.enabled && data.disabled !== true;
  const entry = {
    name,
    spec,
    enabled,
    tools: { allow: data.tools.allow, deny: data.tools.deny },
    idleTimeoutMs: data.idleTimeoutMs,
    startTimeoutMs: data.startTimeoutMs,
  };
  // `enabled` is a switch, not part of how the server runs: flipping it must not count as a change.
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ ...entry, enabled: undefined }))
    .digest('hex')
    .slice(0, 16);
  return { ...entry, fingerprint, secrets: secrets.filter((value) => value.length >= 4) };
}

/** Replaces `${VAR}` with the environment's value; a missing variable invalidates the entry. */
function expand(text: string, env: NodeJS.ProcessEnv, secrets: string[]): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, variable: string) => {
    const value = env[variable];
    if (value === undefined) throw new Error(`environment variable ${variable} is not set`);
    secrets.push(value);
    return value;
  });
}

/** Replaces every secret value of `entry` in `text` (an error message) with `***`. */
export function redact(text: string, entry: Pick<ServerEntry, 'secrets'>): string {
  let result = text;
  for (const secret of entry.secrets) result = result.split(secret).join('***');
  return result;
}

function mapValues(
  record: Record<string, string>,
  fn: (value: string) => string,
): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));
}
