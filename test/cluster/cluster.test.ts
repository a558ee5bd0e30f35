import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIDouble, type OpenAIDouble } from '../doubles/openai-double.ts';
import { startTestCluster, type TestCluster } from '../support/cluster-fixture.ts';
import { adminToken, userToken } from '../support/hearth-fixture.ts';
import { connectClient, openClient, type Frame } from '../support/ws-client.ts';

let double: OpenAIDouble;
let cluster: TestCluster;
beforeEach(async () => {
  double = await startOpenAIDouble();
  cluster = await startTestCluster({ providerBaseURL: double.baseURL });
});
afterEach(async () => {
  await cluster.stop();
  await double.close();
});

const say = (text: string) => [{ type: 'text', text }];
const conversationEvents = (frames: Frame[], conversationId: string) =>
  frames.filter(
    (f) =>
      f.conversationId === conversationId &&
      typeof f.seq === 'number' &&
      f.type !== 'snapshot' &&
      f.type !== 'ack',
  );

async function api(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${cluster.central.url}/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  return {
    status: response.status,
    body: response.status === 204 ? undefined : await response.json(),
  };
}

describe('a split Hearth: one central service, two gateways, one Redis', () => {
  it('a client on each gateway sees the same events of one turn, in the same order', async () => {
    await using one = await connectClient(cluster.wsUrls[0]!, userToken);
    await using two = await connectClient(cluster.wsUrls[1]!, userToken);
    // Slow enough (three chunks 100 ms apart) that the second client joins while it streams.
    double.enqueue({ type: 'text', chunks: ['Hel', 'lo ', 'there'], delayMs: 100 });
    const ack = await one.request({ type: 'chat.send', content: say('hi') });
    // Joins while the turn streams: a snapshot, then the rest.
    await two.request({ type: 'subscribe', conversationId: ack.conversationId });
    await one.waitFor((f) => f.type === 'turn.done');
    await two.waitFor((f) => f.type === 'turn.done');
    const seen = conversationEvents(one.frames, ack.conversationId);
    expect(seen.map((f) => f.type)).toEqual([
      'turn.started',
      'text.delta',
      'text.delta',
      'text.delta',
      'turn.done',
    ]);
    expect(seen.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
    // The second client's events are the tail of the first's, byte for byte.
    const other = conversationEvents(two.frames, ack.conversationId);
    expect(other).toEqual(seen.slice(seen.length - other.length));

    // The reply is stored by the central service (the gateways have no database).
    const stored = await api(`/conversations/${ack.conversationId}`);
    expect(stored.body.messages.map((m: any) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect(stored.body.messages[1].content).toEqual([{ type: 'text', text: 'Hello there' }]);
    for (const dir of cluster.dataDirs.slice(1))
      expect(existsSync(join(dir, 'hearth.db'))).toBe(false);
  });

  it('a client resumes on the other gateway with exactly the events it missed', async () => {
    const one = await connectClient(cluster.wsUrls[0]!, userToken);
    const chunks = Array.from({ length: 30 }, (_v, i) => `w${i} `);
    double.enqueue({ type: 'text', chunks, delayMs: 10 });
    const ack = await one.request({ type: 'chat.send', content: say('count') });
    await one.waitFor((f) => f.type === 'text.delta' && f.seq >= 5);
    const had = conversationEvents(one.frames, ack.conversationId);
    const afterSeq = had.at(-1)!.seq as number;
    await one.close();

    await using two = await connectClient(cluster.wsUrls[1]!, userToken);
    const subscribed = await two.request({
      type: 'subscribe',
      conversationId: ack.conversationId,
      afterSeq,
    });
    expect(subscribed.seq).toBeGreaterThanOrEqual(afterSeq);
    await two.waitFor((f) => f.type === 'turn.done');
    const rest = conversationEvents(two.frames, ack.conversationId);
    expect(two.frames.some((f) => f.type === 'snapshot')).toBe(false);
    const all = [...had, ...rest];
    expect(all.map((f) => f.seq)).toEqual(all.map((_f, i) => i + 1));
    expect(
      all
        .filter((f) => f.type === 'text.delta')
        .map((f) => f.text)
        .join(''),
    ).toBe(chunks.join(''));
  });

  it('a snapshot and history pages on another gateway come from the central service', async () => {
    await using one = await connectClient(cluster.wsUrls[0]!, userToken);
    let conversationId: string | undefined;
    for (const text of ['one', 'two', 'three']) {
      const ack = await one.request({
        type: 'chat.send',
        ...(conversationId && { conversationId }),
        content: say(text),
      });
      conversationId = ack.conversationId;
      await one.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
    }
    await using two = await connectClient(cluster.wsUrls[1]!, userToken);
    await two.request({ type: 'subscribe', conversationId, snapshotLimit: 2 });
    const snapshot = await two.waitFor((f) => f.type === 'snapshot');
    const texts = (frame: Frame) => frame.messages.map((m: any) => m.content[0].text);
    expect(snapshot.earlier).toBe(4);
    expect(texts(snapshot)).toEqual(['three', 'Echo: three']);
    const page = await two.request({
      type: 'history',
      conversationId,
      before: snapshot.messages[0].id,
      limit: 3,
    });
    expect(page.earlier).toBe(1);
    expect(texts(page)).toEqual(['Echo: one', 'two', 'Echo: two']);
    await expect(
      two.request({ type: 'history', conversationId, before: 'm_nope' }),
    ).rejects.toMatchObject({ code: 'unknown_message' });
    await expect(
      two.request({ type: 'history', conversationId: 'c_nope', before: 'm_nope' }),
    ).rejects.toMatchObject({ code: 'unknown_conversation' });
  });

  it('a gateway passes the conversation list, search, rename and delete to the central service', async () => {
    await using one = await connectClient(cluster.wsUrls[0]!, userToken);
    const ack = await one.request({ type: 'chat.send', content: say('garden plans') });
    await one.waitFor((f) => f.type === 'turn.done');
    const base = cluster.wsUrls[1]!.replace(/^ws/, 'http').replace(/\/ws$/, '');
    const call = async (
      path: string,
      init: { method?: string; body?: unknown; token?: string } = {},
    ) => {
      const response = await fetch(`${base}/api/v1${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${init.token ?? userToken}`,
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const list = await call('/conversations?limit=5');
    expect(list.status).toBe(200);
    expect(list.body.conversations[0]).toMatchObject({
      id: ack.conversationId,
      title: 'garden plans',
    });
    const found = await call('/conversations/search?q=garden');
    expect(found.body.hits[0]).toMatchObject({ conversationId: ack.conversationId });
    // The caller's token is checked on the gateway; a bad one never reaches the central service.
    expect(await call('/conversations', { token: 'not-a-token' })).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    });
    // Errors come back as the central service gave them.
    expect(
      await call('/conversations/c_nope', { method: 'PATCH', body: { title: 'x' } }),
    ).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_conversation' } },
    });
    expect(await call('/conversations?limit=0')).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request' } },
    });
    // An id that is not one never makes a path of its own on the central service.
    expect(
      await call('/conversations/..%2Fcluster%2Fstate', { method: 'PATCH', body: { title: 'x' } }),
    ).toMatchObject({ status: 404, body: { error: { code: 'unknown_conversation' } } });
    const renamed = await call(`/conversations/${ack.conversationId}`, {
      method: 'PATCH',
      body: { title: 'Garden' },
    });
    expect(renamed).toMatchObject({ status: 200, body: { title: 'Garden' } });
    expect(await one.waitFor((f) => f.type === 'conversation.renamed')).toMatchObject({
      title: 'Garden',
    });
    expect(await call(`/conversations/${ack.conversationId}`, { method: 'DELETE' })).toEqual({
      status: 204,
      body: undefined,
    });
    await one.waitFor((f) => f.type === 'conversation.deleted');
    // The MCP servers' list and switches too, with the roles the central service asks for,
    // and its answers as it gave them (here: no servers, so the switch is not_found).
    const servers = await call('/mcp-servers', { token: adminToken });
    expect(servers).toEqual({ status: 200, body: { servers: [] } });
    expect(servers).toEqual(await api('/mcp-servers'));
    const flip = { method: 'PUT', body: { enabled: false } };
    expect(await call('/mcp-servers/files/enabled', flip)).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
    const switched = await call('/mcp-servers/files/enabled', { ...flip, token: adminToken });
    expect(switched).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(switched).toEqual(await api('/mcp-servers/files/enabled', flip));
    // Only those routes: a conversation's messages are read over the WebSocket.
    expect((await call(`/conversations/${ack.conversationId}`)).status).toBe(404);
  });

  it('a snapshot on one gateway shows the reply streaming on the other as far as it has come', async () => {
    await using one = await connectClient(cluster.wsUrls[0]!, userToken);
    double.enqueue({ type: 'text', chunks: ['a', 'b', 'c', 'd', 'e', 'f'], delayMs: 40 });
    const ack = await one.request({ type: 'chat.send', content: say('letters') });
    await one.waitFor((f) => f.type === 'text.delta' && f.text === 'c');
    await using two = await connectClient(cluster.wsUrls[1]!, userToken);
    await two.request({ type: 'subscribe', conversationId: ack.conversationId });
    const snapshot = await two.waitFor((f) => f.type === 'snapshot');
    const partial = snapshot.messages[1].content[0].text as string;
    // The snapshot is exact at its seq: the events after it complete the text.
    await two.waitFor((f) => f.type === 'turn.done');
    const after = conversationEvents(two.frames, ack.conversationId).filter(
      (f) => f.seq > snapshot.seq,
    );
    expect(after[0]!.seq).toBe(snapshot.seq + 1);
    const rest = after
      .filter((f) => f.type === 'text.delta')
      .map((f) => f.text)
      .join('');
    expect(partial + rest).toBe('abcdef');
    expect(partial.length).toBeGreaterThanOrEqual(3);
  });

  it('Stop on one gateway aborts the turn running on the other', async () => {
    await using one = await connectClient(cluster.wsUrls[0]!, userToken);
    await using two = await connectClient(cluster.wsUrls[1]!, userToken);
    double.enqueue({ type: 'text', chunks: Array.from({ length: 100 }, () => 'x'), delayMs: 30 });
    const ack = await one.request({ type: 'chat.send', content: say('long') });
    await two.request({ type: 'subscribe', conversationId: ack.conversationId });
    await two.waitFor((f) => f.type === 'text.delta');
    const closed = double.clientClosedEarly();
    await two.request({ type: 'chat.cancel', turnId: ack.turnId });
    await closed;
    const done = await one.waitFor((f) => f.type === 'turn.done');
    expect(done.finishReason).toBe('cancelled');
    await expect(two.request({ type: 'chat.cancel', turnId: 't_nothing' })).rejects.toMatchObject({
      code: 'unknown_turn',
    });
    // A second turn in a conversation busy on the other gateway is refused.
    double.enqueue({ type: 'text', chunks: Array.from({ length: 50 }, () => 'y'), delayMs: 30 });
    const next = await one.request({
      type: 'chat.send',
      conversationId: ack.conversationId,
      content: say('again'),
    });
    await one.waitFor((f) => f.type === 'text.delta' && f.turnId === next.turnId);
    await expect(
      two.request({
        type: 'chat.send',
        conversationId: ack.conversationId,
        content: say('me too'),
      }),
    ).rejects.toMatchObject({ code: 'busy' });
    await two.request({ type: 'chat.cancel', turnId: next.turnId });
  });

  it('a conversation deleted on the central service is gone on every gateway', async () => {
    await using one = await connectClient(cluster.wsUrls[0]!, userToken);
    await using two = await connectClient(cluster.wsUrls[1]!, userToken);
    // Subscribed to nothing: told of renames and deletions all the same.
    await using idle = await connectClient(cluster.wsUrls[1]!, userToken);
    await expect(
      two.request({ type: 'subscribe', conversationId: 'c_nope' }),
    ).rejects.toMatchObject({ code: 'unknown_conversation' });
    double.enqueue({ type: 'text', chunks: Array.from({ length: 40 }, () => 'z'), delayMs: 20 });
    const ack = await one.request({ type: 'chat.send', content: say('soon gone') });
    await two.request({ type: 'subscribe', conversationId: ack.conversationId, afterSeq: 0 });
    await two.waitFor((f) => f.type === 'text.delta');
    // Not while a gateway streams a reply in it.
    const busy = await api(`/conversations/${ack.conversationId}`, { method: 'DELETE' });
    expect(busy).toMatchObject({ status: 409, body: { error: { code: 'busy' } } });
    await one.request({ type: 'chat.cancel', turnId: ack.turnId });
    await two.waitFor((f) => f.type === 'turn.done');
    // A new title reaches the clients of every gateway.
    const renamed = await api(`/conversations/${ack.conversationId}`, {
      method: 'PATCH',
      body: { title: 'Going soon' },
    });
    expect(renamed.status).toBe(200);
    for (const client of [one, two, idle]) {
      expect(await client.waitFor((f) => f.type === 'conversation.renamed')).toEqual({
        type: 'conversation.renamed',
        conversationId: ack.conversationId,
        title: 'Going soon',
      });
    }
    const deleted = await api(`/conversations/${ack.conversationId}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    // Every client of both gateways is told, whichever gateway ran its turn.
    for (const client of [one, two, idle]) {
      const told = await client.waitFor((f) => f.type === 'conversation.deleted');
      expect(told).toEqual({ type: 'conversation.deleted', conversationId: ack.conversationId });
    }
    await expect
      .poll(async () => {
        const late = await connectClient(cluster.wsUrls[1]!, userToken);
        try {
          await late.request({
            type: 'subscribe',
            conversationId: ack.conversationId,
            afterSeq: 0,
          });
          return 'subscribed';
        } catch (error) {
          return (error as { code?: string }).code;
        } finally {
          await late.close();
        }
      })
      .toBe('unknown_conversation');
  });

  it('a profile changed through the API reaches both gateways and their next turns', async () => {
    await using one = await connectClient(cluster.wsUrls[0]!, userToken);
    await using two = await connectClient(cluster.wsUrls[1]!, userToken);
    const changed = await api('/profiles/default', {
      method: 'PUT',
      body: { provider: 'double', model: 'new-model', system: 'Be new.' },
    });
    expect(changed.status).toBe(200);
    for (const client of [one, two]) {
      const notice = await client.waitFor((f) => f.type === 'config.changed');
      expect(notice.profiles.find((p: any) => p.id === 'default')).toMatchObject({
        model: 'new-model',
      });
    }
    expect(cluster.gateways.map((g) => g.version)).toEqual([
      cluster.central.live.version,
      cluster.central.live.version,
    ]);
    for (const client of [one, two]) {
      await client.request({ type: 'chat.send', content: say('which model?') });
      await client.waitFor((f) => f.type === 'turn.done');
    }
    const turns = double.requests.slice(-2).map((r) => [r.body.model, r.body.messages[0].content]);
    expect(turns).toEqual([
      ['new-model', 'Be new.'],
      ['new-model', 'Be new.'],
    ]);
  });

  it('a long conversation on a gateway reads only its tail from the central service and sends what fits', async () => {
    await using one = await connectClient(cluster.wsUrls[0]!, adminToken);
    const changed = await api('/profiles/second', {
      method: 'PUT',
      body: { provider: 'double', model: 'other-model', contextTokens: 600, maxTokens: 100 },
    });
    expect(changed.status).toBe(200);
    await one.waitFor((f) => f.type === 'config.changed');
    let conversationId: string | undefined;
    let started: Frame | undefined;
    for (const letter of ['a', 'b', 'c']) {
      // About 204 tokens a message with its reply: two exchanges fit in 500, three do not.
      double.enqueue({ type: 'text', chunks: ['ok'] });
      const ack = await one.request({
        type: 'chat.send',
        profile: 'second',
        content: say(letter.repeat(600)),
        ...(conversationId !== undefined && { conversationId }),
      });
      conversationId = String(ack.conversationId);
      await one.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
      started = one.frames.find((f) => f.type === 'turn.started' && f.turnId === ack.turnId);
    }
    expect(started).toMatchObject({ omittedMessages: 2 });
    const sent = double.requests.at(-1)?.body.messages.map((m: any) => m.content.slice(0, 1));
    expect(sent).toEqual(['b', 'o', 'c']);
    // The central service answers the tail within a byte budget, starting at a user message.
    const tail = await api(`/cluster/conversations/${conversationId}/history?maxBytes=700`);
    expect(tail.status).toBe(200);
    expect(tail.body.messages.map((m: any) => m.role)).toEqual(['user', 'assistant']);
    expect(tail.body.earlier).toBe(4);
    const none = await api(`/cluster/conversations/${conversationId}/history?maxBytes=0`);
    expect(none.body).toMatchObject({
      conversation: { id: conversationId },
      messages: [],
      earlier: 6,
    });
  });

  it('a new token added through the API lets its holder in on every gateway', async () => {
    // The central service reads the token from its environment; gateways learn only its hash.
    await cluster.stop();
    cluster = await startTestCluster({
      providerBaseURL: double.baseURL,
      centralEnv: { HEARTH_TEST_GUEST: guestToken },
    });
    for (const url of cluster.wsUrls) {
      const refused = await openClient(url);
      refused.send({
        type: 'hello',
        protocol: 1,
        token: guestToken,
        client: { name: 't', kind: 't' },
      });
      expect((await refused.closed).code).toBe(4003);
    }
    const tokens = [
      { name: 'admin', role: 'admin', tokenEnv: 'HEARTH_TEST_ADMIN' },
      { name: 'kid', role: 'user', tokenEnv: 'HEARTH_TEST_USER' },
    ];
    const missing = await api('/config', {
      method: 'PATCH',
      body: {
        auth: { tokens: [...tokens, { name: 'guest', role: 'user', tokenEnv: 'HEARTH_NOT_SET' }] },
      },
    });
    expect(missing).toMatchObject({ status: 400, body: { error: { code: 'invalid_config' } } });
    const added = await api('/config', {
      method: 'PATCH',
      body: {
        auth: {
          tokens: [...tokens, { name: 'guest', role: 'user', tokenEnv: 'HEARTH_TEST_GUEST' }],
        },
      },
    });
    expect(added.status).toBe(200);
    await waitUntil(() =>
      cluster.gateways.every((g) => g.version === cluster.central.live.version),
    );
    for (const url of cluster.wsUrls) {
      await using guest = await connectClient(url, guestToken);
      expect(guest.welcome).toMatchObject({ user: 'guest', role: 'user' });
    }
  });

  it('after Redis restarts empty, every process reconnects, re-reads, and seqs never go back', async () => {
    await using one = await connectClient(cluster.wsUrls[0]!, userToken);
    await using two = await connectClient(cluster.wsUrls[1]!, userToken);
    const ack = await one.request({ type: 'chat.send', content: say('before') });
    await one.waitFor((f) => f.type === 'turn.done');
    await two.request({ type: 'subscribe', conversationId: ack.conversationId, afterSeq: 0 });
    const before = conversationEvents(one.frames, ack.conversationId).at(-1)!.seq as number;
    // The seqs reserved ahead reach the central service before Redis goes.
    await waitUntil(
      async () => (await api(`/cluster/conversations/${ack.conversationId}/seq`)).body.seq > before,
    );

    await cluster.redis.restart();
    // A change made while the processes reconnect is not lost: they re-read on reconnect.
    await api('/profiles/second', {
      method: 'PUT',
      body: { provider: 'double', model: 'after-restart' },
    });
    await waitUntil(
      () => cluster.gateways.every((g) => g.version === cluster.central.live.version),
      10_000,
    );

    const next = await one.request({
      type: 'chat.send',
      conversationId: ack.conversationId,
      content: say('after'),
    });
    await one.waitFor((f) => f.type === 'turn.done' && f.turnId === next.turnId, 10_000);
    await two.waitFor((f) => f.type === 'turn.done' && f.turnId === next.turnId, 10_000);
    const after = conversationEvents(one.frames, ack.conversationId).filter(
      (f) => f.turnId === next.turnId,
    );
    const firstSeq = after[0]!.seq as number;
    expect(firstSeq).toBeGreaterThan(before);
    expect(after.map((f) => f.seq - firstSeq)).toEqual(after.map((_f, i) => i));
    // The watcher on the other gateway saw the gap, took a snapshot, then the same events.
    const seen = conversationEvents(two.frames, ack.conversationId).filter(
      (f) => f.turnId === next.turnId,
    );
    expect(seen).toEqual(after);
    const resync = two.frames.filter((f) => f.type === 'snapshot').at(-1);
    expect(resync?.seq).toBe(firstSeq - 1);
  });
});

const guestToken = 'guest-token-0123456789abcdef';

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
