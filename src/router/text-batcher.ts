/**
 * Joins the text a provider stream yields in one go into one `text.delta`.
 *
 * An SDK parses every event of one network read before it waits for the next read; those
 * events reach the router as a chain of already-resolved promises. Sending each as its own
 * frame costs a frame, a socket write and a wake-up of every client per event. The batcher
 * keeps the text and hands it on from `process.nextTick`, which Node runs once the promise
 * chain is exhausted, that is, when the stream waits for the network again: no text waits for
 * a timer or for the next read, and a stream whose chunks arrive apart still gives one delta
 * per chunk.
 *
 * The round's first text leaves at once, alone: time to first token is what a user waits for,
 * and it should not wait for the parsing of what came with it.
 *
 * A read that holds many events (a provider that sends a whole reply at once) would otherwise
 * make its first text wait for the parsing of all the others: at `maxPieces` the text leaves
 * at once, so clients already have it while the rest is parsed.
 *
 * `flush()` hands on what is kept at once; the round calls it before anything else of the turn
 * can happen (its end, an error, Stop). A send that fails from the tick (the hub could not
 * store its seq, say) is not thrown into Node's tick queue, where nothing would catch it: the
 * next `push()` or `flush()` throws it, inside the round, which ends the turn with it.
 */
export class TextBatcher {
  readonly #send: (text: string) => void;
  readonly #maxPieces: number;
  #pending = '';
  #pieces = 0;
  #scheduled = false;
  #first = true;
  #failure: { error: unknown } | undefined;

  constructor(send: (text: string) => void, maxPieces = 16) {
    this.#send = send;
    this.#maxPieces = maxPieces;
  }

  push(text: string): void {
    this.#throwFailure();
    this.#pending += text;
    this.#pieces += 1;
    if (this.#first || this.#pieces >= this.#maxPieces) {
      this.#first = false;
      this.flush();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(this.#onTick);
  }

  flush(): void {
    this.#throwFailure();
    if (this.#pending === '') return;
    const text = this.#pending;
    this.#pending = '';
    this.#pieces = 0;
    this.#send(text);
  }

  #throwFailure(): void {
    const failure = this.#failure;
    if (!failure) return;
    this.#failure = undefined;
    throw failure.error;
  }

  readonly #onTick = (): void => {
    this.#scheduled = false;
    try {
      this.flush();
    } catch (error) {
      this.#failure = { error };
    }
  };
}
