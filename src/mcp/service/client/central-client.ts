import { ErrorCode, HearthError, isErrorCode } from '../../../common/errors.ts';

export interface CentralClientOptions {
  /** The central service, such as http://10.0.0.2:8080. */
  baseURL: string;
  /** A token of the admin role, from the gateway's environment. */
  token: string;
  /** Milliseconds before a request is given up as `unavailable`. */
  timeoutMs?: number;
}

/**
 * The REST API of the central service, as a split gateway calls it. Errors come back as the
 * HearthError the central service raised (same code and message); a central service that does
 * not answer is `unavailable`.
 */
export class CentralClient {
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(options: CentralClientOptions) {
    this.#base = `${options.baseURL.replace(/\/+$/, '')}/api/v1`;
    this.#headers = { authorization: `Bearer ${options.token}` };
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  get<T>(path: string): Promise<T> {
    return this.#request<T>('GET', path);
  }

  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.#request<T>('POST', path, body, signal);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.#request<T>('PUT', path, body);
  }

  async #request<T>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.#base}${path}`, {
        method,
        headers:
          body === undefined
            ? this.#headers
            : { ...this.#headers, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        // A caller's own signal (a tool call the user stops) has no time limit of ours.
        signal: signal ?? AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      signal?.throwIfAborted();
      throw new HearthError(ErrorCode.unavailable, 'The central service does not answer', {
        cause: error,
      });
    }
    if (response.status === 204) return undefined as T;
    const payload: unknown = await response.json().catch(() => undefined);
    if (response.ok) return payload as T;
    const wire = (payload as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = isErrorCode(wire?.code) ? wire.code : ErrorCode.unavailable;
    const message =
      typeof wire?.message === 'string'
        ? wire.message
        : `The central service answered ${response.status}`;
    throw new HearthError(code, message);
  }
}
