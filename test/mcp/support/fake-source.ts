/**
 * An in-memory {@link McpSource} for endpoint tests: `toolCount` numbered tools plus `echo`,
 * `progress` (reports three steps) and `block` (runs until aborted, recording the abort), one
 * prompt, one resource, and `emit()` to announce a list change.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { expect } from 'vitest';
import {
  McpNotFoundError,
  type McpListKind,
  type McpSource,
  type McpToolInfo,
} from '../../../src/mcp/aggregator/endpoint/source.ts';
import { within } from '../../support/within.ts';

export interface FakeSource extends McpSource {
  emit(what: McpListKind): void;
  /** Resolves with the abort reason when a running `block` call is aborted. */
  nextAbort(): Promise<unknown>;
  /** Resolves when a `block` call has started. */
  nextBlockStart(): Promise<void>;
  listenerCount(): number;
}

/**
 * Sends a `block` call with `send`, closes the request once the call runs, and checks that the
 * source saw the call aborted and the client's request failed.
 */
export async function expectClientCloseAborts(
  source: FakeSource,
  send: (signal: AbortSignal) => Promise<unknown>,
): Promise<void> {
  const started = source.nextBlockStart();
  const aborted = source.nextAbort();
  const controller = new AbortController();
  const request = send(controller.signal).catch((e: unknown) => e);
  await within(started);
  controller.abort();
  await within(aborted);
  expect(await request).toBeInstanceOf(Error);
}

const objectSchema = { type: 'object' as const, properties: {} };

export function createFakeSource(options: { toolCount: number; prefix?: string }): FakeSource {
  const prefix = options.prefix ?? '';
  const tools: McpToolInfo[] = [
    { name: `${prefix}echo`, description: 'Echoes its arguments', inputSchema: objectSchema },
    { name: `${prefix}progress`, description: 'Reports progress', inputSchema: objectSchema },
    { name: `${prefix}block`, description: 'Runs until cancelled', inputSchema: objectSchema },
  ];
  for (let i = 0; i < options.toolCount - 3; i++) {
    tools.push({
      name: `${prefix}tool_${String(i).padStart(4, '0')}`,
      description: `Numbered tool ${i}`,
      inputSchema: objectSchema,
    });
  }
  const listeners = new Set<(what: McpListKind) => void>();
  let abortWaiters: ((reason: unknown) => void)[] = [];
  let startWaiters: (() => void)[] = [];
  return {
    listTools: () => Promise.resolve(tools),
    callTool: async (name, args, { signal, onProgress }) => {
      if (name === `${prefix}echo`)
        return { content: [{ type: 'text', text: JSON.stringify(args) }] };
      if (name === `${prefix}progress`) {
        for (const step of [1, 2, 3])
          onProgress?.({ progress: step, total: 3, message: `step ${step}` });
        return { content: [{ type: 'text', text: 'done' }] };
      }
      if (name === `${prefix}block`) {
        const waiters = startWaiters;
        startWaiters = [];
        for (const wake of waiters) wake();
        return new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            const aborted = abortWaiters;
            abortWaiters = [];
            for (const wake of aborted) wake(signal.reason);
            reject(new Error('aborted'));
          });
        });
      }
      if (tools.some((tool) => tool.name === name))
        return { content: [{ type: 'text', text: `ran ${name}` }] };
      throw new McpNotFoundError('tool', name);
    },
    listPrompts: () =>
      Promise.resolve([{ name: `${prefix}greet`, arguments: [{ name: 'who', required: true }] }]),
    getPrompt: (name, args) => {
      if (name !== `${prefix}greet`) return Promise.reject(new McpNotFoundError('prompt', name));
      return Promise.resolve({
        messages: [{ role: 'user', content: { type: 'text', text: `Hello ${args.who ?? ''}` } }],
      });
    },
    listResources: () =>
      Promise.resolve([{ uri: 'fake://note', name: 'note', mimeType: 'text/plain' }]),
    readResource: (uri) => {
      if (uri !== 'fake://note') return Promise.reject(new McpNotFoundError('resource', uri));
      return Promise.resolve({ contents: [{ uri, mimeType: 'text/plain', text: 'a note' }] });
    },
    onListChanged: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit: (what) => {
      for (const listener of listeners) listener(what);
    },
    nextAbort: () => new Promise((resolve) => abortWaiters.push(resolve)),
    nextBlockStart: () => new Promise((resolve) => startWaiters.push(resolve)),
    listenerCount: () => listeners.size,
  };
}

/**
 * `source` plus two tools whose results the spec's schema reshapes: `odd` (a content block
 * with a key the spec does not have) and `bare` (no content at all).
 */
export function withReshapedResults(source: McpSource): McpSource {
  return {
    ...source,
    callTool: (name, args, options) => {
      if (name === 'odd')
        return Promise.resolve({
          content: [{ type: 'text', text: 'x', junk: 1 }],
        } as unknown as CallToolResult);
      if (name === 'bare') return Promise.resolve({} as CallToolResult);
      return source.callTool(name, args, options);
    },
  };
}
