/**
 * Lists everything a connected server offers (tools, prompts, resources, every page), skipping
 * what it does not announce. The SDK's response cache is bypassed: the aggregator keeps its
 * own copy and refreshes it on list_changed.
 */
import type { Client } from '@modelcontextprotocol/client';
import type { Catalogue } from './catalogue-store.ts';

export async function listCatalogue(client: Client): Promise<Catalogue> {
  const capabilities = client.getServerCapabilities() ?? {};
  const bypass = { cacheMode: 'bypass' } as const;
  const [tools, prompts, resources] = await Promise.all([
    capabilities.tools ? client.listTools(undefined, bypass).then((r) => r.tools) : [],
    capabilities.prompts ? client.listPrompts(undefined, bypass).then((r) => r.prompts) : [],
    capabilities.resources ? client.listResources(undefined, bypass).then((r) => r.resources) : [],
  ]);
  return { tools, prompts, resources };
}
