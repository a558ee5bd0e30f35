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
    // A tiny replay log, so that a client away for one turn comes back to a snapshot.
    await using hearth = await startTestHearth({
      providerBaseURL: double.baseURL,
      config: { stream: { replayEvents: 2 } },
    });
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

    const count = () => page.locator(messageSelector).count();
    /** Loads one more page; the message first on screen before must not move. */
    async function loadPage(total: number): Promise<string | null> {
      const firstId = await page.locator(messageSelector).first().getAttribute('data-message-id');
      const first = page.locator(`${messageSelector}[data-message-id="${firstId}"]`);
      await first.scrollIntoViewIfNeeded();
      const topBefore = (await first.boundingBox())?.y ?? NaN;
      await earlier.click();
      await until(`${total} messages`, count, (n) => n === total);
      const topAfter = (await first.boundingBox())?.y ?? NaN;
      expect(Math.abs(topAfter - topBefore)).toBeLessThanOrEqual(2);
      return firstId;
    }
    const firstId = await loadPage(200);
    expect(await earlier.textContent()).toBe('Show 102 earlier messages');
    await loadPage(300);
    expect(await earlier.textContent()).toBe('Show 2 earlier messages');
    // The last page also hides the button above, and still nothing moves.
    await loadPage(302);
    expect(await earlier.isVisible()).toBe(false);
    const users = await texts(page, userSelector);
    expect(users).toEqual(['q0', ...Array.from({ length: 150 }, (_, i) => `s${i}`)]);
    const asked = sent.filter((f) => f.type === 'history');
    expect(asked).toHaveLength(3);
    expect(asked[0]).toMatchObject({ conversationId, before: firstId });

    // Away while a turn runs elsewhere, the page comes back to a snapshot of the newest 100
    // messages, which joins the pages it loaded: it keeps all of them.
    hearth.hearth.gateway.closeSessions('testing a snapshot after a drop');
    {
      await using other = await connectClient(hearth.wsUrl, adminToken);
      double.enqueue({ type: 'text', chunks: ['a ', 'b ', 'c ', 'd ', 'e ', 'f '], delayMs: 5 });
      const ack = await other.request({
        type: 'chat.send',
        conversationId,
        content: [{ type: 'text', text: 'while away' }],
      });
      await other.waitFor((f) => f.type === 'turn.done' && f.turnId === ack.turnId);
    }
    const snapshots = () => Promise.resolve(received.filter((f) => f.type === 'snapshot'));
    await until('the snapshot after the drop', snapshots, (all) => all.length === 2);
    await until('the new turn', count, (n) => n === 304);
    expect((await snapshots()).at(-1)?.earlier).toBe(204);
    expect(await earlier.isVisible()).toBe(false);
    const after = await texts(page, userSelector);
    expect(after.slice(0, 2)).toEqual(['q0', 's0']);
    expect(after.at(-1)).toBe('while away');

    // A reload keeps every loaded message (the saved view), and resumes instead of paging.
    await page.reload();
    await waitConnected(page);
    await until('the restored view', count, (n) => n === 304);
    expect(await earlier.isVisible()).toBe(false);
    expect(problems).toEqual([]);
  });
});
