/**
 * Child process: the relay baseline, a bare `ws` WebSocketServer that does what any relay of a
 * model's stream must do and nothing more: on `broadcast` it streams a chat completion from a
 * stamping double in this process through the same `openai` SDK Hearth uses, and sends every
 * content chunk as a `text.delta`-shaped frame to every client. No auth, no storage, no event
 * log, no numbering beyond a counter. Hearth minus this is what Hearth adds.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { WebSocketServer, type WebSocket } from 'ws';
import { newId } from '../../src/common/ids.ts';
import { serve } from './ipc.ts';
import { startProfile, stopProfile } from './profiler.ts';
import { processSample } from './process-sample.ts';
import { startStampingDouble, type StampingDouble, type StreamPlan } from './stamping-double.ts';

let server: WebSocketServer | undefined;
let double: StampingDouble | undefined;
let client: OpenAI | undefined;
const clients = new Set<WebSocket>();
const conversationId = newId('c');
let seq = 0;

function sendAll(event: Record<string, unknown>): void {
  const frame = Buffer.from(JSON.stringify({ ...event, conversationId, seq: ++seq }));
  for (const socket of clients) socket.send(frame, { binary: false });
}

serve(
  {
    async start() {
      double = await startStampingDouble();
      client = new OpenAI({ baseURL: double.baseURL, apiKey: 'relay', maxRetries: 0 });
      server = new WebSocketServer({
        host: '127.0.0.1',
        port: 0,
        path: '/ws',
        perMessageDeflate: false,
        maxPayload: 1024 * 1024,
      });
      server.on('connection', (socket) => {
        clients.add(socket);
        socket.on('message', (data: Buffer) => {
          const hello = JSON.parse(data.toString('utf8')) as { id?: unknown };
          socket.send(JSON.stringify({ type: 'welcome', id: hello.id }), { binary: false });
        });
        socket.on('close', () => clients.delete(socket));
        socket.on('error', () => undefined);
      });
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      return { wsUrl: `ws://127.0.0.1:${port}/ws`, pid: process.pid };
    },
    async broadcast(plan: StreamPlan) {
      if (!double || !client) throw new Error('not started');
      double.enqueue(plan);
      const turnId = newId('t');
      const stream = await client.chat.completions.create({
        model: 'relay',
        messages: [{ role: 'user', content: 'go' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let outputTokens = 0;
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta.content;
        if (text) sendAll({ type: 'text.delta', turnId, text });
        if (chunk.usage) outputTokens = chunk.usage.completion_tokens;
      }
      sendAll({
        type: 'turn.done',
        turnId,
        usage: { inputTokens: 1, outputTokens },
        finishReason: 'stop',
      });
      return true;
    },
    cpu: () => process.cpuUsage(),
    startProfile,
    stopProfile: (args: { name: string }) => stopProfile(args.name),
    memory: (args: { gc?: boolean }) => processSample(args.gc ?? false),
    sessions: () => clients.size,
  },
  async () => {
    for (const socket of clients) socket.terminate();
    server?.close();
    await double?.close();
  },
);
