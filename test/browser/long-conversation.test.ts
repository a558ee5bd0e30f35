/**
 * A long conversation in the web page: it opens on the newest messages of the snapshot and
 * loads earlier ones a page at a time, keeping the view where it was.
 */
import { describe, expect, it } from 'vitest';
import { startOpenAIDouble } from '../doubles/openai-double.ts';
import {
  openPage,
  texts,
  until,
  useBrowser,
  userSelector,
  waitConnected,
} from '../support/browser.ts';
import { adminToken, startTestHearth } from '../support/hearth-fixture.ts';
import { appendStoredTurns } from '../support/stored-turns.ts';
import { connectClient } from '../support/ws-client.ts';

const newContext = useBrowser();
const messageSelector = '[data-testid="message"]';

describe('web page, long conversation', () => {
  it('shows the newest messages and loads earlier ones on request, keeping its place', async () => {
    await using double = await startOpenAIDouble();
    await using hearth = await startTestHearth({ providerBaseURL: double.baseURL });
    let conversationId: string;
    {
      await using client = await connectClient(hearth.wsUrl, adminToken);
      const ack = await client.request({
        type: 'chat.send',
        content: [{ type: 'text', text: 'q0' }],
      });
      await client.waitFor((f) => f.type === 'turn.done');
      conversationId = ack.conversationId;
    }
    appendStoredTurns(hearth.dataDir, conversationId, 150, 'stored answer');

    await using context = await newContext();
    const { page, sent, received, problems } = await openPage(
      context,
      `${hearth.url}/?c=${conversationId}#token=${adminToken}`,
    );
    await waitConnected(page);
    const earlier = page.locator('[data-testid="earlier"]');
    await until(
      'the snapshot',
      () => page.locator(messageSelector).count(),
      (n) => n === 100,
    );
    expect(received.find((f) => f.type === 'snapshot')?.earlier).toBe(202);
    expect(await earlier.textContent()).toBe('Show 202 earlier messages');
    expect((await texts(page, userSelector)).at(-1)).toBe('s149');

    // The first message shown stays where it was on the screen while older ones load above.
    const firstId = await page.locator(messageSelector).first().getAttribute('data-message-id');
    const first = page.locator(`${messageSelector}[data-message-id="${firstId}"]`);
    await first.scrollIntoViewIfNeeded();
    const topBefore = (await first.boundingBox())?.y;
    await earlier.click();
    await until(
      'a page',
      () => page.locator(messageSelector).count(),
      (n) => n === 200,
    );
    expect(await earlier.textContent()).toBe('Show 102 earlier messages');
    const topAfter = (await first.boundingBox())?.y;
    expect(Math.abs((topAfter ?? 0) - (topBefore ?? 0))).toBeLessThanOrEqual(2);

    await earlier.click();
    await until(
      'a page',
      () => page.locator(messageSelector).count(),
      (n) => n === 300,
    );
    await earlier.click();
    await until(
      'the first',
      () => page.locator(messageSelector).count(),
      (n) => n === 302,
    );
    expect(await earlier.isVisible()).toBe(false);
    const users = await texts(page, userSelector);
    expect(users).toEqual(['q0', ...Array.from({ length: 150 }, (_, i) => `s${i}`)]);
    const asked = sent.filter((f) => f.type === 'history');
    expect(asked).toHaveLength(3);
    expect(asked[0]).toMatchObject({ conversationId, before: firstId });

    // A reload keeps every loaded message (the saved view), and resumes instead of paging.
    await page.reload();
    await waitConnected(page);
    await until(
      'the restored view',
      () => page.locator(messageSelector).count(),
      (n) => n === 302,
    );
    expect(await earlier.isVisible()).toBe(false);
    expect(problems).toEqual([]);
  });
});
