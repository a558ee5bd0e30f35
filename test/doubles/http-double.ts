/**
 * What every provider double shares: counting clients that close a streamed answer early (the
 * proof that a Stop reached the upstream server), reading a JSON body, and a loopback HTTP
 * server on a free port that closes with its open connections.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
