/**
 * Builds the low-level MCP `Server` that answers one client (a 2025-era session or one
 * 2026-07-28 request) from an {@link McpSource}: paginated lists, calls with progress and
 * cancellation, prompts, resources and completions. Errors are translated once, here: unknown
 * names become -32602, upstream protocol errors pass through, anything else is logged and
 * answered as a short internal error.
 */
import {
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  Server,
  type ServerCapabilities,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../../common/logger.ts';
import { paginate } from './paginate.ts';
import { McpNotFoundError, type McpProgress, type McpSource } from './source.ts';

export interface SourceServerOptions {
  /** Shown to clients as `serverInfo.name`. */
  name: string;
  version: string;
  pageSize: number;
  logger: Logger;
}

/** Turns what a source threw into what the client is told (see the module comment). */
export function translate(error: unknown, signal: AbortSignal, logger: Logger): unknown {
  if (error instanceof McpNotFoundError) {
    return error.kind === 'resource'
      ? new ResourceNotFoundError(error.key)
      : new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
  }
  if (error instanceof ProtocolError || signal.aborted) return error;
  logger.error({ err: error }, 'MCP source failed');
  return new ProtocolError(ProtocolErrorCode.InternalError, 'Internal error');
}

async function guarded<T>(ctx: ServerContext, logger: Logger, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw translate(error, ctx.mcpReq.signal, logger);
  }
}

/**
 * Forwards the source's progress to the client when it sent a progress token. `flush` waits
 * for every notification sent so far, so none is overtaken by the call's result.
 */
function progressSender(ctx: ServerContext): {
  onProgress?: (p: McpProgress) => void;
  flush: () => Promise<void>;
} {
  const token = ctx.mcpReq._meta?.progressToken;
  if (token === undefined) return { flush: () => Promise.resolve() };
  let sent: Promise<void> = Promise.resolve();
  const onProgress = (p: McpProgress): void => {
    const params = {
      progressToken: token,
      progress: p.progress,
      ...(p.total === undefined ? {} : { total: p.total }),
      ...(p.message === undefined ? {} : { message: p.message }),
    };
    // A notification that cannot be delivered (client gone) must not fail the call.
    sent = sent
      .then(() => ctx.mcpReq.notify({ method: 'notifications/progress', params }))
      .catch(() => undefined);
  };
  return { onProgress, flush: () => sent };
}

function capabilities(source: McpSource): ServerCapabilities {
  return {
    tools: { listChanged: true },
    prompts: { listChanged: true },
    resources: { listChanged: true },
    logging: {},
    ...(source.complete ? { completions: {} } : {}),
  };
}

/** A fresh `Server` wired to `source`; connect it to one transport. */
export function createSourceServer(source: McpSource, options: SourceServerOptions): Server {
  const { pageSize, logger } = options;
  const server = new Server(
    { name: options.name, version: options.version },
    { capabilities: capabilities(source) },
  );
  server.setRequestHandler('tools/list', (request, ctx) =>
    guarded(ctx, logger, async () => {
      const { page, nextCursor } = paginate(
        await source.listTools(),
        request.params?.cursor,
        pageSize,
      );
      return nextCursor === undefined ? { tools: page } : { tools: page, nextCursor };
    }),
  );
  server.setRequestHandler('tools/call', (request, ctx) =>
    guarded(ctx, logger, async () => {
      const { onProgress, flush } = progressSender(ctx);
      const args = request.params.arguments ?? {};
      const result = await source.callTool(request.params.name, args, {
        signal: ctx.mcpReq.signal,
        ...(onProgress ? { onProgress } : {}),
      });
      await flush();
      return result;
    }),
  );
  server.setRequestHandler('prompts/list', (request, ctx) =>
    guarded(ctx, logger, async () => {
      const { page, nextCursor } = paginate(
        await source.listPrompts(),
        request.params?.cursor,
        pageSize,
      );
      return nextCursor === undefined ? { prompts: page } : { prompts: page, nextCursor };
    }),
  );
  server.setRequestHandler('prompts/get', (request, ctx) =>
    guarded(ctx, logger, () =>
      source.getPrompt(request.params.name, request.params.arguments ?? {}, {
        signal: ctx.mcpReq.signal,
      }),
    ),
  );
  server.setRequestHandler('resources/list', (request, ctx) =>
    guarded(ctx, logger, async () => {
      const all = await source.listResources();
      const { page, nextCursor } = paginate(all, request.params?.cursor, pageSize);
      return nextCursor === undefined ? { resources: page } : { resources: page, nextCursor };
    }),
  );
  server.setRequestHandler('resources/templates/list', (request, ctx) =>
    guarded(ctx, logger, async () => {
      const all = (await source.listResourceTemplates?.()) ?? [];
      const { page, nextCursor } = paginate(all, request.params?.cursor, pageSize);
      return nextCursor === undefined
        ? { resourceTemplates: page }
        : { resourceTemplates: page, nextCursor };
    }),
  );
  server.setRequestHandler('resources/read', (request, ctx) =>
    guarded(ctx, logger, () =>
      source.readResource(request.params.uri, { signal: ctx.mcpReq.signal }),
    ),
  );
  const complete = source.complete?.bind(source);
  if (complete) {
    server.setRequestHandler('completion/complete', (request, ctx) =>
      guarded(ctx, logger, () => complete(request.params, { signal: ctx.mcpReq.signal })),
    );
  }
  return server;
}
