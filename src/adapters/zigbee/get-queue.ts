/**
 * Paces the `/get` requests that re-read device state after a (re)connect: one request per
 * tick at a configured rate, never a burst. A device queued twice is asked once (the newer
 * request replaces the older); the queue pauses while the bridge cannot be reached.
 */
export interface GetQueueOptions {
  /** Requests per second. */
  perSecond: number;
  /** Sends one request; errors are the sender's to log. */
  send: (name: string, payload: Record<string, string>) => Promise<void> | void;
}

/** The paced queue of `/get` requests; see the file's comment. */
export class GetQueue {
  readonly #pending = new Map<string, Record<string, string>>();
  readonly #intervalMs: number;
  readonly #send: GetQueueOptions['send'];
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #lastSent = 0;

  constructor(options: GetQueueOptions) {
    this.#intervalMs = 1000 / options.perSecond;
    this.#send = options.send;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Queues a read of `properties` of the device or group called `name`. */
  add(name: string, properties: readonly string[]): void {
    if (properties.length === 0) return;
    this.#pending.delete(name);
    this.#pending.set(name, Object.fromEntries(properties.map((p) => [p, ''])));
    this.#schedule();
  }

  /** Starts (or resumes) sending. */
  resume(): void {
    this.#running = true;
    this.#schedule();
  }

  /** Stops sending and keeps what is queued. */
  pause(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  clear(): void {
    this.#pending.clear();
  }

  #schedule(): void {
    if (!this.#running || this.#timer || this.#pending.size === 0) return;
    const wait = Math.max(0, this.#lastSent + this.#intervalMs - Date.now());
    this.#timer = setTimeout(() => this.#tick(), wait);
  }

  #tick(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const next = this.#pending.entries().next();
    if (next.done) return;
    const [name, payload] = next.value;
    this.#pending.delete(name);
    this.#lastSent = Date.now();
    // The sender logs its own failures; a lost request is re-asked after the next reconnect.
    Promise.resolve()
      .then(() => this.#send(name, payload))
      .catch(() => {});
    this.#schedule();
  }
}
