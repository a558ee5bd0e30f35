/**
 * Launches the system Chromium headless through playwright-core, for tests of the web page.
 * A missing browser is a failure with a clear message, never a skip.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

/** Where Chromium lives; `HEARTH_CHROMIUM` overrides it. */
export const chromiumPath = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium';

const chromiumArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts Chromium; dispose it (`await using`) or call `close()` when done. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is needed for the browser tests and was not found at ${chromiumPath}. ` +
        'Install it (apt-get install chromium) or point HEARTH_CHROMIUM at a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 30_000 });
}

/**
 * Collects what would show up as a problem in the page's console: uncaught errors, console
 * errors (such as CSP refusals) and failed requests.
 */
export function watchPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) =>
    problems.push(`requestfailed: ${request.url()} ${request.failure()?.errorText ?? ''}`),
  );
  return problems;
}
