/**
 * Opens one MCP client connection to an upstream server: picks the transport (stdio through
 * `ProcessTreeTransport`; for HTTP, Streamable HTTP first and legacy SSE as fallback) and the
 * protocol era (the SDK's `auto` negotiation: 2026-07-28 when the server speaks it, else the
 * 2025 `initialize`). The outcome is a `ConnectVerdict`, cached by the caller so the next
 * connect goes straight to the right transport and era without probing.
 */
import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type DiscoverResult,
  type Transport,
} from '@modelcontextprotocol/client';
import { httpToolCaller, type HttpToolCaller } from './http-tool-call.ts';
import type { ServerEntry } from './servers-file.ts';
import { ProcessTreeTransport } from './stdio-process.ts';

export type TransportKind = 'stdio' | 'streamable-http' | 'sse';

/** How a server was last reached; stored in `mcp_server_catalogues.protocol_era` as JSON. */
export interface ConnectVerdict {
  transport: TransportKind;
  era: 'modern' | 'legacy';
  /** The negotiated protocol version, e.g. `2026-07-28` or `2025-11-25`. */
  version?: string | undefined;
  /** A modern server's discover result: the next connect adopts it with no round trip. */
  discover?: DiscoverResult | undefined;
}

export interface Connection {
  client: Client;
  verdict: ConnectVerdict;
  /** The stdio server's pid (its process group), if any. */
  pid: number | undefined;
  /** Whether the underlying process is alive (always true for HTTP). */
  alive(): boolean;
  /** `tools/call` without the SDK client's overhead (2025-era Streamable HTTP sessions). */
  callTool?: HttpToolCaller | undefined;
}

export interface ConnectOptions {
  entry: ServerEntry;
  prior: ConnectVerdict | undefined;
  /** Fired when the server says its tools, prompts or resources changed. */
  onListChanged: () => void;
  /** Fired once when the connection closes for any reason. */
  onClose: () => void;
  onStderr?: ((line: string) => void) | undefined;
}

/** Connects, trying the cached verdict first; throws when the server cannot be reached. */
export async function connectUpstream(options: ConnectOptions): Promise<Connection> {
  const { entry } = options;
  const spec = entry.spec;
  if (spec.kind === 'stdio') {
    const transport = new ProcessTreeTransport({
      command: spec.command,
      args: spec.args,
      env: { ...inheritedEnv(), ...spec.env },
      cwd: spec.cwd,
    });
    transport.onstderr = options.onStderr;
    const connection = await open(options, transport, 'stdio');
    return { ...connection, pid: transport.pid, alive: () => transport.alive };
  }
  const url = new URL(spec.url);
  const requestInit = { headers: spec.headers };
  const forced =
    spec.type === 'sse'
      ? 'sse'
      : spec.type === undefined
        ? options.prior?.transport
        : 'streamable-http';
  const order: TransportKind[] = forced ? [forced] : ['streamable-http', 'sse'];
  let lastError: unknown;
  for (const kind of order) {
    const transport =
      kind === 'sse'
        ? new SSEClientTransport(url, {
            requestInit,
            eventSourceInit: { fetch: withHeaders(spec.headers) },
          })
        : new StreamableHTTPClientTransport(url, { requestInit });
    try {
      const connection = await open(options, transport, kind);
      const fast =
        transport instanceof StreamableHTTPClientTransport
          ? httpToolCaller(connection.client, transport, url, spec.headers)
          : undefined;
      if (fast) {
        const onclose = connection.client.onclose;
        connection.client.onclose = () => {
          fast.close();
          onclose?.();
        };
      }
      return { ...connection, pid: undefined, alive: () => true, callTool: fast?.call };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function open(
  options: ConnectOptions,
  transport: Transport,
  kind: TransportKind,
): Promise<{ client: Client; verdict: ConnectVerdict }> {
  const changed = { debounceMs: 0, autoRefresh: false, onChanged: () => options.onListChanged() };
  const client = new Client(
    { name: 'hearth', version: '1.0.0' },
    {
      versionNegotiation: { mode: 'auto' },
      listChanged: { tools: changed, prompts: changed, resources: changed },
    },
  );
  let closed = false;
  client.onclose = () => {
    if (closed) return;
    closed = true;
    options.onClose();
  };
  const prior = options.prior?.transport === kind ? options.prior : undefined;
  try {
    await client.connect(transport, {
      timeout: options.entry.startTimeoutMs,
      prior:
        prior === undefined
          ? undefined
          : prior.era === 'modern' && prior.discover
            ? { kind: 'modern', discover: prior.discover }
            : prior.era === 'legacy'
              ? { kind: 'legacy' }
              : undefined,
    });
  } catch (error) {
    closed = true;
    await transport.close().catch(() => undefined);
    throw error;
  }
  const era = client.getProtocolEra() === 'modern' ? 'modern' : 'legacy';
  return {
    client,
    verdict: {
      transport: kind,
      era,
      version: client.getNegotiatedProtocolVersion(),
      discover: era === 'modern' ? client.getDiscoverResult() : undefined,
    },
  };
}

/** What a stdio server inherits besides its own `env`: enough to find and run its binary. */
function inheritedEnv(): Record<string, string> {
  const names = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'TMPDIR', 'NODE_PATH'];
  const result: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) result[name] = value;
  }
  return result;
}

/** The SSE stream request carries the configured headers too (tokens for LAN servers). */
function withHeaders(headers: Record<string, string>): typeof fetch {
  return (input, init) => {
    const merged = new Headers(init?.headers);
    for (const [key, value] of Object.entries(headers)) merged.set(key, value);
    return fetch(input, { ...init, headers: merged });
  };
}
