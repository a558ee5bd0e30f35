/**
 * A local stand-in for the Anthropic Messages API (`POST /v1/messages`, streaming only) on
 * 127.0.0.1, speaking its SSE wire format byte for byte (`event: <type>\ndata: <json>\n\n`,
 * pings included), so that tests drive the real `@anthropic-ai/sdk` over a real socket.
 *
 * @example
 * await using double = await startAnthropicDouble({ apiKey: 'sk-ant-test' });
 * double.enqueue({ type: 'message', blocks: [text('Hi', '!')] }, httpError(529));
 * const client = new Anthropic({ baseURL: double.baseURL, apiKey: 'sk-ant-test' });
 */
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EarlyCloses,
  listenOnLoopback,
  readJsonBody,
  recordRequest,
  type ProviderDouble,
  type RecordedRequest,
} from './http-double.ts';
import {
  echoReply,
  invalidRequest,
  replyEvents,
  type AnthropicErrorObject,
  type ScriptedReply,
} from './anthropic-wire.ts';

export * from './anthropic-wire.ts';

export type AnthropicDouble = ProviderDouble<ScriptedReply>;
export type { RecordedRequest };

export interface AnthropicDoubleOptions {
  /**
   * When set, a request must carry this key, as `x-api-key` or as `authorization: Bearer`
   * (which `@anthropic-ai/sdk` 1.x sends), or it gets a 401 authentication_error.
   */
  apiKey?: string;
}

/** Starts a double on 127.0.0.1 with an OS-chosen port. Dispose it (or `close()`) when done. */
export async function startAnthropicDouble(
  options: AnthropicDoubleOptions = {},
): Promise<AnthropicDouble> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedReply[] = [];
  const earlyCloses = new EarlyCloses();
  let nextId = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJsonBody(req);
    recordRequest(requests, {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
    });
    const requestId = `req_double${nextId++}`;
    const fail = (status: number, type: string, message: string): void =>
      sendError(res, requestId, status, { type, message });

    if (req.method !== 'POST' || req.url !== '/v1/messages') {
      return fail(404, 'not_found_error', `Not found: ${req.method} ${req.url}`);
    }
    if (options.apiKey !== undefined) {
      const bearer = req.headers.authorization?.replace(/^Bearer /, '');
      if (req.headers['x-api-key'] !== options.apiKey && bearer !== options.apiKey) {
        return fail(401, 'authentication_error', 'invalid x-api-key');
      }
    }
    if (!req.headers['anthropic-version']) {
      return fail(400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    const invalid = invalidRequest(body);
    if (invalid !== undefined) return fail(400, 'invalid_request_error', invalid);

    const reply = queue.shift() ?? echoReply(body);
    if (reply.type === 'hang') return;
    if (reply.type === 'http-error') {
      return sendError(res, requestId, reply.status, reply.error, reply.headers);
    }

    const closed = new AbortController();
    const cutByServer = reply.type === 'message' && reply.cut === 'reset';
    res.on('close', () => {
      closed.abort();
      if (!res.writableFinished && !cutByServer) earlyCloses.note();
    });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'request-id': requestId,
    });
    const events = replyEvents(reply, body, `msg_double${nextId}`);
    for (const [index, event] of events.entries()) {
      if (index > 0 && reply.delayMs) {
        await sleep(reply.delayMs, undefined, { signal: closed.signal }).catch(() => undefined);
      }
      if (closed.signal.aborted) return;
      const data = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
      // Waiting for the flush keeps a later reset from swallowing what was already written.
      await new Promise((resolve) => res.write(data, resolve));
    }
    if (cutByServer) res.destroy();
    else res.end();
  };
  const { port, close } = await listenOnLoopback(handle);

  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    get closedEarly() {
      return earlyCloses.count;
    },
    enqueue: (...replies) => void queue.push(...replies),
    clientClosedEarly: () => earlyCloses.next(),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function sendError(
  res: ServerResponse,
  requestId: string,
  status: number,
  error: AnthropicErrorObject,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'request-id': requestId,
    ...headers,
  });
  res.end(JSON.stringify({ type: 'error', error }));
}
