/**
 * Reads the answer to one Streamable HTTP POST as it arrives: a JSON body (one message or a
 * batch) or an SSE stream of messages, each checked to be a JSON-RPC message and handed on.
 * Fed by an HTTP client's callbacks: `start` with the status and content type, `data` per
 * chunk (split anywhere, also inside a UTF-8 character), `end` once.
 */
import { StringDecoder } from 'node:string_decoder';
import { SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { SseReader } from './sse-reader.ts';

/** The server answered 404 for the session: nothing ran; the caller may open a new one. */
export class SessionGone extends Error {
  constructor() {
    super('The MCP server no longer knows this session');
    this.name = 'SessionGone';
  }
}

const rpcMessageSchema = z.looseObject({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string(), z.number()]).optional(),
  method: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  result: z.unknown().optional(),
  error: z
    .looseObject({ code: z.number(), message: z.string(), data: z.unknown().optional() })
    .optional(),
});
export type RpcMessage = z.infer<typeof rpcMessageSchema>;

type Body = 'json' | 'sse' | 'refused' | 'ignored';

export class RpcResponseReader {
  readonly #onMessage: (message: RpcMessage) => void;
  readonly #onEnd: (error?: Error) => void;
  readonly #decoder = new StringDecoder('utf8');
  #body: Body = 'ignored';
  #status = 0;
  #text = '';
  #sse: SseReader | undefined;
  #ended = false;

  /** `onEnd` is called once: with an error, or without one when the body ended cleanly. */
  constructor(onMessage: (message: RpcMessage) => void, onEnd: (error?: Error) => void) {
    this.#onMessage = onMessage;
    this.#onEnd = onEnd;
  }

  start(status: number, contentType: string | undefined): void {
    this.#status = status;
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (status === 404) {
      this.#body = 'ignored';
      this.#finish(new SessionGone());
    } else if (status !== 200 || (type !== 'application/json' && type !== 'text/event-stream')) {
      this.#body = 'refused';
    } else if (type === 'application/json') {
      this.#body = 'json';
    } else {
      this.#body = 'sse';
      this.#sse = new SseReader((data) => {
        const error = this.#parse(data);
        if (error) this.#finish(error);
      });
    }
  }

  data(chunk: Buffer): void {
    if (this.#body === 'ignored') return;
    const text = this.#decoder.write(chunk);
    if (this.#body === 'sse') this.#sse?.push(text);
    else if (this.#body === 'json' || this.#text.length < 500) this.#text += text;
  }

  end(): void {
    const rest = this.#decoder.end();
    if (this.#body === 'sse') {
      if (rest !== '') this.#sse?.push(rest);
      this.#finish();
    } else if (this.#body === 'json') {
      this.#finish(this.#parse(this.#text + rest));
    } else if (this.#body === 'refused') {
      this.#finish(
        new SdkError(
          SdkErrorCode.ClientHttpNotImplemented,
          `Error POSTing to endpoint (HTTP ${this.#status}): ${(this.#text + rest).slice(0, 500)}`,
        ),
      );
    }
  }

  #parse(text: string): Error | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return new Error('The MCP server sent a message that is not JSON');
    }
    for (const item of Array.isArray(raw) ? raw : [raw]) {
      const parsed = rpcMessageSchema.safeParse(item);
      if (parsed.success) this.#onMessage(parsed.data);
    }
    return undefined;
  }

  #finish(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#onEnd(error);
  }
}
