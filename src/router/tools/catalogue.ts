import { matchesAny } from './glob.ts';
import { metaTools } from './meta-tools.ts';
import type { Tool, ToolSource } from './tool.ts';

/**
 * How a profile's model sees the tools of large sources (the MCP aggregator): `direct` sends
 * every schema; `search` sends two meta-tools instead (search by words, call by name); `auto`
 * searches when the large sources offer more than `autoSearchAbove` tools.
 */
export type ToolMode = 'auto' | 'direct' | 'search';
export const autoSearchAbove = 32;

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
    return this.#collect(() => true);
  }

  /** Every tool with whether it comes from a large source (for the central service's list). */
  entries(): Array<{ tool: Tool; large: boolean }> {
    const seen = new Set<string>();
    const result: Array<{ tool: Tool; large: boolean }> = [];
    for (const source of this.#sources) {
      for (const tool of source.tools()) {
        if (seen.has(tool.name)) continue;
        seen.add(tool.name);
        result.push({ tool, large: source.large === true });
      }
    }
    return result;
  }

  /** The tools a profile offers its model, with large sources behind meta-tools when asked. */
  forProfile(allow: readonly string[] | undefined, mode: ToolMode = 'direct'): Map<string, Tool> {
    if (!allow || allow.length === 0) return new Map();
    const allowed = (tool: Tool) => matchesAny(tool.name, allow);
    const result = this.#collect((source, tool) => !source.large && allowed(tool));
    const large = this.#collect((source, tool) => source.large === true && allowed(tool));
    const search = mode === 'search' || (mode === 'auto' && large.size > autoSearchAbove);
    if (!search || large.size === 0) {
      for (const [name, tool] of large) if (!result.has(name)) result.set(name, tool);
      return result;
    }
    for (const tool of metaTools(large)) if (!result.has(tool.name)) result.set(tool.name, tool);
    return result;
  }

  #collect(keep: (source: ToolSource, tool: Tool) => boolean): Map<string, Tool> {
    const byName = new Map<string, Tool>();
    for (const source of this.#sources) {
      for (const tool of source.tools()) {
        if (!byName.has(tool.name) && keep(source, tool)) byName.set(tool.name, tool);
      }
    }
    return byName;
  }
}
