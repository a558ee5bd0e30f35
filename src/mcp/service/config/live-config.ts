import { validateConfig } from '../../../common/config/load.ts';
import { isPlainObject, mergePatch } from '../../../common/config/merge-patch.ts';
import type { HearthConfig } from '../../../common/config/schema.ts';
import type { OverlayStore } from './overlay-store.ts';

export interface ConfigChange<B = unknown> {
  config: HearthConfig;
  /** What `check` built from this config (providers, say), ready to use. */
  built: B;
  /** Grows by one with every change applied. */
  version: number;
  /** What changed it: the API, or the file on disk. */
  source: 'api' | 'file';
}

/**
 * The configuration in force: config.yaml (with its environment overrides) under the changes
 * made through the API. Every change is validated whole by the one schema before it is kept;
 * an invalid one changes nothing and throws `invalid_config`.
 */
export class LiveConfig<B = unknown> {
  /**
   * Runs on every candidate config after the schema: throws to refuse it, or returns what the
   * listeners will need (so a change that cannot be put to use is never stored).
   */
  check: (config: HearthConfig) => B = () => undefined as B;
  #fileRaw: Record<string, unknown>;
  readonly #overlays: OverlayStore;
  readonly #cwd: string;
  #current: HearthConfig;
  #version = 1;
  readonly #listeners = new Set<(change: ConfigChange<B>) => void>();

  constructor(options: { fileRaw: Record<string, unknown>; overlays: OverlayStore; cwd?: string }) {
    this.#fileRaw = options.fileRaw;
    this.#overlays = options.overlays;
    this.#cwd = options.cwd ?? process.cwd();
    this.#current = this.#validate(
      this.#fileRaw,
      this.#overlays.read(),
      'configuration with the API changes',
    );
  }

  get current(): HearthConfig {
    return this.#current;
  }

  get version(): number {
    return this.#version;
  }

  /** The changes made through the API, as one merge patch. */
  overlay(): Record<string, unknown> {
    return this.#overlays.read();
  }

  onChange(listener: (change: ConfigChange<B>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Applies a JSON Merge Patch from the API on top of the earlier ones. */
  patch(patch: Record<string, unknown>): HearthConfig {
    const overlay = mergePatch(this.#overlays.read(), patch);
    const next = this.#validate(this.#fileRaw, isPlainObject(overlay) ? overlay : {}, 'the change');
    const built = this.check(next);
    this.#overlays.write(isPlainObject(overlay) ? overlay : {});
    return this.#apply(next, built, 'api');
  }

  /** Takes a new config.yaml (already read, environment applied); the API's changes stay on top. */
  replaceFile(fileRaw: Record<string, unknown>, where: string): HearthConfig {
    const next = this.#validate(fileRaw, this.#overlays.read(), where);
    const built = this.check(next);
    this.#fileRaw = fileRaw;
    return this.#apply(next, built, 'file');
  }

  #validate(
    fileRaw: Record<string, unknown>,
    overlay: Record<string, unknown>,
    where: string,
  ): HearthConfig {
    const merged = mergePatch(fileRaw, overlay);
    return validateConfig(isPlainObject(merged) ? merged : {}, { where, cwd: this.#cwd });
  }

  #apply(next: HearthConfig, built: B, source: ConfigChange['source']): HearthConfig {
    this.#current = next;
    this.#version += 1;
    for (const listener of this.#listeners)
      listener({ config: next, built, version: this.#version, source });
    return next;
  }
}
