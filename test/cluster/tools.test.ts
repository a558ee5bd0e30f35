import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HearthExtension } from '../../src/extension.ts';
import type { Tool } from '../../src/router/tools/tool.ts';
import { startOpenAIDouble, type OpenAIDouble } from '../doubles/openai-double.ts';
import { startTestCluster, type TestCluster } from '../support/cluster-fixture.ts';
import { userToken } from '../support/hearth-fixture.ts';
import { connectClient } from '../support/ws-client.ts';

/** A room of the central service with two tools: one answers, one waits until stopped. */
function homeExtension(calls: Array<{ name: string; args: unknown; aborted?: boolean }>) {
  const echo: Tool = {
    name: 'home__echo',
    description: 'Says back what it gets',
    inputSchema: { type: 'object', properties: { say: { type: 'string' } }, required: ['say'] },
    call: (args) => {
      calls.push({ name: 'home__echo', args });
      return Promise.resolve({ content: `echo: ${String(args.say)} (pid ${process.pid})` });
    },
  };
  const wait: Tool = {
    name: 'home__wait',
    description: 'Waits until stopped',
    inputSchema: { type: 'object', properties: {} },
    call: (args, { signal }) => {
      const call: (typeof calls)[number] = { name: 'home__wait', args };
      calls.push(call);
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          call.aborted = true;
          reject(new Error('stopped'));
        });
      });
    },
  };
  const extension: HearthExtension = {
    name: 'home',
    // A large source, as the MCP aggregator is: a `search` profile sees it through meta-tools.
    start: () => Promise.resolve({ tools: { large: true, tools: () => [echo, wait] } }),
  };
  return extension;
}

let double: OpenAIDouble;
let cluster: TestCluster;
const calls: Array<{ name: string; args: unknown; aborted?: boolean }> = [];
beforeEach(async () => {
  calls.length = 0;
  double = await startOpenAIDouble();
  cluster = await startTestCluster({
    providerBaseURL: double.baseURL,
    extensions: [homeExtension(calls)],
  });
});
afterEach(async () => {
  await cluster.stop();
  await double.close();
});

describe('tools of the central service, used by a gateway model', () => {
  it('a turn on a gateway calls a tool that runs in the central service', async () => {
    await using client = await connectClient(cluster.wsUrls[1]!, userToken);
    double.enqueue(
      {
        type: 'tool-calls',
        calls: [{ id: 'call_1', name: 'home__echo', arguments: '{"say":"lamp"}' }],
      },
      { type: 'text', chunks: ['Done.'] },
    );
    await client.request({
      type: 'chat.send',
      profile: 'tools',
      content: [{ type: 'text', text: 'go' }],
    });
    const result = await client.waitFor((f) => f.type === 'tool.result');
    expect(result).toMatchObject({ name: 'home__echo', isError: false });
    expect(result.content).toBe(`echo: lamp (pid ${process.pid})`);
    expect(calls).toEqual([{ name: 'home__echo', args: { say: 'lamp' } }]);
    await client.waitFor((f) => f.type === 'turn.done');
    // The model saw the central tool among its own, with its schema.
    const offered = double.requests[0]?.body.tools.map((t: any) => t.function.name);
    expect(offered).toEqual(expect.arrayContaining(['home__echo', 'home__wait', 'hearth__clock']));
  });

  it('a search-mode profile on a gateway finds and calls a central tool through the meta-tools', async () => {
    await using client = await connectClient(cluster.wsUrls[0]!, userToken);
    double.enqueue(
      {
        type: 'tool-calls',
        calls: [{ id: 'c1', name: 'hearth__search_tools', arguments: '{"query":"echo"}' }],
      },
      {
        type: 'tool-calls',
        calls: [
          {
            id: 'c2',
            name: 'hearth__call_tool',
            arguments: '{"name":"home__echo","arguments":{"say":"hi"}}',
          },
        ],
      },
      { type: 'text', chunks: ['Done.'] },
    );
    await client.request({
      type: 'chat.send',
      profile: 'searcher',
      content: [{ type: 'text', text: 'go' }],
    });
    await client.waitFor((f) => f.type === 'turn.done');
    const offered = double.requests[0]?.body.tools.map((t: any) => t.function.name);
    expect(offered.sort()).toEqual([
      'hearth__calculator',
      'hearth__call_tool',
      'hearth__clock',
      'hearth__search_tools',
    ]);
    const results = client.frames.filter((f) => f.type === 'tool.result');
    expect(JSON.parse(results[0]!.content)[0]).toMatchObject({ name: 'home__echo' });
    expect(results[1]!.content).toBe(`echo: hi (pid ${process.pid})`);
    expect(calls).toEqual([{ name: 'home__echo', args: { say: 'hi' } }]);
  });

  it('Stop during a central tool call stops the call in the central service', async () => {
    await using client = await connectClient(cluster.wsUrls[0]!, userToken);
    double.enqueue({
      type: 'tool-calls',
      calls: [{ id: 'call_1', name: 'home__wait', arguments: '{}' }],
    });
    const ack = await client.request({
      type: 'chat.send',
      profile: 'tools',
      content: [{ type: 'text', text: 'wait' }],
    });
    await client.waitFor((f) => f.type === 'tool.call');
    await waitUntil(() => calls.length === 1);
    await client.request({ type: 'chat.cancel', turnId: ack.turnId });
    const done = await client.waitFor((f) => f.type === 'turn.done');
    expect(done.finishReason).toBe('cancelled');
    await waitUntil(() => calls[0]?.aborted === true);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
