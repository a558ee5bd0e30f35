/**
 * The page's MCP servers panel in a real Chromium: an admin sees every configured server and
 * switches one OFF and ON; the change reaches another open page through `mcp.servers`; a user
 * token sees no panel.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mcpExtension } from '../../src/extensions/mcp.ts';
import { stdioFixture } from '../mcp/upstream-support.ts';
import { openPage, useBrowser, waitConnected } from '../support/browser.ts';
import { adminToken, startTestHearth, userToken } from '../support/hearth-fixture.ts';

const newContext = useBrowser();
const fx = '[data-testid="mcp-server"][data-server="fx"]';

describe('MCP servers panel', () => {
  it('lets an admin switch a server off and on, live on every page; users see no panel', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-mcp-page-'));
    try {
      const file = join(dir, 'servers.json');
      await writeFile(
        file,
        JSON.stringify({ mcpServers: { fx: stdioFixture('fx'), fy: stdioFixture('fy') } }),
      );
      await using hearth = await startTestHearth({
        extensions: [mcpExtension({ healthEveryMs: 60_000 })],
        config: { mcp: { serversFile: file } },
      });
      await using context = await newContext();
      const admin = await openPage(context, `${hearth.url}/#token=${adminToken}`);
      await waitConnected(admin.page);
      await admin.page.click('[data-testid="mcp-servers-toggle"]');
      await admin.page.waitForSelector(
        `${fx} [data-testid="mcp-server-switch"][aria-checked="true"]`,
      );
      expect(await admin.page.locator('[data-testid="mcp-server"]').count()).toBe(2);

      await using other = await newContext();
      const watcher = await openPage(other, `${hearth.url}/#token=${adminToken}`);
      await waitConnected(watcher.page);
      await watcher.page.click('[data-testid="mcp-servers-toggle"]');

      await admin.page.click(`${fx} [data-testid="mcp-server-switch"]`);
      for (const page of [admin.page, watcher.page]) {
        await page.waitForSelector(`${fx}[data-state="off"] [aria-checked="false"]`);
      }
      await admin.page.click(`${fx} [data-testid="mcp-server-switch"]`);
      await watcher.page.waitForSelector(
        `${fx} [data-testid="mcp-server-switch"][aria-checked="true"]`,
      );
      expect(admin.problems).toEqual([]);

      await using third = await newContext();
      const user = await openPage(third, `${hearth.url}/#token=${userToken}`);
      await waitConnected(user.page);
      expect(await user.page.isHidden('[data-testid="mcp-servers-toggle"]')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
