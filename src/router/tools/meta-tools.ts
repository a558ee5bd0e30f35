import type { Tool } from './tool.ts';
import { checkObject } from './validate-arguments.ts';

/** Names of the two tools that stand in for a large catalogue. */
export const searchToolName = 'hearth__search_tools';
export const callToolName = 'hearth__call_tool';

const descriptionLimit = 300;

function words(text: string): string[] {
  return text
    .replace(/(\p{Ll}|\p{N})(\p{Lu})/gu, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 1);
}

/**
 * How well a tool answers a query: every query word found in its name counts three, in its
 * description one; a word matches the start of a longer one ("light" finds "lights").
 */
function score(tool: Tool, query: string[]): number {
  const name = words(tool.name);
  const description = words(tool.description);
  let total = 0;
  for (const word of query) {
    if (name.some((w) => w.startsWith(word))) total += 3;
    if (description.some((w) => w.startsWith(word))) total += 1;
  }
  return total;
}

/** The best matches first; ties keep the catalogue's order. */
export function searchTools(tools: readonly Tool[], query: string, limit: number): Tool[] {
  const queryWords = words(query);
  return tools
    .map((tool, index) => ({ tool, index, score: score(tool, queryWords) }))
    .filter((hit) => hit.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, limit)
    .map((hit) => hit.tool);
}

/**
 * Two tools that let a model use a catalogue too large to send whole (hundreds of MCP tools):
 * it searches by words, reads the schemas of the hits, then calls one by name. The hidden
 * tools are checked against their own schemas exactly as if the model had called them directly.
 */
export function metaTools(hidden: ReadonlyMap<string, Tool>): Tool[] {
  const all = [...hidden.values()];
  const search: Tool = {
    name: searchToolName,
    description: `Search ${all.length} more tools (home devices, files, services...) by words. Returns the matching tools' names, descriptions and argument schemas; then use ${callToolName} to call one.`,
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, description: 'Words describing what the tool does' },
        limit: { type: 'integer', minimum: 1, maximum: 20, default: 8 },
      },
      required: ['query'],
      additionalProperties: false,
    },
    call(args) {
      const limit = typeof args.limit === 'number' ? args.limit : 8;
      const hits = searchTools(all, String(args.query), limit).map((tool) => ({
        name: tool.name,
        description: tool.description.slice(0, descriptionLimit),
        inputSchema: tool.inputSchema,
      }));
      const content =
        hits.length === 0
          ? `No tool matches "${String(args.query)}". Try other or fewer words.`
          : JSON.stringify(hits);
      return Promise.resolve({ content });
    },
  };
  const call: Tool = {
    name: callToolName,
    description: `Call a tool found with ${searchToolName}, by its exact name, with arguments matching its schema.`,
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1 },
        arguments: { type: 'object' },
      },
      required: ['name'],
      additionalProperties: false,
    },
    async call(args, context) {
      const name = String(args.name);
      const target = hidden.get(name);
      if (!target) {
        const near = searchTools(all, name.replace(/_+/g, ' '), 3).map((tool) => tool.name);
        const hint = near.length > 0 ? ` Did you mean ${near.join(', ')}?` : '';
        return { content: `There is no tool named "${name}".${hint}`, isError: true };
      }
      const given = (args.arguments ?? {}) as Record<string, unknown>;
      const checked = checkObject(given, target.inputSchema);
      if (!checked.ok) return { content: checked.problem, isError: true };
      return target.call(checked.args, context);
    },
  };
  return [search, call];
}
