import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIDouble, type OpenAIDouble } from '../../../../test/doubles/openai-double.ts';
import {
  adminToken,
  startTestHearth,
  userToken,
  type TestHearth,
} from '../../../../test/support/hearth-fixture.ts';
import { connectClient, type TestClient } from '../../../../test/support/ws-client.ts';
import { openDatabase } from '../store/database.ts';
import { SqliteConversationStore } from '../store/conversation-store.ts';
import { migrations } from '../store/migrations.ts';
import { requireAdmin } from './route.ts';

let double: OpenAIDouble;
let h: TestHearth;
beforeEach(async () => {
  double = await startOpenAIDouble();
  h = await startTestHearth({ providerBaseURL: double.baseURL });
});
afterEach(async () => {
  await h[Symbol.asyncDispose]();
  await double.close();
});

interface CallOptions {
  method?: string;
  token?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

async function call(path: string, options: CallOptions = {}) {
  const token = options.token === undefined ? adminToken : options.token;
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  const response = await fetch(`${h.url}/api/v1${path}`, {
    method: options.method ?? 'GET',
    headers: {
      ...(token !== null && { authorization: `Bearer ${token}` }),
      ...(hasBody && { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(hasBody && { body: options.rawBody ?? JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Starts a conversation over the WebSocket and waits for its reply to finish. */
async function converse(client: TestClient, text: string): Promise<string> {
  const ack = await client.request({ type: 'chat.send', content: [{ type: 'text', text }] });
  await client.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
  return ack.conversationId;
}

describe('REST conversations: auth', () => {
  it('answers 401 unauthorized without a token, with a bad one, or with another scheme', async () => {
    for (const headers of [
      { token: null },
      { token: 'not-a-token' },
      { token: null, headers: { authorization: `Basic ${adminToken}` } },
    ]) {
      for (const [method, path, body] of [
        ['GET', '/conversations'],
        ['GET', '/conversations/search?q=x'],
        ['GET', '/conversations/c_1'],
        ['PATCH', '/conversations/c_1', { title: 'x' }],
        ['DELETE', '/conversations/c_1'],
      ] as const) {
        const answer = await call(path, { method, body, ...headers });
        expect(answer, `${method} ${path}`).toMatchObject({
          status: 401,
          body: { error: { code: 'unauthorized', message: expect.stringContaining('Bearer') } },
        });
      }
    }
  });

  it('lets a user-role token read, rename and delete (conversations belong to the household)', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const id = await converse(client, 'shared thoughts');
    expect((await call(`/conversations/${id}`, { token: userToken })).status).toBe(200);
    const renamed = await call(`/conversations/${id}`, {
      method: 'PATCH',
      token: userToken,
      body: { title: 'Ours' },
    });
    expect(renamed).toMatchObject({ status: 200, body: { title: 'Ours' } });
    const deleted = await call(`/conversations/${id}`, { method: 'DELETE', token: userToken });
    expect(deleted.status).toBe(204);
  });

  it('has a helper that refuses non-admin principals with forbidden', () => {
    expect(requireAdmin({ name: 'admin', role: 'admin' })).toEqual({
      name: 'admin',
      role: 'admin',
    });
    expect(() => requireAdmin({ name: 'kid', role: 'user' })).toThrow(
      expect.objectContaining({ code: 'forbidden', httpStatus: 403 }),
    );
    expect(() => requireAdmin(undefined)).toThrow(
      expect.objectContaining({ code: 'unauthorized' }),
    );
  });
});

describe('REST conversations: list, get, rename, delete', () => {
  it('pages through conversations newest first with opaque cursors', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const created: string[] = [];
    for (const word of ['one', 'two', 'three', 'four', 'five']) {
      created.push(await converse(client, word));
    }
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await call(`/conversations?limit=2${query}`);
      expect(page.status).toBe(200);
      pageSizes.push(page.body.conversations.length);
      seen.push(...page.body.conversations.map((c: any) => c.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(pageSizes).toEqual([2, 2, 1]);
    expect(seen).toEqual([...created].reverse());

    const all = await call('/conversations');
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.conversations).toHaveLength(5);
    expect(all.body.conversations[0]).toEqual({
      id: created[4],
      title: 'five',
      profile: 'default',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });

    // A new message moves a conversation to the front.
    const again = await client.request({
      type: 'chat.send',
      conversationId: created[0],
      content: [{ type: 'text', text: 'back again' }],
    });
    await client.waitFor((f) => f.type === 'turn.done' && f.turnId === again.turnId);
    const first = await call('/conversations?limit=1');
    expect(first.body.conversations[0].id).toBe(created[0]);
  });

  it('refuses bad paging input naming the field', async () => {
    for (const [query, field] of [
      ['limit=0', 'query.limit'],
      ['limit=201', 'query.limit'],
      ['limit=two', 'query.limit'],
      ['cursor=bm9wZQ', 'query.cursor'],
      ['cursor=%25%25', 'query.cursor'],
      ['sort=asc', 'sort'],
    ] as const) {
      const answer = await call(`/conversations?${query}`);
      expect(answer, query).toMatchObject({
        status: 400,
        body: { error: { code: 'bad_request', message: expect.stringContaining(field) } },
      });
    }
  });

  it('gets a conversation with its messages, and 404 for an unknown one', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const id = await converse(client, 'hello there');
    const answer = await call(`/conversations/${id}`);
    expect(answer.status).toBe(200);
    expect(answer.body.conversation).toMatchObject({ id, title: 'hello there' });
    expect(answer.body.messages).toMatchObject([
      { role: 'user', status: 'complete', content: [{ type: 'text', text: 'hello there' }] },
      {
        role: 'assistant',
        status: 'complete',
        model: 'test-model',
        content: [{ type: 'text', text: 'Echo: hello there' }],
        usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) },
      },
    ]);
    expect(await call('/conversations/c_nope')).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_conversation' } },
    });
    expect(await call(`/conversations/${'x'.repeat(65)}`)).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', message: expect.stringContaining('path.id') } },
    });
  });

  it('gets a page of messages with limit and before, counting the earlier ones', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const id = await converse(client, 'one');
    for (const text of ['two', 'three']) {
      const ack = await client.request({
        type: 'chat.send',
        conversationId: id,
        content: [{ type: 'text', text }],
      });
      await client.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
    }
    const texts = (body: { messages: Array<{ content: Array<{ text: string }> }> }) =>
      body.messages.map((m) => m.content[0]?.text);
    const all = await call(`/conversations/${id}`);
    expect(all.body.earlier).toBe(0);
    expect(texts(all.body)).toEqual([
      'one',
      'Echo: one',
      'two',
      'Echo: two',
      'three',
      'Echo: three',
    ]);
    const newest = await call(`/conversations/${id}?limit=4`);
    expect(newest.status).toBe(200);
    expect(newest.body.earlier).toBe(2);
    expect(texts(newest.body)).toEqual(['two', 'Echo: two', 'three', 'Echo: three']);
    const older = await call(`/conversations/${id}?limit=4&before=${newest.body.messages[0].id}`);
    expect(older.body).toMatchObject({ conversation: { id }, earlier: 0 });
    expect(texts(older.body)).toEqual(['one', 'Echo: one']);
    // `before` alone pages with the default size, which holds everything here.
    const beforeLast = await call(`/conversations/${id}?before=${all.body.messages[5].id}`);
    expect(texts(beforeLast.body)).toEqual(texts(all.body).slice(0, 5));
    expect(await call(`/conversations/${id}?before=m_nope`)).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_message', message: expect.stringContaining('m_nope') } },
    });
    for (const limit of ['0', '501', 'many']) {
      expect(await call(`/conversations/${id}?limit=${limit}`)).toMatchObject({
        status: 400,
        body: { error: { code: 'bad_request', message: expect.stringContaining('limit') } },
      });
    }
  });

  it('renames a conversation, trimming the title, and refuses bad titles naming the field', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const id = await converse(client, 'first words');
    const before = (await call(`/conversations/${id}`)).body.conversation;
    const renamed = await call(`/conversations/${id}`, {
      method: 'PATCH',
      body: { title: '  Kitchen plans ' },
    });
    expect(renamed).toEqual({
      status: 200,
      body: { ...before, title: 'Kitchen plans' },
    });
    expect((await call(`/conversations/${id}`)).body.conversation.title).toBe('Kitchen plans');
    const told = (title: string) => ({ type: 'conversation.renamed', conversationId: id, title });
    expect(await client.waitFor((f) => f.type === 'conversation.renamed')).toEqual(
      told('Kitchen plans'),
    );
    // Every client hears of it, subscribed to the conversation or not.
    await using other = await connectClient(h.wsUrl, userToken);
    await call(`/conversations/${id}`, { method: 'PATCH', body: { title: 'Kitchen plans 2' } });
    expect(await other.waitFor((f) => f.type === 'conversation.renamed')).toEqual(
      told('Kitchen plans 2'),
    );

    for (const [body, expected] of [
      [{ title: '' }, 'body.title'],
      [{ title: '   ' }, 'body.title'],
      [{ title: 'x'.repeat(201) }, 'body.title'],
      [{ title: 'a\u0000b' }, 'body.title: must not contain control characters'],
      [{ title: 42 }, 'body.title'],
      [{}, 'body.title'],
      [{ title: 'ok', colour: 'red' }, 'unknown field colour'],
      [[], 'body'],
    ] as const) {
      const answer = await call(`/conversations/${id}`, { method: 'PATCH', body });
      expect(answer, JSON.stringify(body)).toMatchObject({
        status: 400,
        body: { error: { code: 'bad_request', message: expect.stringContaining(expected) } },
      });
    }
    expect(
      await call(`/conversations/${id}`, { method: 'PATCH', rawBody: '{"title": ' }),
    ).toMatchObject({ status: 400, body: { error: { code: 'bad_json' } } });
    expect(
      await call(`/conversations/${id}`, { method: 'PATCH', body: { title: 'x'.repeat(200) } }),
    ).toMatchObject({ status: 200 });
    expect(
      await call('/conversations/c_nope', { method: 'PATCH', body: { title: 'Nope' } }),
    ).toMatchObject({ status: 404, body: { error: { code: 'unknown_conversation' } } });
  });

  it('answers 413 payload_too_large to a body over 64 KiB', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const id = await converse(client, 'small');
    const answer = await call(`/conversations/${id}`, {
      method: 'PATCH',
      body: { title: 'x'.repeat(65 * 1024) },
    });
    expect(answer).toMatchObject({
      status: 413,
      body: { error: { code: 'payload_too_large' } },
    });
  });

  it('deletes a conversation and its messages; it is gone for REST and WebSocket alike', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const id = await converse(client, 'forget me');
    const kept = await converse(client, 'keep me');
    // Another client watches the conversation while it is deleted.
    await using watcher = await connectClient(h.wsUrl, userToken);
    await watcher.request({ type: 'subscribe', conversationId: id });
    await using bystander = await connectClient(h.wsUrl, userToken);
    await bystander.request({ type: 'subscribe', conversationId: kept });

    expect(await call(`/conversations/${id}`, { method: 'DELETE' })).toEqual({
      status: 204,
      body: undefined,
    });
    // Every client is told: its watcher, the client that started it, and one that watches
    // only another conversation (a list of conversations on its screen drops it too).
    for (const told of [watcher, client, bystander]) {
      expect(await told.waitFor((f) => f.type === 'conversation.deleted')).toEqual({
        type: 'conversation.deleted',
        conversationId: id,
      });
    }
    expect(await call(`/conversations/${id}`)).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_conversation' } },
    });
    expect(await call(`/conversations/${id}`, { method: 'DELETE' })).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_conversation' } },
    });
    await expect(client.request({ type: 'subscribe', conversationId: id })).rejects.toMatchObject({
      code: 'unknown_conversation',
    });
    await expect(
      watcher.request({ type: 'subscribe', conversationId: id, afterSeq: 0 }),
    ).rejects.toMatchObject({ code: 'unknown_conversation' });
    await expect(
      client.request({
        type: 'chat.send',
        conversationId: id,
        content: [{ type: 'text', text: 'hello?' }],
      }),
    ).rejects.toMatchObject({ code: 'unknown_conversation' });

    const db = new DatabaseSync(join(h.dataDir, 'hearth.db'), { readOnly: true });
    try {
      const count = (sql: string) => (db.prepare(sql).get(id) as { n: number }).n;
      expect(count('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?')).toBe(0);
    } finally {
      db.close();
    }
    expect((await call('/conversations')).body.conversations.map((c: any) => c.id)).toEqual([kept]);
    // Both sockets are still fine.
    await client.request({ type: 'ping' });
    await watcher.request({ type: 'ping' });
  });

  it('refuses with 409 busy to delete a conversation whose reply is streaming', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    const id = await converse(client, 'start');
    double.enqueue({ type: 'hang' });
    const ack = await client.request({
      type: 'chat.send',
      conversationId: id,
      content: [{ type: 'text', text: 'take your time' }],
    });
    expect(await call(`/conversations/${id}`, { method: 'DELETE' })).toMatchObject({
      status: 409,
      body: { error: { code: 'busy' } },
    });
    await client.request({ type: 'chat.cancel', turnId: ack.turnId });
    await client.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
    expect((await call(`/conversations/${id}`, { method: 'DELETE' })).status).toBe(204);
  });
});

describe('REST conversations: search', () => {
  it('finds words of assistant replies and of titles, by word start, ignoring case and accents', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    double.enqueue({ type: 'text', chunks: ['Roast the ', 'Aubergine ', 'slowly.'] });
    const veg = await converse(client, 'what about dinner');
    const trip = await converse(client, 'packing list');
    await converse(client, 'unrelated');
    await call(`/conversations/${trip}`, { method: 'PATCH', body: { title: 'Trip to Zürich' } });

    const reply = await call('/conversations/search?q=aubergine');
    expect(reply).toMatchObject({ status: 200 });
    expect(reply.body.hits).toEqual([
      {
        kind: 'message',
        conversationId: veg,
        title: 'what about dinner',
        messageId: expect.any(String),
        role: 'assistant',
        snippet: 'Roast the Aubergine slowly.',
        createdAt: expect.any(String),
      },
    ]);
    expect((await call('/conversations/search?q=AUBERG%20roast')).body.hits).toHaveLength(1);
    expect((await call('/conversations/search?q=aubergine%20pizza')).body.hits).toEqual([]);

    const title = await call('/conversations/search?q=zurich');
    expect(title.body.hits).toEqual([
      {
        kind: 'title',
        conversationId: trip,
        title: 'Trip to Zürich',
        updatedAt: expect.any(String),
      },
    ]);
    // The first title came from the first message, which also matches as a message.
    const both = await call('/conversations/search?q=dinner');
    expect(both.body.hits.map((hit: any) => [hit.kind, hit.conversationId])).toEqual([
      ['title', veg],
      ['message', veg],
    ]);
    expect((await call('/conversations/search?q=dinner&limit=1')).body.hits).toHaveLength(1);
  });

  it('treats FTS syntax as text, finds nothing for punctuation, and validates q and limit', async () => {
    await using client = await connectClient(h.wsUrl, adminToken);
    await converse(client, 'quotes " and * stars');
    for (const q of ['"', '* OR', 'NEAR(a b)', '!!!', 'a"b', 'col:umn']) {
      const answer = await call(`/conversations/search?q=${encodeURIComponent(q)}`);
      expect(answer.status, q).toBe(200);
      expect(Array.isArray(answer.body.hits)).toBe(true);
    }
    expect((await call('/conversations/search?q=stars')).body.hits.length).toBeGreaterThan(0);
    for (const [query, field] of [
      ['', 'query.q'],
      ['q=%20%20', 'query.q'],
      [`q=${'x'.repeat(201)}`, 'query.q'],
      ['q=x&limit=101', 'query.limit'],
    ] as const) {
      expect(await call(`/conversations/search?${query}`), query).toMatchObject({
        status: 400,
        body: { error: { code: 'bad_request', message: expect.stringContaining(field) } },
      });
    }
  });
});

describe('REST OpenAPI document', () => {
  it('is served without a token, as OpenAPI 3.1, with every route and its schemas', async () => {
    const response = await fetch(`${h.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await response.json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    const operations = Object.entries(doc.paths).flatMap(([path, methods]: [string, any]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'GET /conversations',
        'GET /conversations/search',
        'GET /conversations/{id}',
        'PATCH /conversations/{id}',
        'DELETE /conversations/{id}',
        'GET /openapi.json',
        'GET /profiles',
        'GET /profiles/{id}',
        'PUT /profiles/{id}',
        'DELETE /profiles/{id}',
        'GET /config',
        'PATCH /config',
        'GET /devices',
        'GET /devices/{id}',
        'PUT /devices/{id}/state',
        'GET /mcp-servers',
        'GET /mcp-servers/{name}',
        'PUT /mcp-servers/{name}/enabled',
        'DELETE /mcp-servers/{name}/enabled',
      ].sort(),
    );

    const list = doc.paths['/conversations'].get;
    expect(list.parameters).toEqual([
      expect.objectContaining({
        name: 'limit',
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
      }),
      expect.objectContaining({ name: 'cursor', in: 'query', required: false }),
    ]);
    expect(list.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ConversationPage',
    });
    expect(list.responses['401'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
    const rename = doc.paths['/conversations/{id}'].patch;
    expect(rename.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    ]);
    expect(rename.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      properties: { title: { type: 'string', minLength: 1, maxLength: 200 } },
      required: ['title'],
      additionalProperties: false,
    });
    expect(Object.keys(rename.responses).sort()).toEqual(['200', '400', '401', '404', '413']);
    const remove = doc.paths['/conversations/{id}'].delete;
    expect(Object.keys(remove.responses).sort()).toEqual(['204', '400', '401', '404', '409']);
    expect(remove.responses['204'].content).toBeUndefined();
    expect(doc.paths['/conversations/search'].get.parameters.map((p: any) => p.name)).toEqual([
      'q',
      'limit',
    ]);
    expect(doc.paths['/openapi.json'].get.security).toEqual([]);
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });

    // Every reference resolves to a component.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(0);
    for (const [, name] of refs) expect(doc.components.schemas, name).toHaveProperty(name!);
    expect(doc.components.schemas.Message.properties.content.items.oneOf).toHaveLength(4);
    expect(doc.components.schemas.Conversation.required).toEqual([
      'id',
      'title',
      'profile',
      'createdAt',
      'updatedAt',
    ]);
  });
});

describe('migration 2', () => {
  it('indexes messages and titles stored before it, for search', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hearth-migrate-'));
    try {
      const old = new DatabaseSync(join(dataDir, 'hearth.db'));
      old.exec(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
      );
      old.exec(migrations[0]!.sql);
      old.exec("INSERT INTO schema_migrations VALUES (1, '2025-01-01T00:00:00.000Z')");
      old.exec(`INSERT INTO conversations (id, title, created_at, updated_at)
        VALUES ('c_old', 'Greenhouse', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`);
      old
        .prepare(
          `INSERT INTO messages (id, conversation_id, turn_id, role, content, status, created_at, updated_at)
           VALUES ('m_old', 'c_old', 't_old', 'assistant', ?, 'complete', 'x', 'x')`,
        )
        .run(
          JSON.stringify([
            { type: 'text', text: 'Water the tomatoes' },
            { type: 'tool_call', id: 'k', name: 'clock', arguments: '{"tomatoes":1}' },
            { type: 'text', text: 'then the basil' },
          ]),
        );
      old.close();

      const db = openDatabase({ dataDir });
      try {
        const store = new SqliteConversationStore(db);
        expect(store.searchMessages('basil', 10)).toMatchObject([
          { kind: 'message', messageId: 'm_old', snippet: 'Water the tomatoes\nthen the basil' },
        ]);
        expect(store.searchMessages('greenhouse', 10)).toMatchObject([
          { kind: 'title', conversationId: 'c_old' },
        ]);
        // Tool calls are not message text.
        expect(store.searchMessages('clock', 10)).toEqual([]);
        expect(store.deleteConversation('c_old')).toBe(true);
        expect(store.searchMessages('basil', 10)).toEqual([]);
        expect(store.searchMessages('greenhouse', 10)).toEqual([]);
      } finally {
        db.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
