/**
 * Builds the merged catalogue from every server that is on and not failed: live catalogues of
 * running servers and the cached ones of stopped servers, each filtered by the server's
 * allow/deny globs, named by the rule in tool-names.ts (servers and items in sorted order, so
 * rule 3's rare disambiguation is deterministic).
 */
import type { Upstream } from './upstream.ts';
import { allowedByFilter, NameTable, qualifiedResourceUri } from './tool-names.ts';

export interface CatalogueTool {
  /** Merged name, `<server>__<tool>` or its sanitised form. */
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown> | undefined;
  server: string;
  original: string;
  title?: string | undefined;
  annotations?: Record<string, unknown> | undefined;
}

export interface CataloguePrompt {
  name: string;
  description?: string | undefined;
  arguments?:
    | { name: string; description?: string | undefined; required?: boolean | undefined }[]
    | undefined;
  server: string;
  original: string;
}

export interface CatalogueResource {
  /** Namespaced URI: `mcp-upstream://<server>/<original uri>`. */
  uri: string;
  name: string;
  description?: string | undefined;
  mimeType?: string | undefined;
  server: string;
  original: string;
}

export interface MergedCatalogue {
  tools: CatalogueTool[];
  prompts: CataloguePrompt[];
  resources: CatalogueResource[];
  toolNames: NameTable;
  promptNames: NameTable;
}

export function buildCatalogue(upstreams: Iterable<Upstream>): MergedCatalogue {
  const merged: MergedCatalogue = {
    tools: [],
    prompts: [],
    resources: [],
    toolNames: new NameTable(),
    promptNames: new NameTable(),
  };
  const sorted = [...upstreams].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const upstream of sorted) {
    const server = upstream.name;
    const { tools, prompts, resources } = upstream.catalogue();
    // Names of an OFF or failed server stay resolvable (a call then gets the server's own
    // clear error, and names never shift with state), but its items are not listed.
    const listed = upstream.state !== 'off' && upstream.state !== 'failed';
    for (const tool of [...tools].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!allowedByFilter(tool.name, upstream.entry.tools)) continue;
      const name = merged.toolNames.add(server, tool.name);
      if (!listed) continue;
      merged.tools.push({
        name,
        description: tool.description ?? tool.title ?? tool.name,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        server,
        original: tool.name,
        title: tool.title,
        annotations: tool.annotations,
      });
    }
    for (const prompt of prompts) {
      const name = merged.promptNames.add(server, prompt.name);
      if (!listed) continue;
      merged.prompts.push({
        name,
        description: prompt.description,
        arguments: prompt.arguments,
        server,
        original: prompt.name,
      });
    }
    for (const resource of listed ? resources : []) {
      merged.resources.push({
        uri: qualifiedResourceUri(server, resource.uri),
        name: resource.name,
        description: resource.description,
        mimeType: resource.mimeType,
        server,
        original: resource.uri,
      });
    }
  }
  return merged;
}
