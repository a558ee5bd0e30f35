/**
 * What every provider double shares: counting clients that close a streamed answer early (the
 * proof that a Stop reached the upstream server), reading a JSON body, and a loopback HTTP
 * server on a free port that closes with its open connections.
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as a double received it; `body` is the parsed JSON (undefined if not JSON). */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** What every streaming provider double offers its tests, whatever its wire format. */
export interface ProviderDouble<Reply> extends AsyncDisposable {
  /** Where the SDK under test points (with the path prefix its SDK expects, if any). */
  readonly baseURL: string;
  /**
   * The requests received, oldest first (including retries and rejected ones): the last
   * `keptRequests`, so that a benchmark's thousands of turns do not grow the double's heap.
   */
  readonly requests: RecordedRequest[];
  /** How many streamed responses the client closed before the double finished writing them. */
  readonly closedEarly: number;
  /** Queues replies; each request takes the next one, and gets a default once it is empty. */
  enqueue(...replies: Reply[]): void;
  /** Resolves at the next early client close, or at once for one seen but not yet awaited. */
  clientClosedEarly(): Promise<void>;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Requests a double keeps for its tests to read; older ones are let go. */
export const keptRequests = 1000;

/** Records `request`, letting go of the oldest beyond `keptRequests`. */
export function recordRequest(requests: RecordedRequest[], request: RecordedRequest): void {
  if (requests.length >= keptRequests) requests.shift();
  requests.push(request);
}

/** Streamed answers the client closed before the double finished them. */
export class EarlyCloses {
  #count = 0;
  #unclaimed = 0;
  readonly #waiters: Array<() => void> = [];

  get count(): number {
    return this.#count;
  }

  note(): void {
    this.#count += 1;
    const waiter = this.#waiters.shift();
    if (waiter) waiter();
    else this.#unclaimed += 1;
  }

  /** Resolves at the next early close, or at once for one seen but not yet awaited. */
  next(): Promise<void> {
    if (this.#unclaimed > 0) {
      this.#unclaimed -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** The request body parsed as JSON; undefined when empty or not JSON. */
export async function readJsonBody(req: IncomingMessage): Promise<any> {
  let raw = '';
  for await (const piece of req) raw += String(piece);
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Serves `handle` on 127.0.0.1 with an OS-chosen port. */
export async function listenOnLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => void handle(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: async () => {
      if (!server.listening) return;
      const stopped = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await stopped;
    },
  };
}
