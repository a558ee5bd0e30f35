/**
 * The web page in a real headless Chromium against a real Hearth and the OpenAI double:
 * sending, streaming, resume after reload and reconnect, Stop, setup and token handling, and
 * tool calls shown inside replies.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ConversationEvent } from '../../src/common/protocol.ts';
import { setupHint } from '../../src/router/profiles.ts';
import { startOpenAIDouble } from '../doubles/openai-double.ts';
import {
  assistantSelector,
  useBrowser,
  openPage,
  replyParts,
  send,
  storedConversation,
  texts,
  until,
  userSelector,
  waitConnected,
} from '../support/browser.ts';
import { adminToken, startTestHearth } from '../support/hearth-fixture.ts';

const newContext = useBrowser();

async function lastAssistantText(page: Page): Promise<string> {
  return (await texts(page, assistantSelector)).at(-1) ?? '';
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A slow scripted reply: `count` words, `delayMs` apart. */
function slowReply(count: number, delayMs = 60) {
  const chunks = Array.from({ length: count }, (_, i) => `word${i} `);
  return { reply: { type: 'text' as const, chunks, delayMs }, full: chunks.join('') };
}

describe('web page', () => {
  it('sends a message and streams the echo reply into the page', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    await using context = await newContext();
    const { page, sent, problems } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);

    // The token moved from the fragment into storage, and the fragment is gone.
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.evaluate('localStorage.getItem("hearth.token")')).toBe(adminToken);
    expect(sent[0]).toMatchObject({
      type: 'hello',
      protocol: 1,
      token: adminToken,
      client: { name: 'hearth-web', kind: 'web' },
    });
    // The profile picker lists the profiles, the default one selected.
    const select = page.locator('[data-testid="profile-select"]');
    expect(await select.locator('option').evaluateAll((options) => options.length)).toBe(2);
    expect(await select.inputValue()).toBe('default');
    expect(await page.locator('[data-testid="setup-message"]').isVisible()).toBe(false);

    await send(page, 'hello there');
    await page.waitForSelector(`${assistantSelector}[data-status="complete"]`);
    expect(await texts(page, userSelector)).toEqual(['hello there']);
    expect(await texts(page, assistantSelector)).toEqual(['Echo: hello there']);
    expect(await page.inputValue('[data-testid="composer"]')).toBe('');
    expect(sent.find((f) => f.type === 'chat.send')).toMatchObject({
      profile: 'default',
      content: [{ type: 'text', text: 'hello there' }],
    });

    // The conversation is remembered, in storage and in the URL.
    const conversationId = await storedConversation(page);
    expect(conversationId).toMatch(/.+/);
    expect(new URL(page.url()).searchParams.get('c')).toBe(conversationId);

    // Shift+Enter makes a new line, Enter sends, into the same conversation.
    const composer = page.locator('[data-testid="composer"]');
    await composer.click();
    await composer.pressSequentially('line one');
    await composer.press('Shift+Enter');
    await composer.pressSequentially('line two');
    await composer.press('Enter');
    await until(
      'the second reply',
      () => page.locator(`${assistantSelector}[data-status="complete"]`).count(),
      (n) => n === 2,
    );
    expect(await texts(page, userSelector)).toEqual(['hello there', 'line one\nline two']);
    expect(await texts(page, assistantSelector)).toEqual([
      'Echo: hello there',
      'Echo: line one\nline two',
    ]);
    const sends = sent.filter((f) => f.type === 'chat.send');
    expect(sends).toHaveLength(2);
    expect(sends[1]?.conversationId).toBe(conversationId);
    expect(problems).toEqual([]);
  });

  it('keeps streaming a reply across a reload, with nothing lost or doubled', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    await using context = await newContext();
    const { reply, full } = slowReply(40);
    double.enqueue(reply);
    const { page, sent, received, problems } = await openPage(
      context,
      `${hearth.url}/#token=${adminToken}`,
    );
    await waitConnected(page);
    await send(page, 'tell me a story');
    await until(
      'some streamed text',
      () => lastAssistantText(page),
      (t) => t.includes('word3 '),
    );
    const conversationId = await storedConversation(page);
    expect(conversationId).toMatch(/.+/);
    const receivedBefore = received.length;

    await page.reload();
    await waitConnected(page);
    await page.waitForSelector(`${assistantSelector}[data-status="complete"]`, { timeout: 15_000 });

    expect(await texts(page, userSelector)).toEqual(['tell me a story']);
    expect(await texts(page, assistantSelector)).toEqual([full]);
    // Same conversation, one chat.send, one provider request.
    expect(await storedConversation(page)).toBe(conversationId);
    expect(sent.filter((f) => f.type === 'chat.send')).toHaveLength(1);
    expect(double.requests).toHaveLength(1);
    // After the reload the page resumed from the last seq it had seen...
    const subscribe = sent.find((f) => f.type === 'subscribe');
    expect(subscribe).toMatchObject({ conversationId, afterSeq: expect.any(Number) });
    expect(subscribe?.afterSeq).toBeGreaterThan(1);
    // ...and the reply really was still streaming then: deltas came on the new socket.
    const afterReload = received.slice(receivedBefore);
    expect(afterReload.some((f) => f.type === 'text.delta')).toBe(true);
    expect(afterReload.some((f) => f.type === 'turn.done')).toBe(true);
    expect(afterReload.some((f) => f.type === 'snapshot')).toBe(false);

    // A reload after the end shows the same conversation, still exactly once.
    await page.reload();
    await waitConnected(page);
    await until(
      'the restored view',
      () => texts(page, assistantSelector),
      (t) => t.length > 0,
    );
    expect(await texts(page, assistantSelector)).toEqual([full]);
    expect(await texts(page, userSelector)).toEqual(['tell me a story']);
    expect(problems).toEqual([]);
  });

  it('lets a second tab join a streaming reply from the snapshot', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    await using context = await newContext();
    const { reply, full } = slowReply(40);
    double.enqueue(reply);
    const first = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(first.page);
    await send(first.page, 'a long one please');
    await until(
      'some text',
      () => lastAssistantText(first.page),
      (t) => t.includes('word3 '),
    );

    // Same browser: the token and the conversation come from localStorage, no saved view.
    const second = await openPage(context, `${hearth.url}/`);
    await waitConnected(second.page);
    await second.page.waitForSelector(`${assistantSelector}[data-status="complete"]`, {
      timeout: 15_000,
    });
    expect(await texts(second.page, assistantSelector)).toEqual([full]);
    expect(await texts(second.page, userSelector)).toEqual(['a long one please']);
    const subscribe = second.sent.find((f) => f.type === 'subscribe');
    expect(subscribe).toBeDefined();
    expect(subscribe?.afterSeq).toBeUndefined();
    const snapshot = second.received.find((f) => f.type === 'snapshot');
    expect(snapshot?.messages.at(-1)).toMatchObject({ role: 'assistant', status: 'streaming' });

    await first.page.waitForSelector(`${assistantSelector}[data-status="complete"]`);
    expect(await texts(first.page, assistantSelector)).toEqual([full]);
    expect(first.problems).toEqual([]);
    expect(second.problems).toEqual([]);
  });

  it('reconnects after the server drops the socket and continues the stream', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    await using context = await newContext();
    const { reply, full } = slowReply(40);
    double.enqueue(reply);
    const { page, sent } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);
    await send(page, 'keep going');
    await until(
      'some text',
      () => lastAssistantText(page),
      (t) => t.includes('word3 '),
    );

    hearth.hearth.gateway.closeSessions('testing a drop');
    await page.waitForSelector('[data-testid="connection-state"][data-state="offline"]');
    await waitConnected(page);
    await page.waitForSelector(`${assistantSelector}[data-status="complete"]`, { timeout: 15_000 });
    expect(await texts(page, assistantSelector)).toEqual([full]);
    expect(sent.filter((f) => f.type === 'hello')).toHaveLength(2);
    expect(sent.find((f) => f.type === 'subscribe')?.afterSeq).toBeGreaterThan(1);
  });

  it('stops a streaming reply, keeping its partial text', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    await using context = await newContext();
    const { reply, full } = slowReply(40);
    double.enqueue(reply);
    const { page, sent, problems } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);
    await send(page, 'go on and on');
    await until(
      'some text',
      () => lastAssistantText(page),
      (t) => t.includes('word2 '),
    );
    const closedEarly = double.clientClosedEarly();

    await page.locator('[data-testid="stop"]').click();
    const cancelled = page.locator(`${assistantSelector}[data-status="cancelled"]`);
    await cancelled.waitFor();
    await withTimeout(closedEarly, 5000, 'the provider request to be closed');
    expect(double.closedEarly).toBe(1);

    const partial = await lastAssistantText(page);
    expect(partial.length).toBeGreaterThan(0);
    expect(full.startsWith(partial)).toBe(true);
    expect(partial).not.toBe(full);
    expect(await cancelled.locator('[data-testid="message-status"]').textContent()).toBe('Stopped');
    expect(sent.find((f) => f.type === 'chat.cancel')?.turnId).toMatch(/.+/);
    expect(await page.locator('[data-testid="stop"]').isVisible()).toBe(false);
    expect(await page.locator('[data-testid="send"]').isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('shows a failed reply with its error message', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    await using context = await newContext();
    double.enqueue({
      type: 'mid-stream-error',
      chunks: ['Half ', 'a '],
      error: { message: 'The model fell over', type: 'server_error', param: null, code: null },
    });
    const { page } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);
    await send(page, 'try this');
    const failed = page.locator(`${assistantSelector}[data-status="failed"]`);
    await failed.waitFor();
    const status = await failed.locator('[data-testid="message-status"]').textContent();
    const error = hearth.hearth.hub
      .eventsAfter((await storedConversation(page)) ?? '', 0)
      ?.map((e) => JSON.parse(e.frame.toString()) as ConversationEvent)
      .find((e) => e.type === 'turn.error');
    expect(error?.type).toBe('turn.error');
    expect(status).toBe(`Failed: ${error?.type === 'turn.error' ? error.message : ''}`);
    expect(await page.locator('[data-testid="send"]').isVisible()).toBe(true);
  });

  it('says when the oldest messages no longer fit the model, and keeps a message too long for it', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({
      providerBaseURL: double.baseURL,
      config: {
        profiles: {
          // 500 tokens for the history: two exchanges of these messages, not three.
          default: { provider: 'double', model: 'test-model', contextTokens: 600, maxTokens: 100 },
        },
      },
    });
    await using context = await newContext();
    const { page } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);
    const statuses = page.locator(`${assistantSelector} [data-testid="message-status"]`);
    for (const [index, letter] of ['a', 'b', 'c'].entries()) {
      await send(page, letter.repeat(300));
      await until(
        `reply ${index + 1}`,
        () => page.locator(`${assistantSelector}[data-status="complete"]`).count(),
        (n) => n === index + 1,
      );
    }
    expect(await statuses.allTextContents()).toEqual([
      '',
      '',
      'The 2 oldest messages were not sent to the model: the conversation no longer fits its context window.',
    ]);

    const tooLong = 'x'.repeat(2000);
    await send(page, tooLong);
    await page.locator('[data-testid="notice"]').waitFor();
    expect(await page.locator('[data-testid="notice"]').textContent()).toContain('contextTokens');
    expect(await page.inputValue('[data-testid="composer"]')).toBe(tooLong);
    expect(await texts(page, userSelector)).toHaveLength(3);
  });

  it('shows tool calls and their results in order inside the reply, live, after a reload and from a snapshot', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({
      providerBaseURL: double.baseURL,
      config: {
        profiles: { default: { provider: 'double', model: 'test-model', tools: ['hearth__*'] } },
      },
    });
    await using context = await newContext();
    // One round of two parallel calls (one fails), then the answer.
    double.enqueue(
      {
        type: 'tool-calls',
        text: ['Let me work that out. '],
        calls: [
          { id: 'call_a', name: 'hearth__calculator', arguments: '{"expression":"6*7"}' },
          { id: 'call_b', name: 'hearth__calculator', arguments: '{"expression": "1/0"}' },
        ],
      },
      { type: 'text', chunks: ['It is ', '42.'] },
    );
    const { page, received, problems } = await openPage(
      context,
      `${hearth.url}/#token=${adminToken}`,
    );
    await waitConnected(page);
    await send(page, 'What is 6 times 7?');
    await page.waitForSelector(`${assistantSelector}[data-status="complete"]`);

    const expected = [
      'message-text: Let me work that out. ',
      'tool-call[ok]: hearth__calculator(6*7) → 42',
      'tool-call[error]: hearth__calculator(1/0) → failed: The result is not a finite number (Infinity)',
      'message-text: It is 42.',
    ];
    expect(await replyParts(page)).toEqual(expected);
    // Shown live, from events rather than a snapshot.
    expect(received.filter((f) => f.type === 'tool.call')).toHaveLength(2);
    expect(received.some((f) => f.type === 'snapshot')).toBe(false);
    expect(double.requests).toHaveLength(2);

    // The line opens to show the arguments and the whole result.
    const line = page.locator('[data-testid="tool-call"][data-call-id="call_a"]');
    expect(await line.locator('pre').first().isVisible()).toBe(false);
    await line.locator('summary').click();
    expect(await line.locator('pre').allTextContents()).toEqual([
      '{\n  "expression": "6*7"\n}',
      '42',
    ]);

    // After a reload, from the saved view: the same, exactly once.
    await page.reload();
    await waitConnected(page);
    await until(
      'the restored reply',
      () => replyParts(page),
      (parts) => parts.length > 0,
    );
    expect(await replyParts(page)).toEqual(expected);
    expect(await page.locator('[data-testid="tool-call"]').count()).toBe(2);
    expect(await texts(page, userSelector)).toEqual(['What is 6 times 7?']);

    // A new tab starts from the server's snapshot and shows the same.
    const second = await openPage(context, `${hearth.url}/`);
    await waitConnected(second.page);
    await second.page.waitForSelector(`${assistantSelector}[data-status="complete"]`);
    expect(second.received.some((f) => f.type === 'snapshot')).toBe(true);
    expect(await replyParts(second.page)).toEqual(expected);
    expect(problems).toEqual([]);
    expect(second.problems).toEqual([]);
  });

  it('shows the setup message when no provider is configured', async () => {
    await using hearth = await startTestHearth();
    await using context = await newContext();
    const { page, problems } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);
    const setup = page.locator('[data-testid="setup-message"]');
    await setup.waitFor();
    // The server's hint, its `code` spans shown as code.
    expect(await setup.textContent()).toContain(setupHint.replaceAll('`', ''));
    expect(await page.locator('[data-testid="composer"]').isVisible()).toBe(false);
    expect(await page.locator('[data-testid="profile-select"]').isVisible()).toBe(false);
    expect(problems).toEqual([]);
  });

  it('asks for a token, rejects a wrong one, and forgets it on sign-out', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    await using context = await newContext();
    const { page, sent } = await openPage(context, `${hearth.url}/`);
    const form = page.locator('[data-testid="token-form"]');
    await form.waitFor();
    expect(sent).toEqual([]);

    await page.fill('[data-testid="token-input"]', 'not-the-token');
    await page.click('[data-testid="token-submit"]');
    await page.waitForSelector('[data-testid="connection-state"][data-state="unauthorized"]');
    await form.waitFor();
    expect(await form.textContent()).toContain('The token is not valid');
    expect(await page.evaluate('localStorage.getItem("hearth.token")')).toBeNull();

    await page.fill('[data-testid="token-input"]', adminToken);
    await page.click('[data-testid="token-submit"]');
    await waitConnected(page);
    expect(await form.isVisible()).toBe(false);
    await page.reload();
    await waitConnected(page);

    await page.click('[data-testid="forget-token"]');
    await form.waitFor();
    expect(await page.evaluate('localStorage.getItem("hearth.token")')).toBeNull();
    expect(await page.locator('[data-testid="connection-state"]').getAttribute('data-state')).toBe(
      'signed-out',
    );
  });

  it('starts a new conversation on request', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    await using context = await newContext();
    const { page, sent } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);
    await send(page, 'first');
    await page.waitForSelector(`${assistantSelector}[data-status="complete"]`);
    const firstId = await storedConversation(page);

    await page.click('[data-testid="new-conversation"]');
    expect(await page.locator('[data-testid="message"]').count()).toBe(0);
    expect(await storedConversation(page)).toBeNull();
    await send(page, 'second');
    await page.waitForSelector(`${assistantSelector}[data-status="complete"]`);
    expect(await texts(page, assistantSelector)).toEqual(['Echo: second']);
    const secondId = await storedConversation(page);
    expect(secondId).toMatch(/.+/);
    expect(secondId).not.toBe(firstId);
    expect(sent.filter((f) => f.type === 'chat.send').at(-1)?.conversationId).toBeUndefined();
  });
});
