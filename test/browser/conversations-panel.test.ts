/**
 * The web page's conversations panel: the household's conversations newest first, a page at a
 * time, search over titles and message text, and opening one in the page.
 */
import { describe, expect, it } from 'vitest';
import { startOpenAIDouble } from '../doubles/openai-double.ts';
import {
  openPage,
  storedConversation,
  texts,
  until,
  useBrowser,
  userSelector,
  waitConnected,
} from '../support/browser.ts';
import { adminToken, startTestHearth } from '../support/hearth-fixture.ts';
import { addStoredConversations } from '../support/stored-turns.ts';
import { connectClient } from '../support/ws-client.ts';

const newContext = useBrowser();
const rowSelector = '[data-testid="conversation"]';

describe('web page, conversations panel', () => {
  it('lists, pages, searches and opens conversations', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    addStoredConversations(hearth.dataDir, 33);
    const ids: Record<string, string> = {};
    {
      await using client = await connectClient(hearth.wsUrl, adminToken);
      for (const text of ['kitchen lights', 'what to plant: tomatoes', 'weekly menu']) {
        const ack = await client.request({ type: 'chat.send', content: [{ type: 'text', text }] });
        await client.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
        ids[text] = ack.conversationId;
      }
      // A second message: its words are in no title.
      const ack = await client.request({
        type: 'chat.send',
        conversationId: ids['kitchen lights'],
        content: [{ type: 'text', text: 'and the porch lamp' }],
      });
      await client.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
    }

    await using context = await newContext();
    const { page, sent, received, problems } = await openPage(
      context,
      `${hearth.url}/?c=${ids['weekly menu']}#token=${adminToken}`,
    );
    await waitConnected(page);
    const panel = page.locator('[data-testid="conversations"]');
    expect(await panel.isVisible()).toBe(false);
    await page.click('[data-testid="conversations-toggle"]');
    const rows = page.locator(rowSelector);
    await until(
      'the first page',
      () => rows.count(),
      (n) => n === 30,
    );
    const titles = () => page.locator(`${rowSelector} .chat-title`).allTextContents();
    expect((await titles()).slice(0, 4)).toEqual([
      'kitchen lights',
      'weekly menu',
      'what to plant: tomatoes',
      'Old 0',
    ]);
    // The open conversation is marked.
    expect(await rows.nth(1).getAttribute('aria-current')).toBe('true');
    expect(await rows.first().getAttribute('aria-current')).toBe(null);

    await page.click('[data-testid="conversation-more"]');
    await until(
      'the second page',
      () => rows.count(),
      (n) => n === 36,
    );
    expect((await titles()).at(-1)).toBe('Old 32');
    expect(await page.locator('[data-testid="conversation-more"]').isVisible()).toBe(false);

    // Opening one: the panel closes, the page shows it and remembers it.
    await page.click(`${rowSelector}[data-conversation-id="${ids['kitchen lights']}"]`);
    expect(await panel.isVisible()).toBe(false);
    await until(
      'its messages',
      () => texts(page, userSelector),
      (t) => t[0] === 'kitchen lights',
    );
    expect(await storedConversation(page)).toBe(ids['kitchen lights']);
    expect(new URL(page.url()).searchParams.get('c')).toBe(ids['kitchen lights']);
    expect(sent.filter((f) => f.type === 'unsubscribe').at(-1)).toMatchObject({
      conversationId: ids['weekly menu'],
    });
    // Nothing of it was in this tab, so it starts from a snapshot.
    expect(sent.filter((f) => f.type === 'subscribe').at(-1)).toEqual({
      type: 'subscribe',
      conversationId: ids['kitchen lights'],
      id: expect.any(String),
    });

    // Search finds message text, and shows where it matched.
    await page.click('[data-testid="conversations-toggle"]');
    await page.fill('[data-testid="conversation-search"]', 'porch');
    await until('the search', titles, (t) => t.length === 1 && t[0] === 'kitchen lights');
    const snippets = () => page.locator('.chat-snippet').allTextContents();
    expect((await snippets())[0]).toContain('porch lamp');
    // A title match lists the conversation once, with its message match's text.
    await page.fill('[data-testid="conversation-search"]', 'tomatoes');
    await until('the search', titles, (t) => t.length === 1 && t[0] === 'what to plant: tomatoes');
    expect(await snippets()).toEqual([expect.stringContaining('tomatoes')]);
    await page.fill('[data-testid="conversation-search"]', 'nothing like this');
    await until(
      'no match',
      () => rows.count(),
      (n) => n === 0,
    );
    expect(await page.locator('[data-testid="conversation-status"]').textContent()).toBe(
      'Nothing matches.',
    );
    await page.fill('[data-testid="conversation-search"]', 'plant');
    await until('the search', titles, (t) => t.length === 1);
    await rows.first().click();
    await until(
      'its messages',
      () => texts(page, userSelector),
      (t) => t[0] === 'what to plant: tomatoes',
    );

    // Back to the first one: this tab kept its view, so it resumes from its seq.
    await page.click('[data-testid="conversations-toggle"]');
    await page.fill('[data-testid="conversation-search"]', '');
    await until(
      'the list',
      () => rows.count(),
      (n) => n === 30,
    );
    await page.click(`${rowSelector}[data-conversation-id="${ids['weekly menu']}"]`);
    await until(
      'its messages',
      () => texts(page, userSelector),
      (t) => t[0] === 'weekly menu',
    );
    const resumed = sent.filter((f) => f.type === 'subscribe').at(-1);
    expect(resumed).toMatchObject({
      conversationId: ids['weekly menu'],
      afterSeq: expect.any(Number),
    });
    expect(received.filter((f) => f.type === 'snapshot').length).toBe(3);
    expect(problems).toEqual([]);
  });
});
