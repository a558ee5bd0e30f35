/**
 * An OpenAI-compatible streaming double for the fan-out benchmark. Unlike the test double
 * (whose chunks are fixed when the request arrives), it writes each content chunk as
 * `t:<stamp>`, the clock reading taken just before the chunk is written, so that a client can
 * measure each delta's latency from the moment it was produced.
 *
 * Pacing: `delayMs: 0` yields to the event loop (`setImmediate`) between chunks, so that, run
 * in the same process as Hearth, production is closed-loop like the raw `ws` baseline's (one
 * delta per event-loop turn); `delayMs > 0` writes a chunk every `delayMs` on a fixed schedule
 * (pacing.ts); `burst` writes every chunk at once, without yielding.
 */
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeDelta } from './pacing.ts';
import { stamp } from './stats.ts';

export interface StreamPlan {
  deltas: number;
  delayMs: number;
  burst?: boolean;
}

export interface StampingDouble {
  baseURL: string;
  /** Plans for the next requests, in order; an empty queue answers 10 quick deltas. */
  enqueue(plan: StreamPlan): void;
  close(): Promise<void>;
}

const defaultPlan: StreamPlan = { deltas: 10, delayMs: 0 };

export async function startStampingDouble(): Promise<StampingDouble> {
  const queue: StreamPlan[] = [];
  let nextId = 0;
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (piece: string) => (raw += piece));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; stream_options?: object };
      const plan = queue.shift() ?? defaultPlan;
      void stream(res, body.model, plan);
    });
  });

  async function stream(res: ServerResponse, model: string, plan: StreamPlan): Promise<void> {
    let closed = false;
    res.on('close', () => (closed = true));
    const id = `chatcmpl-bench${nextId++}`;
    const created = Math.floor(Date.now() / 1000);
    const head = `{"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`;
    const tail = ',"logprobs":null}],"usage":null}';
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(`data: ${head}{"role":"assistant","content":""},"finish_reason":null${tail}\n\n`);
    const startedAt = performance.now();
    for (let i = 0; i < plan.deltas; i++) {
      // Burst: no yield, every chunk goes out in this turn of the event loop.
      await beforeDelta(plan, i, startedAt);
      if (closed) return;
      res.write(`data: ${head}{"content":"t:${stamp()}"},"finish_reason":null${tail}\n\n`);
    }
    res.write(`data: ${head}{},"finish_reason":"stop"${tail}\n\n`);
    const usage = {
      prompt_tokens: 1,
      completion_tokens: plan.deltas,
      total_tokens: plan.deltas + 1,
    };
    res.write(
      `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[],"usage":${JSON.stringify(usage)}}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    enqueue: (plan) => void queue.push(plan),
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
