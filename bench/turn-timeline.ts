/**
 * Diagnostic, not part of `npm run bench`: where Hearth spends the time of one turn before the
 * first token. Runs Hearth in this process with timers wrapped around its steps (router.accept,
 * hub.emit, the OpenAI provider, the SQLite store, the provider request's socket writes), the
 * tests' echo double in a child process, and one WebSocket client in this process.
 * Usage: node bench/turn-timeline.ts [turns]
 */
import { Socket } from 'node:net';
import WebSocket from 'ws';
import { OpenAIChatProvider } from '../src/adapters/openai/openai-provider.ts';
import { SqliteConversationStore } from '../src/mcp/service/store/conversation-store.ts';
import { adminToken, startTestHearth } from '../test/support/hearth-fixture.ts';
import { backToBackConfig } from './support/back-to-back.ts';
import { startChild } from './support/ipc.ts';
import { now, summarize } from './support/stats.ts';

const turns = Number(process.argv[2] ?? 200);
const warmup = 20;
const marks: Record<string, number> = {};
const storeTimes: Record<string, number[]> = {};

const storeProto = SqliteConversationStore.prototype as any;
for (const name of ['transaction', 'lastSeq', 'setLastSeq', 'updateMessage']) {
  const original = storeProto[name];
  storeProto[name] = function (...args: unknown[]) {
    const started = now();
    const result = original.apply(this, args);
    const ended = now();
    (storeTimes[name] ??= []).push(ended - started);
    if (name === 'transaction') {
      marks.commitStart ??= started;
      marks.commitEnd ??= ended;
    }
    return result;
  };
}
const providerProto = OpenAIChatProvider.prototype as any;
const stream = providerProto.stream as OpenAIChatProvider['stream'];
providerProto.stream = async function* (
  this: OpenAIChatProvider,
  request: Parameters<OpenAIChatProvider['stream']>[0],
  signal: AbortSignal,
) {
  marks.providerCall = now();
  for await (const event of stream.call(this, request, signal)) {
    if (event.type === 'text') marks.providerFirst ??= now();
    yield event;
  }
  marks.providerEnd = now();
};

const double = startChild('support/double-server.ts');
const { baseURL } = await double.call<{ baseURL: string }>('start', { kind: 'echo' });
// The provider request leaves when its bytes are written to the double's socket.
const doublePort = Number(new URL(baseURL).port);
const socketProto = Socket.prototype as any;
const write = socketProto.write;
socketProto.write = function (this: Socket, ...args: unknown[]) {
  if (this.remotePort === doublePort) marks.requestWritten ??= now();
  return write.apply(this, args);
};

const hearth = await startTestHearth({
  providerBaseURL: baseURL,
  config: backToBackConfig,
});
const router = hearth.hearth.router as any;
const accept = router.accept.bind(router);
router.accept = async (input: unknown) => {
  marks.acceptStart = now();
  const turn = await accept(input);
  marks.acceptEnd = now();
  const start = turn.start;
  turn.start = () => {
    marks.start = now();
    start();
  };
  return turn;
};
const hub = hearth.hearth.hub as any;
const emit = hub.emit.bind(hub);
hub.emit = (conversationId: string, event: { type: string }) => {
  const started = now();
  const seq = emit(conversationId, event);
  if (event.type === 'turn.started') marks.startedEmitted = now() - started;
  if (event.type === 'text.delta') marks.deltaEmitted ??= now();
  if (event.type === 'turn.done') marks.doneEmitted = now();
  return seq;
};

const ws = new WebSocket(hearth.wsUrl, { perMessageDeflate: false });
await new Promise((resolve) => ws.once('open', resolve));
let waiter: (() => void) | undefined;
ws.on('message', (data: Buffer) => {
  const type = (JSON.parse(data.toString('utf8')) as { type: string }).type;
  if (type === 'turn.done') marks.doneReceived = now();
  if (type === 'welcome' || type === 'turn.done') waiter?.();
});
const roundTrip = (frame: object): Promise<void> =>
  new Promise((resolve) => {
    waiter = resolve;
    ws.send(JSON.stringify(frame));
  });
await roundTrip({ type: 'hello', protocol: 1, token: adminToken });

const steps: Record<string, number[]> = {};
const text = Array.from({ length: 20 }, (_, i) => `word${i + 1}`).join(' ');
for (let i = 0; i < warmup + turns; i++) {
  for (const key of Object.keys(marks)) delete marks[key];
  if (i === warmup) for (const key of Object.keys(storeTimes)) storeTimes[key] = [];
  const sent = now();
  await roundTrip({ type: 'chat.send', content: [{ type: 'text', text }] });
  if (i < warmup) continue;
  const m = marks as Record<
    | 'acceptStart'
    | 'acceptEnd'
    | 'commitStart'
    | 'commitEnd'
    | 'start'
    | 'startedEmitted'
    | 'providerCall'
    | 'requestWritten'
    | 'providerFirst'
    | 'deltaEmitted'
    | 'providerEnd'
    | 'doneEmitted'
    | 'doneReceived',
    number
  >;
  const add = (step: string, ms: number): void => void (steps[step] ??= []).push(ms);
  add('client send → router.accept (WebSocket hop, checks)', m.acceptStart - sent);
  add('router.accept → provider.stream (history)', m.providerCall - m.acceptStart);
  add('provider.stream → request written (SDK, undici)', m.requestWritten - m.providerCall);
  add('request written → commit starts', m.commitStart - m.requestWritten);
  add('commit of the turn (SQLite transaction)', m.commitEnd - m.commitStart);
  add('commit → accept resolved', m.acceptEnd - m.commitEnd);
  add('accept resolved → turn.start (ack frame)', m.start - m.acceptEnd);
  add('  emit turn.started (seq save, frame)', m.startedEmitted);
  add('provider.stream → first text (SDK, HTTP, double)', m.providerFirst - m.providerCall);
  add('first text → text.delta emitted', m.deltaEmitted - m.providerFirst);
  add('provider.stream → provider stream ends', m.providerEnd - m.providerCall);
  add('provider stream ends → turn.done emitted (persist)', m.doneEmitted - m.providerEnd);
  add('turn.done emitted → client has it', m.doneReceived - m.doneEmitted);
}

const line = (label: string, values: number[]): string => {
  const s = summarize(values);
  return `${label.padEnd(52)} p50 ${s.p50.toFixed(3)}  p90 ${s.p90.toFixed(3)}  p99 ${s.p99.toFixed(3)}  max ${s.max.toFixed(3)} ms`;
};
console.log(`${turns} turns (after ${warmup} warm-up), each a new conversation:`);
for (const [step, values] of Object.entries(steps)) console.log(line(step, values));
console.log('SQLite calls:');
for (const [name, values] of Object.entries(storeTimes))
  console.log(line(`  store.${name}`, values));
ws.close();
await hearth[Symbol.asyncDispose]();
await double.stop();
