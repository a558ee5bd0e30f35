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
import { startTestCluster } from '../support/cluster-fixture.ts';
import { addStoredConversations } from '../support/stored-turns.ts';
import { connectClient } from '../support/ws-client.ts';

const newContext = useBrowser();
const rowSelector = '[data-testid="conversation"]';
const hostile = '<img src=x onerror="window.__injected = 1">';

describe('web page, conversations panel', () => {
  it('lists, pages, searches and opens conversations', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    addStoredConversations(hearth.dataDir, 32);
    const ids: Record<string, string> = {};
    {
      await using client = await connectClient(hearth.wsUrl, adminToken);
      const say = async (text: string, more: Record<string, unknown> = {}) => {
        const ack = await client.request({
          type: 'chat.send',
          content: [{ type: 'text', text }],
          ...more,
        });
        await client.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
        return ack.conversationId as string;
      };
      ids.kitchen = await say('kitchen lights', { profile: 'second' });
      ids.garden = await say('what to plant: tomatoes');
      ids.hostile = await say(hostile);
      ids.menu = await say('weekly menu');
      // A second message: its words are in no title.
      await say('and the porch lamp', { conversationId: ids.kitchen });
    }

    await using context = await newContext();
    const { page, sent, received, problems } = await openPage(
      context,
      `${hearth.url}/?c=${ids.menu}#token=${adminToken}`,
    );
    await waitConnected(page);
    const panel = page.locator('[data-testid="conversations"]');
    const toggle = page.locator('[data-testid="conversations-toggle"]');
    const search = page.locator('[data-testid="conversation-search"]');
    const status = page.locator('[data-testid="conversation-status"]');
    const rows = page.locator(rowSelector);
    const titles = () => page.locator(`${rowSelector} .chat-title`).allTextContents();
    const snippets = () => page.locator(`${rowSelector} .chat-snippet`).allTextContents();
    const row = (id: string | undefined) =>
      page.locator(`${rowSelector}[data-conversation-id="${id}"]`);
    const users = () => texts(page, userSelector);
    expect(await panel.isVisible()).toBe(false);

    await toggle.click();
    await until(
      'the first page',
      () => rows.count(),
      (n) => n === 30,
    );
    expect((await titles()).slice(0, 5)).toEqual([
      'kitchen lights',
      'weekly menu',
      hostile,
      'what to plant: tomatoes',
      'Old 0',
    ]);
    // Text from the server is shown as text, never run.
    expect(await page.evaluate('window.__injected')).toBeUndefined();
    // The open conversation is marked.
    expect(await row(ids.menu).getAttribute('aria-current')).toBe('true');
    expect(await rows.first().getAttribute('aria-current')).toBe(null);

    await page.click('[data-testid="conversation-more"]');
    await until(
      'the second page',
      () => rows.count(),
      (n) => n === 36,
    );
    expect((await titles()).at(-1)).toBe('Old 31');
    expect(await page.locator('[data-testid="conversation-more"]').isVisible()).toBe(false);

    // Opening one: the panel closes, the page shows it, remembers it and marks it.
    await row(ids.kitchen).click();
    expect(await panel.isVisible()).toBe(false);
    await until('its messages', users, (t) => t.join() === 'kitchen lights,and the porch lamp');
    expect(await storedConversation(page)).toBe(ids.kitchen);
    expect(new URL(page.url()).searchParams.get('c')).toBe(ids.kitchen);
    expect(await page.inputValue('[data-testid="profile-select"]')).toBe('second');
    expect(sent.filter((f) => f.type === 'unsubscribe').at(-1)).toMatchObject({
      conversationId: ids.menu,
    });
    // Nothing of it was in this tab, so it starts from a snapshot.
    expect(sent.filter((f) => f.type === 'subscribe').at(-1)).toEqual({
      type: 'subscribe',
      conversationId: ids.kitchen,
      id: expect.any(String),
    });

    // Search finds message text, and shows where it matched.
    await toggle.click();
    expect(await row(ids.kitchen).getAttribute('aria-current')).toBe('true');
    await search.fill('porch');
    await until('the search', titles, (t) => t.join() === 'kitchen lights');
    expect(await snippets()).toEqual([expect.stringContaining('porch lamp')]);
    // A title match lists the conversation once, with a message's text that says more.
    await search.fill('tomatoes');
    await until('the search', titles, (t) => t.join() === 'what to plant: tomatoes');
    expect(await snippets()).toEqual(['Echo: what to plant: tomatoes']);
    await search.fill('nothing like this');
    const shownStatus = async () => ((await status.isVisible()) ? status.textContent() : null);
    await until('no match', shownStatus, (text) => text === 'Nothing matches.');
    expect(await rows.count()).toBe(0);
    await search.fill('plant');
    await until('the search', titles, (t) => t.length === 1);
    await rows.first().click();
    await until('its messages', users, (t) => t.join() === 'what to plant: tomatoes');
    expect(await page.inputValue('[data-testid="profile-select"]')).toBe('default');

    // Back to the first one: this tab kept its view, so it resumes from its seq, with its own
    // profile picked again although no snapshot comes.
    await toggle.click();
    await search.fill('');
    await until(
      'the list',
      () => rows.count(),
      (n) => n === 30,
    );
    await row(ids.kitchen).click();
    await until('its messages', users, (t) => t.join() === 'kitchen lights,and the porch lamp');
    const resumed = sent.filter((f) => f.type === 'subscribe').at(-1);
    expect(resumed).toMatchObject({ conversationId: ids.kitchen, afterSeq: expect.any(Number) });
    expect(received.filter((f) => f.type === 'snapshot').length).toBe(3);
    expect(await page.inputValue('[data-testid="profile-select"]')).toBe('second');

    // Signing out leaves nothing of the list on screen.
    await toggle.click();
    await until(
      'the list',
      () => rows.count(),
      (n) => n === 30,
    );
    await page.click('[data-testid="forget-token"]');
    expect(await toggle.isVisible()).toBe(false);
    expect(await panel.isVisible()).toBe(false);
    expect(await rows.count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('renames, and after asking deletes, a conversation for every screen showing it', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    const ids: Record<string, string> = {};
    {
      await using client = await connectClient(hearth.wsUrl, adminToken);
      for (const text of ['keep this one', 'delete this one']) {
        const ack = await client.request({ type: 'chat.send', content: [{ type: 'text', text }] });
        await client.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
        ids[text] = ack.conversationId;
      }
    }
    // Two screens, each in its own window (a background tab's timers would be throttled).
    await using context = await newContext();
    await using otherContext = await newContext();
    const url = `${hearth.url}/?c=${ids['delete this one']}#token=${adminToken}`;
    const first = await openPage(context, url);
    const second = await openPage(otherContext, url);
    for (const { page } of [first, second]) {
      await waitConnected(page);
      await until(
        'the conversation',
        () => texts(page, userSelector),
        (t) => t.length === 1,
      );
    }
    const { page } = first;
    const rows = page.locator(rowSelector);
    const row = (text: string) =>
      page.locator('li', { has: page.locator(`[data-conversation-id="${ids[text]}"]`) });
    const panelRowsTitles = () => page.locator(`${rowSelector} .chat-title`).allTextContents();
    const panel = page.locator('[data-testid="conversations"]');
    await page.click('[data-testid="conversations-toggle"]');
    await until(
      'the list',
      () => rows.count(),
      (n) => n === 2,
    );

    // A new title, from the list; Escape leaves it alone, and focus returns to Rename.
    const input = page.locator('[data-testid="conversation-title-input"]');
    const focused = () =>
      page.evaluate<string | null>('document.activeElement?.getAttribute("data-testid")');
    await row('delete this one').locator('[data-testid="conversation-rename"]').click();
    await input.fill('Not this');
    await input.press('Escape');
    expect(await input.count()).toBe(0);
    expect(await focused()).toBe('conversation-rename');
    expect(await panel.isVisible()).toBe(true);
    expect(await panelRowsTitles()).toEqual(['delete this one', 'keep this one']);

    // This screen moves to the other conversation, keeping its view of the first.
    await row('keep this one').locator(rowSelector).click();
    await until(
      'the other one',
      () => texts(page, userSelector),
      (t) => t.join() === 'keep this one',
    );
    await page.click('[data-testid="conversations-toggle"]');
    await until(
      'the list',
      () => rows.count(),
      (n) => n === 2,
    );
    await row('delete this one').locator('[data-testid="conversation-rename"]').click();
    expect(await input.inputValue()).toBe('delete this one');
    await input.fill('  Soon');
    // Another screen renames the other conversation meanwhile: the list redraws, and what was
    // typed stays, with the focus.
    const patched = await fetch(`${hearth.url}/api/v1/conversations/${ids['keep this one']}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Kept here' }),
    });
    expect(patched.status).toBe(200);
    await until(
      'the other title',
      () => row('keep this one').locator('.chat-title').textContent(),
      (t) => t === 'Kept here',
    );
    expect(await input.inputValue()).toBe('  Soon');
    expect(await focused()).toBe('conversation-title-input');
    await input.press('End');
    await input.pressSequentially(' gone ');
    await input.press('Enter');
    // Every screen showing a conversation shows its new title.
    const titleOf = (opened: { page: typeof page }) =>
      opened.page.locator('[data-testid="conversation-title"]');
    await until(
      'the new title',
      () => titleOf(second).textContent(),
      (t) => t === 'Soon gone',
    );
    await until(
      'the other title',
      () => titleOf(first).textContent(),
      (t) => t === 'Kept here',
    );
    expect(await panelRowsTitles()).toEqual(['Soon gone', 'Kept here']);
    // Back to the renamed one: a resume, with no snapshot, and still its new title.
    const snapshots = first.received.filter((f) => f.type === 'snapshot').length;
    await row('delete this one').locator(rowSelector).click();
    await until(
      'it again',
      () => texts(page, userSelector),
      (t) => t.join() === 'delete this one',
    );
    expect(first.sent.filter((f) => f.type === 'subscribe').at(-1)?.afterSeq).toEqual(
      expect.any(Number),
    );
    expect(first.received.filter((f) => f.type === 'snapshot').length).toBe(snapshots);
    expect(await titleOf(first).textContent()).toBe('Soon gone');
    await page.click('[data-testid="conversations-toggle"]');
    await until(
      'the list',
      () => rows.count(),
      (n) => n === 2,
    );

    // Asked first; "Keep" keeps it.
    await row('delete this one').locator('[data-testid="conversation-delete"]').click();
    await row('delete this one').locator('[data-testid="conversation-delete-cancel"]').click();
    expect(await rows.count()).toBe(2);
    expect(
      await row('delete this one').locator('[data-testid="conversation-delete"]').isVisible(),
    ).toBe(true);

    await row('delete this one').locator('[data-testid="conversation-delete"]').click();
    await row('delete this one').locator('[data-testid="conversation-delete-confirm"]').click();
    await until(
      'the row gone',
      () => rows.count(),
      (n) => n === 1,
    );
    const gone = await fetch(`${hearth.url}/api/v1/conversations/${ids['delete this one']}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(gone.status).toBe(404);

    // Both screens showed it: both drop it, say why, and start afresh.
    for (const opened of [first, second]) {
      await until(
        'the notice',
        () => opened.page.locator('[data-testid="notice"]').textContent(),
        (t) => (t ?? '').includes('This conversation was deleted.'),
      );
      expect(await texts(opened.page, userSelector)).toEqual([]);
      expect(new URL(opened.page.url()).searchParams.get('c')).toBe(null);
      expect(opened.received.filter((f) => f.type === 'conversation.deleted')).toEqual([
        { type: 'conversation.deleted', conversationId: ids['delete this one'] },
      ]);
      expect(opened.problems).toEqual([]);
    }
    // A reload does not bring it back.
    await page.reload();
    await waitConnected(page);
    expect(await texts(page, userSelector)).toEqual([]);
  });

  it('works on a gateway of a split Hearth, through the central service', async () => {
    await using double = await startOpenAIDouble();
    const cluster = await startTestCluster({ providerBaseURL: double.baseURL });
    try {
      {
        await using client = await connectClient(cluster.wsUrls[0]!, adminToken);
        await client.request({ type: 'chat.send', content: [{ type: 'text', text: 'from one' }] });
        await client.waitFor((f) => f.type === 'turn.done');
      }
      const base = cluster.wsUrls[1]!.replace(/^ws/, 'http').replace(/\/ws$/, '');
      await using context = await newContext();
      // An admin's page also asks for the MCP servers: passed on as well, so nothing fails.
      const { page, problems } = await openPage(context, `${base}/#token=${adminToken}`);
      await waitConnected(page);
      const toggle = page.locator('[data-testid="conversations-toggle"]');
      await until(
        'the toggle',
        () => toggle.isVisible(),
        (shown) => shown,
      );
      await toggle.click();
      await until(
        'the list',
        () => page.locator(`${rowSelector} .chat-title`).allTextContents(),
        (t) => t.join() === 'from one',
      );
      await page.locator(rowSelector).first().click();
      await until(
        'its messages',
        () => texts(page, userSelector),
        (t) => t.join() === 'from one',
      );
      expect(problems).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });
});
