import { z } from 'zod';
import { ErrorCode, HearthError } from '../../../common/errors.ts';
import { defineRoute, requireAdmin, type ApiRoute } from './route.ts';

/** What the REST API shows of one configured MCP server. */
export const mcpServerSchema = z.object({
  name: z.string(),
  enabled: z.boolean(),
  /** Where the switch comes from: the servers file, or an override made through this API. */
  switchedBy: z.enum(['file', 'override']),
  state: z.enum(['off', 'idle', 'starting', 'ready', 'failed']),
  transport: z.string(),
  protocolVersion: z.string().nullable(),
  tools: z.number().int(),
  lastError: z.string().nullable(),
  restarts: z.number().int(),
  startedAt: z.string().nullable(),
});
export type McpServerView = z.infer<typeof mcpServerSchema>;

/** The aggregator as the REST API needs it. */
export interface McpServersApi {
  list(): McpServerView[];
  /** Switches a server ON or OFF (kept in the database over the servers file); unknown → undefined. */
  setEnabled(name: string, enabled: boolean): Promise<McpServerView | undefined>;
  /** Drops the override so the servers file decides again. */
  clearOverride(name: string): Promise<McpServerView | undefined>;
}

const tag = 'mcp-servers';
const serverName = z.object({ name: z.string().min(1).max(128) });

/**
 * The MCP servers Hearth aggregates: their state for any token, ON/OFF for admins. A switch
 * applies at once (OFF stops the server's whole process tree and ends its running calls), is
 * kept in the database over the static servers file, and reaches every UI and process.
 * Without the MCP room the list is empty.
 */
export function mcpServerRoutes(servers: () => McpServersApi | undefined): ApiRoute[] {
  const none: McpServersApi = {
    list: () => [],
    setEnabled: () => Promise.resolve(undefined),
    clearOverride: () => Promise.resolve(undefined),
  };
  const api = {
    list: () => (servers() ?? none).list(),
    setEnabled: (name: string, enabled: boolean) => (servers() ?? none).setEnabled(name, enabled),
    clearOverride: (name: string) => (servers() ?? none).clearOverride(name),
  };
  const known = (name: string, view: McpServerView | undefined): McpServerView => {
    if (!view) throw new HearthError(ErrorCode.notFound, `No MCP server "${name}"`);
    return view;
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/mcp-servers',
      operationId: 'listMcpServers',
      summary: 'Every configured MCP server with its state',
      tag,
      response: {
        status: 200,
        description: 'The servers',
        schema: z.object({ servers: z.array(mcpServerSchema) }),
      },
      handle: () => ({ servers: api.list() }),
    }),
    defineRoute({
      method: 'GET',
      path: '/mcp-servers/:name',
      operationId: 'getMcpServer',
      summary: 'One MCP server',
      tag,
      params: serverName,
      errors: [ErrorCode.notFound],
      response: { status: 200, description: 'The server', schema: mcpServerSchema },
      handle: ({ params }) =>
        known(
          params.name,
          api.list().find((server) => server.name === params.name),
        ),
    }),
    defineRoute({
      method: 'PUT',
      path: '/mcp-servers/:name/enabled',
      operationId: 'switchMcpServer',
      summary: 'Switch an MCP server ON or OFF',
      description:
        'Overrides the servers file until the override is deleted. OFF stops the server (its whole process tree) and fails its running calls; ON makes it available again, started on first use.',
      tag,
      access: 'admin',
      params: serverName,
      body: z.object({ enabled: z.boolean() }),
      errors: [ErrorCode.notFound],
      response: {
        status: 200,
        description: 'The server after the switch',
        schema: mcpServerSchema,
      },
      handle: async ({ params, body, principal }) => {
        requireAdmin(principal);
        return known(params.name, await api.setEnabled(params.name, body.enabled));
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/mcp-servers/:name/enabled',
      operationId: 'clearMcpServerSwitch',
      summary: "Drop the switch made through the API: the servers file's `enabled` applies again",
      tag,
      access: 'admin',
      params: serverName,
      errors: [ErrorCode.notFound],
      response: { status: 200, description: 'The server', schema: mcpServerSchema },
      handle: async ({ params, principal }) => {
        requireAdmin(principal);
        return known(params.name, await api.clearOverride(params.name));
      },
    }),
  ];
}
