/**
 * A local stand-in for Ollama's HTTP API on 127.0.0.1: `POST /api/chat` (NDJSON stream, or one
 * JSON object with `stream:false`), `GET /api/tags`, `GET /api/version` and `GET /`, written
 * the way Ollama's Go server writes them, so that tests drive the real `ollama` package over a
 * real socket.
 *
 * @example
 * await using double = await startOllamaDouble({ models: ['llama3.2:latest'] });
 * double.enqueue({ type: 'text', chunks: ['Hi', '!'] }, httpError(429, { 'retry-after': '3' }));
 * const client = new Ollama({ host: double.baseURL });
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
  foldLines,
  modelNotFound,
  replyLines,
  tagEntry,
  type ScriptedReply,
} from './ollama-wire.ts';

export * from './ollama-wire.ts';

export type OllamaDouble = ProviderDouble<ScriptedReply>;
export type { RecordedRequest };

export interface OllamaDoubleOptions {
  /**
   * Installed models, listed by `/api/tags`; a chat naming another model gets Ollama's 404.
   * A name without a tag means `:latest`, as in Ollama. Default `llama3.2:latest`, `qwen3:0.6b`.
   */
  models?: readonly string[];
  /**
   * When set, every request without `authorization: Bearer <apiKey>` gets a 401, as from a
   * proxy in front of Ollama (Ollama itself checks no key).
   */
  apiKey?: string;
  /** What `/api/version` reports. Default `0.12.6`. */
  version?: string;
}

const withTag = (name: string) => (name.includes(':') ? name : `${name}:latest`);

/** Starts a double on 127.0.0.1 with an OS-chosen port. Dispose it (or `close()`) when done. */
export async function startOllamaDouble(options: OllamaDoubleOptions = {}): Promise<OllamaDouble> {
  const models = (options.models ?? ['llama3.2:latest', 'qwen3:0.6b']).map(withTag);
  const requests: RecordedRequest[] = [];
  const queue: ScriptedReply[] = [];
  const earlyCloses = new EarlyCloses();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJsonBody(req);
    const route = `${req.method} ${req.url}`;
    recordRequest(requests, {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
    });

    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJSON(res, 401, { error: 'unauthorized' });
    }
    if (route === 'GET /' || route === 'HEAD /') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('Ollama is running');
    }
    if (route === 'GET /api/version') {
      return sendJSON(res, 200, { version: options.version ?? '0.12.6' });
    }
    if (route === 'GET /api/tags') {
      return sendJSON(res, 200, { models: models.map(tagEntry) });
    }
    if (route !== 'POST /api/chat') {
      // gin's default for an unknown route (or method), as plain text.
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('404 page not found');
    }

    const problem = chatProblem(body);
    if (problem) return sendJSON(res, 400, { error: problem });
    if (!models.includes(withTag(body.model))) {
      return sendJSON(res, 404, { error: modelNotFound(body.model) });
    }
    const reply = queue.shift() ?? echoReply(body);
    if (reply.type === 'hang') return;
    if (reply.type === 'http-error') {
      return sendJSON(res, reply.status, { error: reply.error }, reply.headers);
    }
    const lines = replyLines(reply, body);
    if (body.stream === false) return sendJSON(res, 200, foldLines(lines));

    const closed = new AbortController();
    const cutByServer = reply.type === 'text' && reply.cut === 'reset';
    res.on('close', () => {
      closed.abort();
      if (!res.writableFinished && !cutByServer) earlyCloses.note();
    });
    res.writeHead(200, { 'content-type': 'application/x-ndjson', date: new Date().toUTCString() });
    for (const [index, line] of lines.entries()) {
      if (index > 0 && reply.delayMs) {
        await sleep(reply.delayMs, undefined, { signal: closed.signal }).catch(() => undefined);
      }
      if (closed.signal.aborted) return;
      // Waiting for the flush keeps a later reset from swallowing what was already written.
      await new Promise((resolve) => res.write(`${JSON.stringify(line)}\n`, resolve));
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

/**
 * What Ollama's request binding would reject, in words close to its own: no body, no model,
 * or tool call arguments that are not a JSON object (Ollama decodes them into a map).
 */
function chatProblem(body: any): string | undefined {
  if (body === undefined) return 'missing request body';
  if (typeof body.model !== 'string' || body.model === '') return 'model is required';
  if (!Array.isArray(body.messages)) return 'json: cannot unmarshal messages into []api.Message';
  for (const message of body.messages) {
    for (const call of message?.tool_calls ?? []) {
      const args = call?.function?.arguments;
      if (args === null || typeof args !== 'object' || Array.isArray(args)) {
        const kind = Array.isArray(args) ? 'array' : typeof args;
        return `json: cannot unmarshal ${kind} into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type map[string]interface {}`;
      }
    }
  }
  return undefined;
}

/** Writes a JSON body the way gin's `c.JSON` does. */
function sendJSON(
  res: ServerResponse,
  status: number,
  payload: object,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(payload));
}
