/**
 * An {@link McpSource} backed by an MCP `Client` connected to one upstream server (stdio here),
 * unprefixed, as the aggregator's per-server source will be. Used by the endpoint and
 * conformance tests until the aggregator's own source replaces it.
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type {
  McpCallOptions,
  McpListKind,
  McpSource,
} from '../../../src/mcp/aggregator/endpoint/source.ts';

const callTimeoutMs = 10 * 60_000;

export interface ClientSource extends McpSource, AsyncDisposable {
  readonly client: Client;
  close(): Promise<void>;
}

/** Spawns `command args` and serves its tools, prompts and resources as a source. */
export async function connectStdioSource(params: {
  command: string;
  args: string[];
  cwd?: string;
}): Promise<ClientSource> {
  const client = new Client(
    { name: 'hearth-test-client-source', version: '1.0.0' },
    { capabilities: {} },
  );
  const listeners = new Set<(what: McpListKind) => void>();
  const emit = (what: McpListKind) => () => {
    for (const listener of listeners) listener(what);
  };
  client.setNotificationHandler('notifications/tools/list_changed', emit('tools'));
  client.setNotificationHandler('notifications/prompts/list_changed', emit('prompts'));
  client.setNotificationHandler('notifications/resources/list_changed', emit('resources'));
  // The SDK drops a progress notification that arrives together with the response (its
  // notification dispatch is a microtask later than the response's); track tokens ourselves.
  const progress = new Map<string, NonNullable<McpCallOptions['onProgress']>>();
  let nextToken = 0;
  client.setNotificationHandler('notifications/progress', (notification) => {
    const { progressToken, progress: value, total, message } = notification.params;
    progress.get(String(progressToken))?.({
      progress: value,
      ...(total === undefined ? {} : { total }),
      ...(message === undefined ? {} : { message }),
    });
  });
  const transport = new StdioClientTransport({
    command: params.command,
    args: params.args,
    ...(params.cwd === undefined ? {} : { cwd: params.cwd }),
    stderr: 'inherit',
  });
  await client.connect(transport);
  const close = () => client.close();
  return {
    client,
    listTools: async () => (await client.listTools()).tools,
    callTool: async (name, args, options) => {
      const onProgress = options.onProgress;
      if (!onProgress) {
        return client.callTool(
          { name, arguments: args },
          { signal: options.signal, timeout: callTimeoutMs },
        );
      }
      const token = `hearth-${(nextToken += 1)}`;
      progress.set(token, onProgress);
      try {
        return await client.callTool(
          { name, arguments: args, _meta: { progressToken: token } },
          { signal: options.signal, timeout: callTimeoutMs },
        );
      } finally {
        // Notifications that arrived with the response are dispatched a tick later.
        await new Promise((resolve) => setImmediate(resolve));
        progress.delete(token);
      }
    },
    listPrompts: async () => (await client.listPrompts()).prompts,
    getPrompt: (name, args, options) =>
      client.getPrompt({ name, arguments: args }, { signal: options.signal }),
    listResources: async () => (await client.listResources()).resources,
    listResourceTemplates: async () => (await client.listResourceTemplates()).resourceTemplates,
    readResource: (uri, options) => client.readResource({ uri }, { signal: options.signal }),
    complete: (params, options) => client.complete(params, { signal: options.signal }),
    onListChanged: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
