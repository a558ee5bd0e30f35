/**
 * Launches the system Chromium headless through playwright-core, for tests of the web page.
 * A missing browser is a failure with a clear message, never a skip.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type ConsoleMessage,
  type Page,
} from 'playwright-core';

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

/** A JSON frame as the page sent or received it. */
export type Frame = Record<string, any>;

export interface OpenedPage {
  page: Page;
  /** Frames the page sent and received, over every socket it opened, in order. */
  sent: Frame[];
  received: Frame[];
  problems: string[];
}

/** Opens `url` in a new tab of `context`, recording its WebSocket frames and its problems. */
export async function openPage(context: BrowserContext, url: string): Promise<OpenedPage> {
  const page = await context.newPage();
  const sent: Frame[] = [];
  const received: Frame[] = [];
  page.on('websocket', (socket) => {
    socket.on('framesent', ({ payload }) => sent.push(JSON.parse(String(payload))));
    socket.on('framereceived', ({ payload }) => received.push(JSON.parse(String(payload))));
  });
  const problems = watchPageProblems(page);
  await page.goto(url);
  return { page, sent, received, problems };
}

/** Waits until the page says it is connected (its hello was answered). */
export async function waitConnected(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid="connection-state"][data-state="connected"]');
}

/** Polls `probe` until `ok` holds, failing with the last value seen. */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const assistantSelector = '[data-testid="message"][data-role="assistant"]';
export const userSelector = '[data-testid="message"][data-role="user"]';

/** The text parts of the messages `selector` matches, in order. */
export async function texts(page: Page, selector: string): Promise<string[]> {
  return page.locator(`${selector} [data-testid="message-text"]`).allTextContents();
}

/** The conversation the page remembers. */
export async function storedConversation(page: Page): Promise<string | null> {
  return page.evaluate<string | null>('localStorage.getItem("hearth.conversation")');
}

/** Types `text` into the composer and presses Send. */
export async function send(page: Page, text: string): Promise<void> {
  await page.fill('[data-testid="composer"]', text);
  await page.click('[data-testid="send"]');
}

/**
 * The parts of the last assistant reply, in order, as `kind[state]: text`: text parts, tool
 * lines (`tool-call[ok|error|pending]`) and images (`message-image[preview|final]`).
 */
export async function replyParts(page: Page, selector = assistantSelector): Promise<string[]> {
  const bodies = page.locator(`${selector} [data-testid="message-body"]`);
  return bodies.last().evaluate((body) =>
    [...body.children].map((element) => {
      const kind = element.getAttribute('data-testid') ?? element.tagName;
      if (kind === 'tool-call') {
        return `${kind}[${element.getAttribute('data-state')}]: ${element.querySelector('summary')?.textContent ?? ''}`;
      }
      if (kind === 'message-image') {
        const preview = element.getAttribute('data-preview') === 'true';
        return `${kind}[${preview ? 'preview' : 'final'}]`;
      }
      return `${kind}: ${element.textContent ?? ''}`;
    }),
  );
}

/**
 * One Chromium for a test file: launched before its tests, closed after them. Returns a maker
 * of fresh contexts (900 px wide), to be disposed by each test.
 */
export function useBrowser(): (height?: number) => Promise<BrowserContext> {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
  });
  return async (height = 800) => {
    if (!browser) throw new Error('Chromium did not start');
    return browser.newContext({ viewport: { width: 900, height } });
  };
}
