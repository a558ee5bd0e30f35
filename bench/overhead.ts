/**
 * Overhead: time to first and to last token of one turn through Hearth (WebSocket `chat.send`
 * → first `text.delta` / `turn.done`) against the official `openai` SDK streaming the same
 * reply from the same double directly. Four processes: the double (the tests' OpenAI double,
 * echoing the prompt one word per chunk), Hearth, a bare WebSocket relay to the same double
 * through the same SDK (support/chat-relay-server.ts: the two hops any gateway adds, and
 * nothing else), and this one, which runs the three clients and rotates them turn by turn.
 *
 * Each Hearth turn starts a new conversation, so that Hearth sends the provider the same two
 * messages (system + user) as the direct SDK call.
 */
import type OpenAI from 'openai';
import WebSocket from 'ws';
import { adminToken } from '../test/support/hearth-fixture.ts';
import { backToBackConfig } from './support/back-to-back.ts';
import { echoTurnRequest, hearthLikeClient } from './support/echo-turn.ts';
import { startChild } from './support/ipc.ts';
import { machineCpu } from './support/machine.ts';
import { profilingWanted } from './support/profiler.ts';
import { round, roundSummary, summarize, type Summary } from './support/stats.ts';

export interface OverheadOptions {
  turns: number;
  warmupTurns: number;
  /** Words in the prompt; the double echoes `Echo: ` and then one chunk per word. */
  words: number;
}

/**
 * p99 over 1,000 turns is the tenth-worst: over 200 it was the second-worst, and one garbage
 * collection pause more or less in a run decided it (it moved by 4 ms between runs of the same
 * code). The first 100 turns warm every process up; after 20, p50 still ran about 0.3 ms high.
 */
export const overheadDefaults: OverheadOptions = { turns: 1000, warmupTurns: 100, words: 20 };

export interface OverheadSide {
  firstTokenMs: Summary;
  lastTokenMs: Summary;
}

export interface OverheadResult {
  options: OverheadOptions;
  /** The bare relay (absent from results before 2026-11-26 11:00 UTC). */
  relay?: OverheadSide;
  /** What the relay adds to the direct call: the hops alone. */
  relayAdded?: OverheadAdded;
  /** What Hearth adds to the relay: Hearth's own work. */
  overRelay?: OverheadAdded;
  hearthConfig: Record<string, unknown>;
  /** Busy CPU of the whole machine during the measured turns, in cores (this run included). */
  machineBusyCores: number;
  sdk: OverheadSide;
  hearth: OverheadSide;
  added: OverheadAdded;
  meetsP50: boolean;
  meetsP99: boolean;
}

export interface OverheadAdded {
  firstTokenP50Ms: number;
  firstTokenP99Ms: number;
  lastTokenP50Ms: number;
  lastTokenP99Ms: number;
}

const hearthConfig = backToBackConfig;

interface Timing {
  first: number;
  last: number;
}

/** A client of the part of Hearth's protocol a turn needs; the relay speaks it too. */
class ChatClient {
  readonly #ws: WebSocket;
  #pending:
    | { started: number; first?: number; resolve(t: Timing): void; reject(e: Error): void }
    | undefined;
  #welcome: (() => void) | undefined;

  constructor(url: string) {
    this.#ws = new WebSocket(url, { perMessageDeflate: false });
    this.#ws.on('message', (data: Buffer) => {
      const at = performance.now();
      const frame = JSON.parse(data.toString('utf8')) as { type: string; message?: string };
      if (frame.type === 'welcome') this.#welcome?.();
      const turn = this.#pending;
      if (!turn) return;
      if (frame.type === 'text.delta') turn.first ??= at;
      else if (frame.type === 'turn.done') {
        this.#pending = undefined;
        turn.resolve({ first: (turn.first ?? at) - turn.started, last: at - turn.started });
      } else if (frame.type === 'error' || frame.type === 'turn.error') {
        this.#pending = undefined;
        turn.reject(new Error(`Hearth: ${frame.message}`));
      }
    });
  }

  async hello(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#ws.once('open', resolve);
      this.#ws.once('error', reject);
    });
    const welcomed = new Promise<void>((resolve) => (this.#welcome = resolve));
    this.#ws.send(JSON.stringify({ type: 'hello', protocol: 1, token: adminToken }));
    await welcomed;
  }

  turn(text: string): Promise<Timing> {
    return new Promise((resolve, reject) => {
      const frame = JSON.stringify({ type: 'chat.send', content: [{ type: 'text', text }] });
      this.#pending = { started: performance.now(), resolve, reject };
      this.#ws.send(frame);
    });
  }

  close(): void {
    this.#ws.close();
  }
}

async function sdkTurn(client: OpenAI, text: string): Promise<Timing> {
  const started = performance.now();
  let first: number | undefined;
  const stream = await client.chat.completions.create(echoTurnRequest(text));
  for await (const chunk of stream) {
    if (first === undefined && chunk.choices[0]?.delta?.content) first = performance.now();
  }
  const last = performance.now();
  return { first: (first ?? last) - started, last: last - started };
}

function difference(to: OverheadSide, from: OverheadSide): OverheadAdded {
  return {
    firstTokenP50Ms: round(to.firstTokenMs.p50 - from.firstTokenMs.p50, 3),
    firstTokenP99Ms: round(to.firstTokenMs.p99 - from.firstTokenMs.p99, 3),
    lastTokenP50Ms: round(to.lastTokenMs.p50 - from.lastTokenMs.p50, 3),
    lastTokenP99Ms: round(to.lastTokenMs.p99 - from.lastTokenMs.p99, 3),
  };
}

/** Which client goes first, second and third in turn `i`: each leads and follows each alike. */
const sides = ['hearth', 'sdk', 'relay'] as const;
const orders = [0, 1, 2].flatMap((shift) => {
  const rotated = [...sides.slice(shift), ...sides.slice(0, shift)];
  return [rotated, [...rotated].reverse()];
});

export async function runOverhead(
  options: OverheadOptions = overheadDefaults,
  log: (line: string) => void = console.log,
): Promise<OverheadResult> {
  const double = startChild('support/double-server.ts');
  const server = startChild('support/hearth-server.ts');
  const relay = startChild('support/chat-relay-server.ts');
  let hearthClient: ChatClient | undefined;
  let relayClient: ChatClient | undefined;
  try {
    const { baseURL } = await double.call<{ baseURL: string }>('start', { kind: 'echo' });
    const { wsUrl } = await server.call<{ wsUrl: string }>('start', {
      providerBaseURL: baseURL,
      config: hearthConfig,
    });
    hearthClient = new ChatClient(wsUrl);
    await hearthClient.hello();
    const relayStart = await relay.call<{ wsUrl: string }>('start', { providerBaseURL: baseURL });
    relayClient = new ChatClient(relayStart.wsUrl);
    await relayClient.hello();
    const sdk = hearthLikeClient(baseURL);
    const text = Array.from({ length: options.words }, (_, i) => `word${i + 1}`).join(' ');
    const times = { hearth: [] as Timing[], sdk: [] as Timing[], relay: [] as Timing[] };
    const profiling = profilingWanted();
    let machine0 = machineCpu();
    let started = performance.now();
    for (let i = 0; i < options.warmupTurns + options.turns; i++) {
      if (i === options.warmupTurns) {
        if (profiling) await server.call('startProfile');
        machine0 = machineCpu();
        started = performance.now();
      }
      for (const side of orders[i % orders.length] ?? sides) {
        const timing =
          side === 'hearth'
            ? await hearthClient.turn(text)
            : side === 'relay'
              ? await relayClient.turn(text)
              : await sdkTurn(sdk, text);
        if (i >= options.warmupTurns) times[side].push(timing);
      }
    }
    const machine1 = machineCpu();
    const wallMs = performance.now() - started;
    if (profiling) await server.call('stopProfile', { name: 'overhead-hearth' });
    const side = (list: Timing[]): OverheadSide => ({
      firstTokenMs: roundSummary(summarize(list.map((t) => t.first))),
      lastTokenMs: roundSummary(summarize(list.map((t) => t.last))),
    });
    const hearth = side(times.hearth);
    const direct = side(times.sdk);
    const bare = side(times.relay);
    const added = difference(hearth, direct);
    log(
      `overhead: first token p50 ${direct.firstTokenMs.p50} → ${hearth.firstTokenMs.p50} ms, ` +
        `p99 ${direct.firstTokenMs.p99} → ${hearth.firstTokenMs.p99} ms; last token p50 ` +
        `${direct.lastTokenMs.p50} → ${hearth.lastTokenMs.p50} ms, p99 ${direct.lastTokenMs.p99} → ` +
        `${hearth.lastTokenMs.p99} ms; the bare relay: last token p50 ${bare.lastTokenMs.p50}, ` +
        `p99 ${bare.lastTokenMs.p99} ms`,
    );
    return {
      options,
      hearthConfig,
      machineBusyCores: round((machine1.busyMs - machine0.busyMs) / wallMs, 2),
      sdk: direct,
      hearth,
      relay: bare,
      added,
      relayAdded: difference(bare, direct),
      overRelay: difference(hearth, bare),
      meetsP50: added.firstTokenP50Ms <= 1 && added.lastTokenP50Ms <= 1,
      meetsP99: added.firstTokenP99Ms <= 5 && added.lastTokenP99Ms <= 5,
    };
  } finally {
    hearthClient?.close();
    relayClient?.close();
    await relay.stop();
    await server.stop();
    await double.stop();
  }
}
