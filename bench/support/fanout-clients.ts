/**
 * Child process: WebSocket clients for the fan-out benchmark (all in one process apart from
 * the server) and the idle-connections benchmark (several of these processes). The hot path is a byte comparison and one number parse per delta: each delta's text is
 * `t:<stamp>` (the production time), a `text.delta` frame carries one or more of them, and each
 * delta's latency is the frame's receipt time minus its stamp.
 */
import WebSocket from 'ws';
import { inBatches, now, stampLength } from './stats.ts';
import { serve } from './ipc.ts';

type Frame = Record<string, any>;

interface Conn {
  ws: WebSocket;
  received: number;
  done: boolean;
  waiters: Array<{ match(frame: Frame): boolean; resolve(frame: Frame): void }>;
}

const deltaPrefix = Buffer.from('{"type":"text.delta"');
const stampMark = Buffer.from('"text":"t:');
const donePrefix = Buffer.from('{"type":"turn.done"');
const errorPrefix = Buffer.from('{"type":"turn.error"');

const conns: Conn[] = [];
let recording = false;
let latencies = new Float64Array(0);
let count = 0;
let frames = 0;
/** The earliest production stamp and the latest receipt: the window of a run's throughput. */
let first = Number.POSITIVE_INFINITY;
let last = Number.NEGATIVE_INFINITY;
let doneCount = 0;
let turnErrors = 0;
let closedEarly = 0;
let allDone: (() => void) | undefined;
let nextId = 0;

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return (
    data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0
  );
}

function onMessage(conn: Conn, data: Buffer): void {
  const t = now();
  if (startsWith(data, deltaPrefix)) {
    if (!recording) return;
    // One frame may carry several deltas joined (Hearth sends text that arrived together as
    // one frame): `t:<stamp>` follows `t:<stamp>`; each counts as a delivery, stamped apart.
    frames += 1;
    let at = data.indexOf(stampMark) + stampMark.length;
    do {
      const produced = Number(data.toString('latin1', at, at + stampLength));
      if (count < latencies.length) latencies[count] = t - produced;
      if (produced < first) first = produced;
      count += 1;
      conn.received += 1;
      at += stampLength + 2;
    } while (data[at - 2] === 0x74 && data[at - 1] === 0x3a);
    if (t > last) last = t;
    return;
  }
  const isError = startsWith(data, errorPrefix);
  if (isError || startsWith(data, donePrefix)) {
    if (isError) turnErrors += 1;
    if (recording && !conn.done) {
      conn.done = true;
      doneCount += 1;
      if (doneCount === conns.length) allDone?.();
    }
  }
  if (conn.waiters.length === 0) return;
  const frame = JSON.parse(data.toString('utf8')) as Frame;
  for (const waiter of [...conn.waiters]) {
    if (waiter.match(frame)) {
      conn.waiters.splice(conn.waiters.indexOf(waiter), 1);
      waiter.resolve(frame);
    }
  }
}

function waitFor(conn: Conn, match: (frame: Frame) => boolean, timeoutMs = 30_000): Promise<Frame> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no matching frame in time')), timeoutMs);
    conn.waiters.push({
      match,
      resolve: (frame) => {
        clearTimeout(timer);
        resolve(frame);
      },
    });
  });
}

async function request(conn: Conn, frame: Frame): Promise<Frame> {
  const id = `b${++nextId}`;
  const reply = waitFor(conn, (f) => f.id === id);
  conn.ws.send(JSON.stringify({ ...frame, id }));
  const answer = await reply;
  if (answer.type === 'error') throw new Error(`${answer.code}: ${answer.message}`);
  return answer;
}

function open(url: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const conn: Conn = { ws, received: 0, done: false, waiters: [] };
    ws.on('message', (data: Buffer) => onMessage(conn, data));
    ws.once('open', () => resolve(conn));
    ws.once('error', reject);
    ws.on('close', () => {
      if (recording) closedEarly += 1;
    });
  });
}

function first0(): Conn {
  const conn = conns[0];
  if (!conn) throw new Error('no clients');
  return conn;
}

serve(
  {
    /** With a token, each client says hello and waits for the answer before the next opens. */
    async connect(args: { url: string; count: number; token?: string }) {
      const slots = Array.from({ length: args.count }, (_, i) => i);
      await inBatches(slots, 50, async () => {
        const conn = await open(args.url);
        if (args.token !== undefined) {
          await request(conn, {
            type: 'hello',
            protocol: 1,
            token: args.token,
            client: { name: 'bench', kind: 'bench' },
          });
        }
        conns.push(conn);
      });
      return conns.length;
    },
    /**
     * Hearth only: every client leaves `previous` (as a UI leaves the conversation it showed),
     * client 0 starts a new conversation, then every other client subscribes to it.
     */
    async setupConversation(args: { previous?: string } = {}) {
      const { previous } = args;
      if (previous !== undefined) {
        await inBatches(conns, 50, async (conn) => {
          await request(conn, { type: 'unsubscribe', conversationId: previous });
        });
      }
      const sender = first0();
      const done = waitFor(sender, (f) => f.type === 'turn.done' || f.type === 'turn.error');
      // Awaited below; until then a refused send must not leave its timeout unhandled.
      done.catch(() => undefined);
      const ack = await request(sender, {
        type: 'chat.send',
        content: [{ type: 'text', text: 'go' }],
      });
      await done;
      const conversationId = ack.conversationId as string;
      await inBatches(conns.slice(1), 50, async (conn) => {
        await request(conn, { type: 'subscribe', conversationId });
      });
      return conversationId;
    },
    arm(args: { expected: number }) {
      latencies = new Float64Array(conns.length * args.expected);
      count = 0;
      frames = 0;
      first = Number.POSITIVE_INFINITY;
      last = Number.NEGATIVE_INFINITY;
      doneCount = 0;
      turnErrors = 0;
      closedEarly = 0;
      for (const conn of conns) {
        conn.received = 0;
        conn.done = false;
      }
      recording = true;
      return process.cpuUsage();
    },
    /** Hearth only: client 0 sends the turn whose deltas are measured. */
    trigger(args: { conversationId: string; profile?: string }) {
      first0().ws.send(
        JSON.stringify({
          type: 'chat.send',
          id: `b${++nextId}`,
          conversationId: args.conversationId,
          ...(args.profile !== undefined && { profile: args.profile }),
          content: [{ type: 'text', text: 'go' }],
        }),
      );
      return true;
    },
    async collect(args: { timeoutMs: number }) {
      let timer: NodeJS.Timeout | undefined;
      const complete = await new Promise<boolean>((resolve) => {
        if (doneCount === conns.length) return resolve(true);
        allDone = () => resolve(true);
        timer = setTimeout(() => resolve(false), args.timeoutMs);
      });
      clearTimeout(timer);
      allDone = undefined;
      recording = false;
      let minPerClient = Number.POSITIVE_INFINITY;
      for (const conn of conns) minPerClient = Math.min(minPerClient, conn.received);
      return {
        complete,
        received: count,
        frames,
        minPerClient,
        first,
        last,
        turnErrors,
        closedEarly,
        latencies: latencies.subarray(0, Math.min(count, latencies.length)),
        cpu: process.cpuUsage(),
      };
    },
  },
  () => {
    for (const conn of conns) conn.ws.terminate();
  },
);
