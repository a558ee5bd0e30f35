import { matchesAny } from './glob.ts';
import type { Tool, ToolSource } from './tool.ts';

/**
 * Every tool Hearth can offer a model, from all its sources. A profile sees only the tools its
 * `tools` allow list names (globs); a profile without a list sees none.
 */
export class ToolCatalogue {
  readonly #sources: ToolSource[];

  constructor(sources: readonly ToolSource[]) {
    this.#sources = [...sources];
  }

  /** Adds a source after the others (an extension's, started after the router). */
  add(source: ToolSource): void {
    this.#sources.push(source);
  }

  /** All tools by name; a later source never shadows an earlier one's name. */
  all(): Map<string, Tool> {
    const byName = new Map<string, Tool>();
    for (const source of this.#sources) {
      for (const tool of source.tools()) if (!byName.has(tool.name)) byName.set(tool.name, tool);
    }
    return byName;
  }

  forProfile(allow: readonly string[] | undefined): Map<string, Tool> {
    const result = new Map<string, Tool>();
    if (!allow || allow.length === 0) return result;
    for (const [name, tool] of this.all()) if (matchesAny(name, allow)) result.set(name, tool);
    return result;
  }
}
