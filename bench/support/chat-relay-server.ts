/**
 * Child process: the overhead benchmark's relay baseline, the thinnest WebSocket gateway to a
 * model: it answers `hello` with `welcome` and a `chat.send` by streaming the same two messages
 * (system + the user's text) from the same double through the same `openai` SDK options as
 * Hearth's provider, sending the text to that client in `text.delta` frames and then
 * `turn.done`. It frames text with Hearth's own `TextBatcher` (the first text at once, then
 * what one network read brought as one frame), so both send the same frames. No auth, storage,
 * conversation, event log, fan-out or checks. A turn through it costs the two extra hops any
 * gateway adds; Hearth minus it is what Hearth itself adds.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type OpenAI from 'openai';
import { WebSocketServer, type WebSocket } from 'ws';
import { TextBatcher } from '../../src/router/text-batcher.ts';
import { echoTurnRequest, hearthLikeClient } from './echo-turn.ts';
import { serve } from './ipc.ts';

let server: WebSocketServer | undefined;
let client: OpenAI | undefined;

async function relayTurn(socket: WebSocket, text: string): Promise<void> {
  if (!client) throw new Error('not started');
  const turnId = 't';
  const stream = await client.chat.completions.create(
    echoTurnRequest(text),
    // Hearth passes a signal for Stop; so does the relay, for the same work in the SDK.
    { signal: new AbortController().signal },
  );
  const batcher = new TextBatcher((delta) =>
    socket.send(JSON.stringify({ type: 'text.delta', turnId, text: delta })),
  );
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta?.content;
    if (delta) batcher.push(delta);
  }
  batcher.flush();
  socket.send(JSON.stringify({ type: 'turn.done', turnId, finishReason: 'stop' }));
}

serve(
  {
    async start(args: { providerBaseURL: string }) {
      client = hearthLikeClient(args.providerBaseURL);
      server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
      server.on('connection', (socket) => {
        socket.on('message', (data: Buffer) => {
          const frame = JSON.parse(data.toString('utf8')) as {
            type: string;
            content?: Array<{ text: string }>;
          };
          if (frame.type === 'hello') socket.send(JSON.stringify({ type: 'welcome' }));
          else if (frame.type === 'chat.send') {
            relayTurn(socket, frame.content?.[0]?.text ?? '').catch((error: unknown) =>
              socket.send(JSON.stringify({ type: 'turn.error', message: String(error) })),
            );
          }
        });
        socket.on('error', () => undefined);
      });
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      return { wsUrl: `ws://127.0.0.1:${port}/` };
    },
  },
  () => {
    if (server) {
      for (const socket of server.clients) socket.terminate();
      server.close();
    }
  },
);
