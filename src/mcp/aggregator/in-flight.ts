/**
 * The calls running on one upstream connection. Each gets its own AbortSignal, linked to the
 * caller's (so a cancelled chat turn cancels the upstream request), and `abortAll` ends them
 * all with one clear error when the server is turned off, crashes or is stopped.
 */
export class InFlightCalls {
  readonly #controllers = new Set<AbortController>();

  get size(): number {
    return this.#controllers.size;
  }

  /** Runs `send`; if `abortAll` ends it, the call rejects with that reason, not the SDK's. */
  async run<T>(
    callerSignal: AbortSignal | undefined,
    send: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(callerSignal?.reason);
    if (callerSignal?.aborted) onAbort();
    callerSignal?.addEventListener('abort', onAbort, { once: true });
    this.#controllers.add(controller);
    try {
      return await send(controller.signal);
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      if (reason instanceof Error && reason.name === 'HearthError') throw reason;
      throw error;
    } finally {
      callerSignal?.removeEventListener('abort', onAbort);
      this.#controllers.delete(controller);
    }
  }

  abortAll(reason: Error): void {
    for (const controller of this.#controllers) controller.abort(reason);
  }
}
