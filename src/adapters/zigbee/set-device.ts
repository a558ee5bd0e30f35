/**
 * `/set` with no silent success. Zigbee2MQTT never acknowledges a set on the device topic: it
 * publishes the device's new state when it worked and logs `Publish 'set' ... to '<name>'
 * failed: ...` on `bridge/logging` when it did not. A set here resolves `ok` only when a state
 * publish carries the requested values, `device_failed` on that log line, `device_timeout`
 * when neither arrives in time, and `bridge_offline` when the bridge goes away meanwhile.
 */
import type { SetResult } from '../../common/devices.ts';

interface Pending {
  name: string;
  requested: Record<string, unknown>;
  /** Requested keys a state publish must confirm; empty means any publish does. */
  keys: string[];
  resolve(result: SetResult): void;
}

/** Keys that are options of the command, never part of the published state. */
const commandOnly = new Set([
  'transition',
  'scene_recall',
  'scene_store',
  'scene_add',
  'scene_remove',
]);

/** Whether `state` (a state publish) shows the values of `requested` for `keys`. */
export function confirms(
  requested: Record<string, unknown>,
  keys: readonly string[],
  state: Record<string, unknown>,
): boolean {
  return keys.every((key) => {
    if (!(key in state)) return false;
    const want = requested[key];
    const got = state[key];
    if (typeof want === 'string') {
      const upper = want.toUpperCase();
      if (upper === 'TOGGLE' || upper === 'STOP') return true;
      return typeof got !== 'string' || got.toUpperCase() === upper;
    }
    // Devices round numbers (brightness 255 -> 254, mireds clamped to the bulb's range).
    if (typeof want === 'number' && typeof got === 'number')
      return Math.abs(want - got) <= Math.max(2, Math.abs(want) * 0.05);
    if (typeof want === 'boolean') return got === want;
    // Colours come back converted (xy to hs and back): the key being there is enough.
    return true;
  });
}

/** Sets waiting for their confirmation, resolved by state publishes, log lines or time. */
export class SetTracker {
  readonly #pending = new Set<Pending>();

  /**
   * Waits for the confirmation of a set to `name` that the caller is about to publish.
   * `published` lists the properties that appear in this target's state (undefined: all).
   */
  track(
    name: string,
    requested: Record<string, unknown>,
    options: { timeoutMs: number; published?: readonly string[]; signal?: AbortSignal },
  ): Promise<SetResult> {
    const keys = Object.keys(requested).filter(
      (key) => !commandOnly.has(key) && (options.published?.includes(key) ?? true),
    );
    return new Promise<SetResult>((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) return reject(abortReason(signal));
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(pending);
      };
      const pending: Pending = {
        name,
        requested,
        keys,
        resolve: (result) => {
          finish();
          resolve(result);
        },
      };
      const onAbort = (): void => {
        finish();
        reject(abortReason(signal));
      };
      const timer = setTimeout(
        () =>
          pending.resolve({
            ok: false,
            code: 'device_timeout',
            message: `'${name}' did not confirm the change within ${options.timeoutMs} ms.`,
          }),
        options.timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.add(pending);
    });
  }

  /** A state publish of `name`: confirms every pending set it satisfies. */
  onState(name: string, state: Record<string, unknown>): void {
    for (const pending of [...this.#pending]) {
      if (pending.name === name && confirms(pending.requested, pending.keys, state))
        pending.resolve({ ok: true, state: { ...state } });
    }
  }

  /** A failed set logged by the bridge: fails the oldest pending set of that target (and key). */
  onFailure(name: string, key: string, reason: string): void {
    const mine = [...this.#pending].filter((p) => p.name === name);
    const target = mine.find((p) => key in p.requested) ?? mine[0];
    target?.resolve({
      ok: false,
      code: 'device_failed',
      message: `Zigbee2MQTT could not set '${key}' on '${name}': ${reason}`,
    });
  }

  /** Fails every pending set, e.g. when the bridge goes offline. */
  failAll(result: Extract<SetResult, { ok: false }>): void {
    for (const pending of [...this.#pending]) pending.resolve(result);
  }

  get size(): number {
    return this.#pending.size;
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('The set was aborted.', 'AbortError');
}
