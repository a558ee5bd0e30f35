/**
 * Child process: the baseline, a bare `ws` WebSocketServer on a free loopback port, with the
 * same `ws` options Hearth's gateway uses (no compression, 1 MiB frames).
 *
 * - fan-out: `broadcast` produces deltas (paced as the stamping double paces its chunks) shaped and sized like Hearth's `text.delta` frames
 *   (same fields, same id lengths, `t:<stamp>` text stamped just before the frame is made) and
 *   sends each one to every connected client, then a `turn.done`-shaped frame.
 * - idle: every message (a `hello`) is parsed and answered with a `welcome` frame echoing its
 *   id, as Hearth answers hello; nothing else is kept per client.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { beforeDelta } from './pacing.ts';
import { WebSocketServer, type WebSocket } from 'ws';
import { newId } from '../../src/common/ids.ts';
import { writeHeapSnapshot } from 'node:v8';
import { serve } from './ipc.ts';
import { startProfile, stopProfile } from './profiler.ts';
import { processSample } from './process-sample.ts';
import { stamp } from './stats.ts';
import type { StreamPlan } from './stamping-double.ts';

let server: WebSocketServer | undefined;
const clients = new Set<WebSocket>();
const conversationId = newId('c');
let seq = 0;

const welcome = {
  type: 'welcome',
  protocol: 1,
  sessionId: newId('s'),
  user: 'admin',
  role: 'admin',
  profiles: [],
  defaultProfile: null,
  setup: { configured: true },
};

serve(
  {
    async start() {
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
          socket.send(JSON.stringify({ ...welcome, id: hello.id }), { binary: false });
        });
        socket.on('close', () => clients.delete(socket));
        socket.on('error', () => undefined);
      });
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      return { wsUrl: `ws://127.0.0.1:${port}/ws`, pid: process.pid };
    },
    async broadcast(plan: StreamPlan) {
      const turnId = newId('t');
      const startedAt = performance.now();
      for (let i = 0; i < plan.deltas; i++) {
        // Burst: no yield, every delta is sent in this turn of the event loop.
        await beforeDelta(plan, i, startedAt);
        const event = { type: 'text.delta', turnId, text: `t:${stamp()}` };
        const frame = Buffer.from(JSON.stringify({ ...event, conversationId, seq: ++seq }));
        for (const socket of clients) socket.send(frame, { binary: false });
      }
      const done = {
        type: 'turn.done',
        turnId,
        usage: { inputTokens: 1, outputTokens: plan.deltas },
        finishReason: 'stop',
      };
      const frame = Buffer.from(JSON.stringify({ ...done, conversationId, seq: ++seq }));
      for (const socket of clients) socket.send(frame, { binary: false });
      return true;
    },
    cpu: () => process.cpuUsage(),
    startProfile,
    stopProfile: (args: { name: string }) => stopProfile(args.name),
    memory: (args: { gc?: boolean }) => processSample(args.gc ?? false),
    /** For analysis: writes a heap snapshot to `path`. */
    heapSnapshot: (args: { path: string }) => writeHeapSnapshot(args.path),
    sessions: () => clients.size,
  },
  () => {
    for (const socket of clients) socket.terminate();
    server?.close();
  },
);
