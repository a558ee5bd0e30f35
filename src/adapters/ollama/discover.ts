/**
 * Finds a local Ollama and the models it has, so that Hearth can offer them as profiles when
 * no provider is configured.
 *
 * It asks `GET /api/tags` with plain fetch rather than the `ollama` package: the package has no
 * timeout or signal for `list()` and writes to the console when a non-Ollama server answers
 * with a non-JSON error, both wrong for a quiet probe at startup.
 */

export const defaultOllamaURL = 'http://127.0.0.1:11434';
const defaultTimeoutMs = 1500;

export interface DiscoverOllamaOptions {
  /** Ollama's host. Default `http://127.0.0.1:11434`. */
  baseURL?: string;
  /** Milliseconds for the whole probe, body included. Default 1500. */
  timeoutMs?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

/**
 * The names of the models an Ollama at `baseURL` has (such as `llama3.2:latest`), in its order;
 * an empty list when it answers but has none; undefined when nothing answers in time, or what
 * answers is not Ollama (an HTTP error, or a body without a `models` list). Never throws.
 */
export async function discoverOllama(
  options: DiscoverOllamaOptions = {},
): Promise<string[] | undefined> {
  const base = (options.baseURL ?? defaultOllamaURL).replace(/\/*$/, '/');
  const doFetch = options.fetch ?? globalThis.fetch;
  try {
    const url = new URL('api/tags', base);
    const response = await doFetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs ?? defaultTimeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const body = (await response.json()) as { models?: unknown };
    if (!Array.isArray(body?.models)) return undefined;
    return body.models.flatMap((entry: unknown) => {
      const { name, model } = (entry ?? {}) as { name?: unknown; model?: unknown };
      const id = typeof name === 'string' && name !== '' ? name : model;
      return typeof id === 'string' && id !== '' ? [id] : [];
    });
  } catch {
    return undefined;
  }
}
