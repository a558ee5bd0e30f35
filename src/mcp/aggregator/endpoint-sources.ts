/**
 * The aggregator as what the `/mcp` endpoint serves (its `McpSource`): `mergedSource` is the
 * whole catalogue under merged names, `serverSource` one upstream alone with its own names
 * (for `/mcp/<server>`). Unknown names reject with `McpNotFoundError`; a tool whose server is
 * off, failed or unreachable answers with an `isError` result the client's model can read.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import type { McpAggregator } from './aggregator.ts';
import { McpNotFoundError, type McpListKind, type McpSource } from './endpoint/source.ts';
import { allowedByFilter, qualifiedResourceUri, splitResourceUri } from './tool-names.ts';

const allKinds: McpListKind[] = ['tools', 'prompts', 'resources'];

/**
 * The merged catalogue. Listing never waits for servers that were never started: it answers
 * with what is known and starts discovering the rest in the background; their tools arrive
 * with a list_changed.
 */
export function mergedSource(aggregator: McpAggregator): McpSource {
  let discovering = false;
  const discoverInBackground = (): void => {
    if (discovering) return;
    discovering = true;
    void aggregator
      .discover()
      .catch(() => undefined)
      .finally(() => {
        discovering = false;
      });
  };
  return {
    listTools: () => {
      discoverInBackground();
      return Promise.resolve(
        aggregator.tools().map((tool) => ({
          name: tool.name,
          title: tool.title,
          description: tool.description,
          inputSchema: tool.inputSchema as { type: 'object' },
          ...(tool.outputSchema ? { outputSchema: tool.outputSchema as { type: 'object' } } : {}),
          ...(tool.annotations ? { annotations: tool.annotations } : {}),
        })),
      );
    },
    callTool: (name, args, options) =>
      asToolResult('tool', name, () => aggregator.callTool(name, args, options)),
    listPrompts: () =>
      Promise.resolve(
        aggregator.prompts().map((prompt) => ({
          name: prompt.name,
          description: prompt.description,
          arguments: prompt.arguments,
        })),
      ),
    getPrompt: (name, args, options) =>
      notFoundAs('prompt', name, () => aggregator.getPrompt(name, args, options)),
    listResources: () =>
      Promise.resolve(
        aggregator.resources().map((resource) => ({
          uri: resource.uri,
          name: resource.name,
          description: resource.description,
          mimeType: resource.mimeType,
        })),
      ),
    readResource: async (uri, options) => {
      const result = await notFoundAs('resource', uri, () => aggregator.readResource(uri, options));
      // Contents carry namespaced URIs too, so the client can read each of them again.
      const server = splitResourceUri(uri)?.server ?? '';
      return {
        ...result,
        contents: result.contents.map((content) => ({
          ...content,
          uri: qualifiedResourceUri(server, content.uri),
        })),
      };
    },
    onListChanged: (listener) =>
      aggregator.onChange(() => allKinds.forEach((kind) => listener(kind))),
  };
}

/** One upstream alone, unprefixed (still filtered by its allow/deny globs). */
export function serverSource(aggregator: McpAggregator, server: string): McpSource {
  const upstream = () => {
    const found = aggregator.upstream(server);
    if (!found) throw new HearthError(ErrorCode.notFound, `Unknown MCP server ${server}`);
    return found;
  };
  const listed = async () => {
    const current = upstream();
    if (!current.listed) await current.ensureListed();
    return current.catalogue();
  };
  const allowed = (name: string) => allowedByFilter(name, upstream().entry.tools);
  return {
    listTools: async () => (await listed()).tools.filter((tool) => allowed(tool.name)),
    callTool: (name, args, options) =>
      asToolResult('tool', name, () => {
        if (!allowed(name)) throw new HearthError(ErrorCode.notFound, `Unknown MCP tool ${name}`);
        return upstream().callTool(name, args, options);
      }),
    listPrompts: async () => (await listed()).prompts,
    getPrompt: (name, args, options) =>
      notFoundAs('prompt', name, () => upstream().getPrompt(name, args, options)),
    listResources: async () => (await listed()).resources,
    readResource: (uri, options) =>
      notFoundAs('resource', uri, () => upstream().readResource(uri, options)),
    onListChanged: (listener) =>
      aggregator.onChange((event) => {
        if (event.server === server || event.server === '*')
          allKinds.forEach((kind) => listener(kind));
      }),
  };
}

async function notFoundAs<T>(
  kind: 'tool' | 'prompt' | 'resource',
  key: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof HearthError && error.code === ErrorCode.notFound)
      throw new McpNotFoundError(kind, key);
    throw error;
  }
}

async function asToolResult(
  kind: 'tool',
  name: string,
  run: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  try {
    return await notFoundAs(kind, name, run);
  } catch (error) {
    if (error instanceof HearthError && error.code === ErrorCode.unavailable) {
      return { content: [{ type: 'text', text: error.message }], isError: true };
    }
    throw error;
  }
}
