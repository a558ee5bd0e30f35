/**
 * Serves a web-standard handler on Node's request and response. Unlike the SDK's
 * `toNodeHandler`, it sends the status and headers at once (an SSE stream announces itself
 * before its first event, so a client sees its call accepted), and the request's signal is
 * aborted when the client goes away, which is how a 2026-era call is cancelled.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../../common/logger.ts';
import { jsonRpcError } from './responses.ts';

/** The largest request body read (the SDK's own default, 4 MiB). */
export const maxBodyBytes = 4 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  constructor() {
    super(`Request body over ${maxBodyBytes} bytes`);
    this.name = 'RequestBodyTooLargeError';
  }
}

/** Reads a request's body as text, refusing more than {@link maxBodyBytes}. */
export function readBody(req: IncomingMessage): Promise<string> {
  if (Number(req.headers['content-length']) > maxBodyBytes)
    return Promise.reject(new BodyTooLargeError());
  // Plain events rather than an async iterator: this is on every call's path.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      if (size <= maxBodyBytes) chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      if (size > maxBodyBytes) reject(new BodyTooLargeError());
      else
        resolve(
          chunks.length === 1
            ? chunks[0]!.toString('utf8')
            : Buffer.concat(chunks).toString('utf8'),
        );
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** The web-standard request for `req`, whose body (if any) was already read as `body`. */
function webRequest(req: IncomingMessage, body: string | undefined, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
  const method = req.method ?? 'GET';
  const withBody = body !== undefined && body.length > 0 && method !== 'GET' && method !== 'HEAD';
  return new Request(url, { method, headers, signal, ...(withBody ? { body } : {}) });
}

/**
 * Answers `req` with `handle`'s response. `body` is the request's body when the caller has
 * read it already (a POST); otherwise it is read here.
 */
export async function serveOnNode(
  req: IncomingMessage,
  res: ServerResponse,
  options: {
    handle: (request: Request) => Promise<Response>;
    logger: Logger;
    body?: string | undefined;
  },
): Promise<void> {
  const abort = new AbortController();
  let finished = false;
  res.on('close', () => {
    if (!finished) abort.abort();
  });
  let response: Response;
  try {
    const method = req.method ?? 'GET';
    const body =
      options.body ?? (method === 'GET' || method === 'HEAD' ? undefined : await readBody(req));
    const request = webRequest(req, body, abort.signal);
    response = await options.handle(request);
  } catch (error) {
    response = bodyError(error, options.logger);
  }
  await answer(res, response, abort.signal, () => {
    finished = true;
  });
}

/** The answer to a request that failed before a handler had it (413, or a logged 500). */
export function bodyError(error: unknown, logger: Logger): Response {
  if (error instanceof BodyTooLargeError)
    return jsonRpcError(413, -32000, 'Request body too large');
  logger.error({ err: error }, 'MCP endpoint failed');
  return jsonRpcError(500, -32603, 'Internal error');
}

/**
 * Writes `response` to `res`: status and headers at once, then the body as it comes until it
 * ends or `signal` (the client went away) aborts. `finished` runs just before the end.
 */
export async function answer(
  res: ServerResponse,
  response: Response,
  signal?: AbortSignal,
  finished: () => void = () => undefined,
): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.flushHeaders();
  if (response.body === null) {
    finished();
    res.end();
    return;
  }
  try {
    for await (const chunk of response.body) {
      if (signal?.aborted) break;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            signal?.removeEventListener('abort', done);
            resolve();
          };
          res.on('drain', done);
          signal?.addEventListener('abort', done);
        });
      }
    }
  } catch {
    // The body failed or was cancelled; end what was sent.
  }
  finished();
  res.end();
}
