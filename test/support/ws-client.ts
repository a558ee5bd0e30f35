/**
 * A small protocol-1 client for tests: collects every frame, waits for frames by predicate,
 * matches replies to requests by id, and reports how the socket closed.
 */
import WebSocket from 'ws';

export type Frame = Record<string, any>;

export interface TestClient extends AsyncDisposable {
  readonly socket: WebSocket;
  readonly frames: Frame[];
  readonly closed: Promise<{ code: number; reason: string }>;
  send(frame: Frame): void;
  sendRaw(data: string | Buffer, options?: { binary?: boolean }): void;
  /** Resolves with the first frame (already received or coming) that matches. */
  waitFor(match: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Sends a frame with a fresh id and resolves with its `ack`/`welcome`/`pong`, or rejects with its `error`. */
  request(frame: Frame, timeoutMs?: number): Promise<Frame>;
  close(): Promise<void>;
}

let nextId = 0;

export async function openClient(
  url: string,
  options: { headers?: Record<string, string> } = {},
): Promise<TestClient> {
  const socket = new WebSocket(url, { headers: options.headers });
  const frames: Frame[] = [];
  const waiters = new Set<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }>();
  socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString('utf8')) as Frame;
    frames.push(frame);
    for (const waiter of [...waiters]) {
      if (waiter.match(frame)) {
        waiters.delete(waiter);
        waiter.resolve(frame);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });

  const waitFor = (match: (frame: Frame) => boolean, timeoutMs = 5000): Promise<Frame> => {
    const seen = frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(
            `No matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-5))}`,
          ),
        );
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  const client: TestClient = {
    socket,
    frames,
    closed,
    send: (frame) => socket.send(JSON.stringify(frame)),
    sendRaw: (data, opts) => socket.send(data, { binary: opts?.binary ?? false }),
    waitFor,
    async request(frame, timeoutMs) {
      const id = `r${++nextId}`;
      const reply = waitFor(
        (f) => f.id === id && ['ack', 'welcome', 'pong', 'error'].includes(f.type),
        timeoutMs,
      );
      socket.send(JSON.stringify({ ...frame, id }));
      const answer = await reply;
      if (answer.type === 'error')
        throw Object.assign(new Error(answer.message), { code: answer.code, frame: answer });
      return answer;
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await closed;
    },
    async [Symbol.asyncDispose]() {
      await client.close();
    },
  };
  return client;
}

/** Opens a client and says hello with the token; resolves once welcomed. */
export async function connectClient(
  url: string,
  token: string,
): Promise<TestClient & { welcome: Frame }> {
  const client = await openClient(url);
  const welcome = await client.request({
    type: 'hello',
    protocol: 1,
    token,
    client: { name: 'test', kind: 'test' },
  });
  return Object.assign(client, { welcome });
}
