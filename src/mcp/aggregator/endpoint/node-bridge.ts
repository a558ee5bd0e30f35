/**
 * Serves a web-standard handler on Node's request and response. Unlike the SDK's
 * `toNodeHandler`, it sends the status and headers at once (an SSE stream announces itself
 * before its first event, so a client sees its call accepted), and the request's signal is
 * aborted when the client goes away, which is how a 2026-era call is cancelled.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toWebRequest } from '@modelcontextprotocol/node';
import type { Logger } from '../../../common/logger.ts';
import { jsonRpcError } from './responses.ts';

export async function serveOnNode(
  req: IncomingMessage,
  res: ServerResponse,
  options: { handle: (request: Request) => Promise<Response>; logger: Logger },
): Promise<void> {
  const abort = new AbortController();
  let finished = false;
  res.on('close', () => {
    if (!finished) abort.abort();
  });
  let response: Response;
  try {
    const request = await toWebRequest(req, undefined, { signal: abort.signal });
    response = await options.handle(request);
  } catch (error) {
    const tooLarge = (error as { name?: string }).name === 'RequestBodyTooLargeError';
    if (!tooLarge) options.logger.error({ err: error }, 'MCP endpoint failed');
    response = tooLarge
      ? jsonRpcError(413, -32000, 'Request body too large')
      : jsonRpcError(500, -32603, 'Internal error');
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.flushHeaders();
  if (response.body === null) {
    finished = true;
    res.end();
    return;
  }
  try {
    for await (const chunk of response.body) {
      if (abort.signal.aborted) break;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            abort.signal.removeEventListener('abort', done);
            resolve();
          };
          res.on('drain', done);
          abort.signal.addEventListener('abort', done);
        });
      }
    }
  } catch {
    // The body failed or was cancelled; end what was sent.
  }
  finished = true;
  res.end();
}
