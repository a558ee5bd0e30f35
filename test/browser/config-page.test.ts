/**
 * The page follows configuration changes live: a profile added over the REST API appears in the
 * picker of an open page without a reload, through `config.changed`.
 */
import { describe, expect, it } from 'vitest';
import { startOpenAIDouble } from '../doubles/openai-double.ts';
import { openPage, until, useBrowser, waitConnected } from '../support/browser.ts';
import { adminToken, startTestHearth } from '../support/hearth-fixture.ts';

const newContext = useBrowser();

describe('configuration changes in the page', () => {
  it('shows a profile added over the REST API without a reload', async () => {
    await using double = await startOpenAIDouble();
    await using h = await startTestHearth({ providerBaseURL: double.baseURL });
    const context = await newContext();
    try {
      const { page, problems } = await openPage(context, `${h.url}/#token=${adminToken}`);
      await waitConnected(page);
      const options = () => page.locator('[data-testid="profile-select"] option').allTextContents();
      expect(await options()).not.toContain('Kids');
      const response = await fetch(`${h.url}/api/v1/profiles/kids`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'double', model: 'kid-model', label: 'Kids' }),
      });
      expect(response.status).toBe(200);
      await until('the new profile in the picker', options, (labels) => labels.includes('Kids'));
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
