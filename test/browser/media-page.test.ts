/**
 * Images in the web page, in a real headless Chromium against a real Hearth and the image
 * doubles: the picker's Chat and Image groups, `image.generate` from the composer, previews
 * replaced in place by the final image, images fetched with the token and shown as blob URLs
 * (the page's CSP allows nothing else), and image generation without a chat provider.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { setupHint } from '../../src/router/profiles.ts';
import { previewColors, startAutomatic1111Double } from '../doubles/automatic1111-double.ts';
import { startOpenAIDouble } from '../doubles/openai-double.ts';
import { imageColors, startOpenAIImagesDouble } from '../doubles/openai-images-double.ts';
import type { Rgb } from '../doubles/png.ts';
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

const finalImage = '[data-testid="message-image"][data-preview="false"][data-state="shown"] img';

/** What the page shows of an image: its src, natural size and top-left pixel. */
interface ShownImage {
  src: string;
  width: number;
  height: number;
  color: Rgb;
}

async function shownImage(page: Page, selector = finalImage): Promise<ShownImage> {
  return page
    .locator(selector)
    .last()
    .evaluate((img: any) => {
      const canvas = (globalThis as any).document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const context = canvas.getContext('2d');
      context.drawImage(img, 0, 0);
      const [r, g, b] = context.getImageData(0, 0, 1, 1).data;
      return {
        src: String(img.src),
        width: Number(img.naturalWidth),
        height: Number(img.naturalHeight),
        color: [r, g, b] as Rgb,
      };
    });
}

/** Records every picture the page puts on screen, with whether it was a preview. */
async function recordPicturesShown(page: Page): Promise<void> {
  await page.evaluate(() => {
    const global = globalThis as any;
    global.__picturesShown = [];
    const observer = new global.MutationObserver((records: any[]) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.tagName !== 'IMG' || !node.src) continue;
          global.__picturesShown.push({
            preview: node.closest('figure')?.getAttribute('data-preview') === 'true',
            src: String(node.src),
            width: Number(node.naturalWidth),
          });
        }
      }
    });
    observer.observe(global.document.getElementById('messages'), {
      childList: true,
      subtree: true,
    });
  });
}

async function picturesShown(
  page: Page,
): Promise<Array<{ preview: boolean; src: string; width: number }>> {
  return page.evaluate('globalThis.__picturesShown');
}

async function pickProfile(page: Page, id: string): Promise<void> {
  await page.selectOption('[data-testid="profile-select"]', id);
}

/** The picker's groups and their options, as `Group: id, id`. */
async function pickerGroups(page: Page): Promise<string[]> {
  return page.locator('[data-testid="profile-select"] optgroup').evaluateAll((groups) =>
    groups.map((group: any) => {
      const ids = [...group.querySelectorAll('option')].map((option: any) => option.value);
      return `${group.label}: ${ids.join(', ')}`;
    }),
  );
}

describe('web page images', () => {
  it('creates an image with an image profile when no chat provider is set up', async () => {
    await using double = await startOpenAIImagesDouble({ apiKey: 'sk-img' });
    await using hearth = await startTestHearth({
      providerKeys: { images: 'sk-img' },
      config: {
        providers: {
          images: { kind: 'openai-images', baseURL: double.baseURL, apiKeyEnv: 'OPENAI_API_KEY' },
        },
        profiles: { paint: { provider: 'images', model: 'gpt-image-1', label: 'Paint' } },
      },
    });
    await using context = await newContext();
    double.enqueue({ type: 'image', partials: 2, delayMs: 40 });
    const { page, sent, problems } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);

    // Chat is not set up, and the page says so, but offers images.
    const setup = page.locator('[data-testid="setup-message"]');
    await setup.waitFor();
    // The server's hint, its `code` spans shown as code.
    expect(await setup.textContent()).toContain(setupHint.replaceAll('`', ''));
    expect(await page.locator('[data-testid="setup-images"]').isVisible()).toBe(true);
    expect(await pickerGroups(page)).toEqual(['Image: paint']);
    expect(await page.inputValue('[data-testid="profile-select"]')).toBe('paint');
    const composer = page.locator('[data-testid="composer"]');
    expect(await composer.isVisible()).toBe(true);
    expect(await composer.getAttribute('placeholder')).toBe('Describe an image…');
    expect(await page.locator('[data-testid="send"]').textContent()).toContain('Create');

    await send(page, 'a red fox in snow');
    await page.waitForSelector(`${assistantSelector}[data-status="complete"]`);
    await page.waitForSelector(finalImage);
    expect(sent.find((f) => f.type === 'image.generate')).toMatchObject({
      profile: 'paint',
      prompt: 'a red fox in snow',
    });
    expect(sent.find((f) => f.type === 'image.generate')?.conversationId).toBeUndefined();
    expect(sent.some((f) => f.type === 'chat.send')).toBe(false);
    expect(await texts(page, userSelector)).toEqual(['a red fox in snow']);

    const image = await shownImage(page);
    expect(image.src).toMatch(/^blob:/);
    expect(image.width).toBeGreaterThan(0);
    expect(image.color).toEqual(imageColors.final);
    expect(await replyParts(page)).toEqual(['message-image[final]']);
    expect(await page.locator(`${finalImage}`).getAttribute('alt')).toBe(
      'Image: a red fox in snow',
    );

    // After a reload the saved view shows it again, fetched anew.
    const conversationId = await storedConversation(page);
    await page.reload();
    await waitConnected(page);
    await page.waitForSelector(finalImage);
    expect(await storedConversation(page)).toBe(conversationId);
    expect(await replyParts(page)).toEqual(['message-image[final]']);
    const again = await shownImage(page);
    expect(again.src).toMatch(/^blob:/);
    expect(again.color).toEqual(imageColors.final);
    expect(problems).toEqual([]);
  });

  it('shows a tool turn and an image turn in one conversation, and after a reload', async () => {
    await using chat = await startOpenAIDouble();
    await using images = await startOpenAIImagesDouble({ apiKey: 'sk-img' });
    await using hearth = await startTestHearth({
      providerKeys: { images: 'sk-img' },
      config: {
        providers: {
          double: { kind: 'openai-compatible', baseURL: chat.baseURL },
          images: { kind: 'openai-images', baseURL: images.baseURL, apiKeyEnv: 'OPENAI_API_KEY' },
        },
        profiles: {
          default: { provider: 'double', model: 'test-model', tools: ['hearth__*'] },
          paint: { provider: 'images', model: 'gpt-image-1', label: 'Paint' },
        },
        defaultProfile: 'default',
      },
    });
    await using context = await newContext(1000);
    chat.enqueue(
      {
        type: 'tool-calls',
        calls: [{ id: 'call_a', name: 'hearth__calculator', arguments: '{"expression":"6*7"}' }],
      },
      { type: 'text', chunks: ['It is ', '42.'] },
    );
    images.enqueue({ type: 'image', partials: 1, delayMs: 30 });
    const { page, sent, problems } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);
    expect(await pickerGroups(page)).toEqual(['Chat: default', 'Image: paint']);
    expect(await page.inputValue('[data-testid="profile-select"]')).toBe('default');
    expect(await page.locator('[data-testid="setup-message"]').isVisible()).toBe(false);

    await send(page, 'What is 6 times 7?');
    await page.waitForSelector(`${assistantSelector}[data-status="complete"]`);
    const toolReply = ['tool-call[ok]: hearth__calculator(6*7) → 42', 'message-text: It is 42.'];
    expect(await replyParts(page)).toEqual(toolReply);

    await pickProfile(page, 'paint');
    expect(await page.getAttribute('[data-testid="composer"]', 'placeholder')).toBe(
      'Describe an image…',
    );
    await send(page, 'a lighthouse at dusk');
    await page.waitForSelector(finalImage);
    await until(
      'both replies complete',
      () => page.locator(`${assistantSelector}[data-status="complete"]`).count(),
      (n) => n === 2,
    );
    const conversationId = await storedConversation(page);
    expect(sent.find((f) => f.type === 'image.generate')).toMatchObject({
      conversationId,
      profile: 'paint',
      prompt: 'a lighthouse at dusk',
    });
    expect(await replyParts(page)).toEqual(['message-image[final]']);
    expect((await shownImage(page)).color).toEqual(imageColors.final);
    // The picker remembers the choice.
    expect(await page.evaluate('localStorage.getItem("hearth.profile")')).toBe('paint');
    await page.screenshot({ path: '/tmp/hearth-page-2.png' });

    await page.reload();
    await waitConnected(page);
    await page.waitForSelector(finalImage);
    expect(await page.locator('[data-testid="tool-call"]').count()).toBe(1);
    expect(await page.locator('[data-testid="message-image"]').count()).toBe(1);
    expect(await replyParts(page, `${assistantSelector}[data-kind="chat"]`)).toEqual(toolReply);
    expect(await replyParts(page)).toEqual(['message-image[final]']);
    expect(await texts(page, userSelector)).toEqual(['What is 6 times 7?', 'a lighthouse at dusk']);
    expect(await page.inputValue('[data-testid="profile-select"]')).toBe('paint');
    expect(problems).toEqual([]);
  });

  it('stops an image turn from the Stop button, keeping the last preview', async () => {
    await using sd = await startAutomatic1111Double({
      steps: 200,
      stepDelayMs: 25,
      holdPreviewsForPolls: 1,
    });
    await using hearth = await startTestHearth({
      config: {
        providers: { sd: { kind: 'automatic1111', baseURL: sd.baseURL, pollMs: 20 } },
        profiles: { sdxl: { provider: 'sd', model: 'default' } },
      },
    });
    await using context = await newContext();
    const { page, sent, problems } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);
    await send(page, 'a very slow lighthouse');
    await page.waitForSelector(
      '[data-testid="message-image"][data-preview="true"][data-state="shown"]',
    );
    await page.click('[data-testid="stop"]');
    const stopped = page.locator(`${assistantSelector}[data-status="cancelled"]`);
    await stopped.waitFor();
    expect(await stopped.locator('[data-testid="message-status"]').textContent()).toBe('Stopped');
    expect(await replyParts(page)).toEqual(['message-image[preview]']);
    expect(sent.find((f) => f.type === 'chat.cancel')?.turnId).toMatch(/.+/);
    expect(await page.locator('[data-testid="send"]').isVisible()).toBe(true);
    await sd.idle();
    expect(sd.interruptedJobs).toBe(1);
    expect(problems).toEqual([]);
  });

  it('shows AUTOMATIC1111 previews in place before the final image, and drops them', async () => {
    await using sd = await startAutomatic1111Double({
      steps: 6,
      stepDelayMs: 30,
      holdPreviewsForPolls: 2,
    });
    await using hearth = await startTestHearth({
      config: {
        providers: { sd: { kind: 'automatic1111', baseURL: sd.baseURL, pollMs: 20 } },
        profiles: { sdxl: { provider: 'sd', model: 'default', label: 'Stable Diffusion' } },
      },
    });
    await using context = await newContext();
    const { page, received, problems } = await openPage(
      context,
      `${hearth.url}/#token=${adminToken}`,
    );
    await waitConnected(page);
    await recordPicturesShown(page);
    await send(page, 'a lighthouse');

    // The reply streams as an image turn (a placeholder until the first preview); previews take
    // one place, and the final image takes theirs.
    await page.waitForSelector(`${assistantSelector}[data-kind="image"][data-status="streaming"]`);
    await page.waitForSelector(finalImage);
    await page.waitForSelector(`${assistantSelector}[data-status="complete"]`);
    const partials = received.filter((f) => f.type === 'image.partial');
    expect(partials.length).toBeGreaterThan(0);
    const shown = await picturesShown(page);
    const firstFinal = shown.findIndex((picture) => !picture.preview);
    expect(firstFinal).toBeGreaterThan(0);
    expect(
      shown.slice(0, firstFinal).every((picture) => picture.preview && picture.width > 0),
    ).toBe(true);
    expect(shown.slice(firstFinal).every((picture) => !picture.preview)).toBe(true);
    expect(await page.locator('[data-testid="message-image"]').count()).toBe(1);
    expect(await replyParts(page)).toEqual(['message-image[final]']);
    const image = await shownImage(page);
    expect(image.src).toMatch(/^blob:/);
    expect(image.color).toEqual(previewColors.final);
    expect(problems).toEqual([]);

    // The previews' blob URLs were revoked once the final image replaced them.
    const previewSources = shown.filter((picture) => picture.preview).map((picture) => picture.src);
    expect(previewSources).not.toContain(image.src);
    for (const src of previewSources) {
      const outcome = await page.evaluate(
        async (url) =>
          fetch(url).then(
            () => 'alive',
            () => 'revoked',
          ),
        src,
      );
      expect(outcome).toBe('revoked');
    }
  });
});
