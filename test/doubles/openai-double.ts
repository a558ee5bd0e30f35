/**
 * A local stand-in for the OpenAI Chat Completions API (`POST /v1/chat/completions`, streaming
 * only) on 127.0.0.1, speaking the SSE wire format of /work/shared/reference/provider-streams.md
 * byte for byte, so that tests drive the real `openai` SDK over a real socket.
 *
 * @example
 * await using double = await startOpenAIDouble({ apiKey: 'sk-test' });
 * double.enqueue({ type: 'text', chunks: ['Hi', '!'] }, httpError(429, { 'retry-after': '3' }));
 * double.enqueue({ type: 'tool-calls', calls: [{ id: 'call_1', name: 'f', arguments: '{}' }] });
 * const client = new OpenAI({ baseURL: double.baseURL, apiKey: 'sk-test' });
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
  openAIError,
  replyEvents,
  type OpenAIErrorObject,
  type ScriptedReply,
  openAIGate,
} from './openai-wire.ts';

export * from './openai-wire.ts';

export type OpenAIDouble = ProviderDouble<ScriptedReply>;
export type { RecordedRequest };

export interface OpenAIDoubleOptions {
  /** When set, any request without `authorization: Bearer <apiKey>` gets a 401 invalid_api_key. */
  apiKey?: string;
}

/** Starts a double on 127.0.0.1 with an OS-chosen port. Dispose it (or `close()`) when done. */
export async function startOpenAIDouble(options: OpenAIDoubleOptions = {}): Promise<OpenAIDouble> {
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

    const refused = openAIGate(
      { method: req.method, url: req.url, authorization: req.headers.authorization },
      { path: '/v1/chat/completions', apiKey: options.apiKey },
    );
    if (refused) return sendError(res, refused.status, refused.error);
    if (typeof body?.model !== 'string' || !Array.isArray(body.messages) || body.stream !== true) {
      const message = 'This double needs model, messages and stream: true.';
      return sendError(res, 400, openAIError(message, 'invalid_request_error'));
    }

    const reply = queue.shift() ?? echoReply(body);
    if (reply.type === 'hang') return;
    if (reply.type === 'http-error') {
      return sendError(res, reply.status, reply.error, reply.headers);
    }

    const closed = new AbortController();
    const cutByServer = reply.type !== 'mid-stream-error' && reply.cut === 'reset';
    res.on('close', () => {
      closed.abort();
      if (!res.writableFinished && !cutByServer) earlyCloses.note();
    });
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-request-id': `req_${nextId}`,
    });
    const events = replyEvents(reply, body, `chatcmpl-double${nextId++}`);
    for (const [index, event] of events.entries()) {
      if (index > 0 && reply.delayMs) {
        await sleep(reply.delayMs, undefined, { signal: closed.signal }).catch(() => undefined);
      }
      if (closed.signal.aborted) return;
      const data = `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`;
      // Waiting for the flush keeps a later reset from swallowing what was already written.
      await new Promise((resolve) => res.write(data, resolve));
    }
    if (cutByServer) res.destroy();
    else res.end();
  };
  const { port, close } = await listenOnLoopback(handle);

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
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
  status: number,
  error: OpenAIErrorObject,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error }));
}
