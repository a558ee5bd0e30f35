/**
 * Names in the merged catalogue. The rule, stable across restarts and processes:
 *
 * 1. A tool (or prompt) `t` of server `s` is named `s__t` when that is already valid
 *    (`^[a-zA-Z0-9_-]{1,64}$`), `s` has no `__` and does not start or end with `_` (so the
 *    first `__` always splits server from tool).
 * 2. Otherwise every character outside `[a-zA-Z0-9_-]` becomes `_`, the result is cut to 55
 *    characters, and `_` plus 8 hex characters of SHA-256(`s/t`) are appended.
 * 3. Should two tools still land on one name (a hash collision, or a crafted name mimicking
 *    rule 2), `NameTable` gives the later one 16 hex characters instead of 8.
 *
 * The table maps each name back to (server, original name).
 *
 * Resource URIs are namespaced as `mcp-upstream://<encodeURIComponent(server)>/<original uri>`;
 * `splitResourceUri` reverses it.
 */
import { createHash } from 'node:crypto';

const valid = /^[a-zA-Z0-9_-]{1,64}$/;
const cleanServer = /^[a-zA-Z0-9-]+(?:_[a-zA-Z0-9-]+)*$/;
const maxPrefix = 55;

/** The catalogue name of `tool` on `server` by rules 1 and 2 (see the module comment). */
export function qualifiedName(server: string, tool: string, hashLength = 8): string {
  const plain = `${server}__${tool}`;
  if (hashLength === 8 && valid.test(plain) && cleanServer.test(server)) return plain;
  const prefix = plain.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, maxPrefix + 8 - hashLength);
  return `${prefix}_${digest(`${server}/${tool}`, hashLength)}`;
}

export interface NameOrigin {
  server: string;
  original: string;
}

/** Assigns catalogue names for one kind (tools or prompts) and maps them back (rule 3). */
export class NameTable {
  readonly #byName = new Map<string, NameOrigin>();

  /** The name for (server, original), registering it; the same pair always gets the same name. */
  add(server: string, original: string): string {
    for (const length of [8, 16]) {
      const name = qualifiedName(server, original, length);
      const taken = this.#byName.get(name);
      if (!taken) {
        this.#byName.set(name, { server, original });
        return name;
      }
      if (taken.server === server && taken.original === original) return name;
    }
    // 64 bits of SHA-256 colliding on one household's catalogue: give up on this tool.
    throw new Error(`Cannot name ${server}/${original} without a collision`);
  }

  resolve(name: string): NameOrigin | undefined {
    return this.#byName.get(name);
  }
}

const scheme = 'mcp-upstream://';

/** Namespaces an upstream resource URI with its server (reversible, see the module comment). */
export function qualifiedResourceUri(server: string, uri: string): string {
  return `${scheme}${encodeURIComponent(server)}/${uri}`;
}

/** Reverses `qualifiedResourceUri`; undefined for a URI that is not one of ours. */
export function splitResourceUri(uri: string): { server: string; uri: string } | undefined {
  if (!uri.startsWith(scheme)) return undefined;
  const rest = uri.slice(scheme.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  try {
    return { server: decodeURIComponent(rest.slice(0, slash)), uri: rest.slice(slash + 1) };
  } catch {
    return undefined;
  }
}

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Whether `name` passes the allow/deny globs (`*` any run, `?` one character). */
export function allowedByFilter(
  name: string,
  filter: { allow?: readonly string[] | undefined; deny?: readonly string[] | undefined },
): boolean {
  if (filter.allow && !filter.allow.some((glob) => globToRegExp(glob).test(name))) return false;
  return !filter.deny?.some((glob) => globToRegExp(glob).test(name));
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((char) =>
      char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${body}$`);
}
