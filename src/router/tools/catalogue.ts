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
    return byName(this.entries(), () => true);
  }

  /** Every tool with whether it comes from a large source (for the central service's list). */
  entries(): Entry[] {
    const seen = new Set<string>();
    const result: Entry[] = [];
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
    // Each source is asked once per turn (a device source builds its tools when asked).
    const entries = this.entries();
    const result = byName(entries, ({ tool, large }) => !large && allowed(tool));
    const large = byName(entries, (entry) => entry.large && allowed(entry.tool));
    const search = mode === 'search' || (mode === 'auto' && large.size > autoSearchAbove);
    if (!search || large.size === 0) {
      for (const [name, tool] of large) if (!result.has(name)) result.set(name, tool);
      return result;
    }
    for (const tool of metaTools(large)) if (!result.has(tool.name)) result.set(tool.name, tool);
    return result;
  }
}

type Entry = { tool: Tool; large: boolean };

function byName(entries: readonly Entry[], keep: (entry: Entry) => boolean): Map<string, Tool> {
  const result = new Map<string, Tool>();
  for (const entry of entries) if (keep(entry)) result.set(entry.tool.name, entry.tool);
  return result;
}
