/**
 * Turns an MCP tool result into the text a model reads: text blocks as they are, images and
 * audio as a short placeholder (their bytes mean nothing to a text model), embedded resources
 * with their text, links as links, and `structuredContent` as JSON when no text carries it.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';

export interface TextResult {
  content: string;
  isError?: boolean;
}

export function resultToText(result: CallToolResult): TextResult {
  const parts: string[] = [];
  let sawText = false;
  for (const block of result.content ?? []) {
    switch (block.type) {
      case 'text':
        sawText = true;
        parts.push(block.text);
        break;
      case 'image':
      case 'audio':
        parts.push(`[${block.type} ${block.mimeType}, ${approximateBytes(block.data)} bytes]`);
        break;
      case 'resource': {
        const resource = block.resource;
        if ('text' in resource && typeof resource.text === 'string') {
          sawText = true;
          parts.push(`[resource ${resource.uri}]\n${resource.text}`);
        } else {
          const blob = 'blob' in resource && typeof resource.blob === 'string' ? resource.blob : '';
          parts.push(
            `[resource ${resource.uri}: ${resource.mimeType ?? 'binary'}, ${approximateBytes(blob)} bytes]`,
          );
        }
        break;
      }
      case 'resource_link':
        parts.push(`[resource link ${block.uri}${block.name ? ` (${block.name})` : ''}]`);
        break;
      default:
        parts.push(`[${(block as { type: string }).type} content]`);
    }
  }
  if (result.structuredContent !== undefined && !sawText) {
    parts.push(JSON.stringify(result.structuredContent));
  }
  const content = parts.join('\n');
  return result.isError ? { content: content || 'The tool failed.', isError: true } : { content };
}

function approximateBytes(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((base64.length * 3) / 4) - padding);
}
