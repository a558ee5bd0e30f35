/**
 * An incremental reader of a `text/event-stream` body (the WHATWG event-stream format): text
 * is pushed as it arrives, in chunks that may split lines anywhere, and each event's data
 * (its `data:` lines joined by newlines) is handed on when the blank line ending it arrives.
 * Comments, `id`, `event` and `retry` fields are read past; an event with no data is not
 * dispatched.
 */
export class SseReader {
  readonly #onData: (data: string) => void;
  #pending = '';
  #data: string[] = [];
  /** A chunk ended in `\r`: a `\n` starting the next chunk belongs to the same line end. */
  #afterCr = false;

  constructor(onData: (data: string) => void) {
    this.#onData = onData;
  }

  push(chunk: string): void {
    let text = chunk;
    if (this.#afterCr && text.startsWith('\n')) text = text.slice(1);
    this.#afterCr = text.endsWith('\r');
    text = this.#pending + text;
    let start = 0;
    for (let i = 0; i < text.length; i += 1) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(text.slice(start, i));
      if (c === 13 && text.charCodeAt(i + 1) === 10) i += 1;
      start = i + 1;
    }
    this.#pending = text.slice(start);
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) {
        const data = this.#data.join('\n');
        this.#data = [];
        this.#onData(data);
      }
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.#data.push(value);
  }
}
