import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MediaStore } from './media-store.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-media-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('MediaStore', () => {
  it('names images by the hash of their bytes and keeps each once', async () => {
    const store = new MediaStore({ dataDir: dir });
    const bytes = Uint8Array.of(1, 2, 3);
    const first = await store.put(bytes, 'image/png');
    const again = await store.put(bytes, 'image/png');
    expect(first).toEqual(again);
    expect(first.name).toBe('039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81.png');
    expect(await readdir(join(dir, 'media'))).toEqual([first.name]);
    expect(await store.get(first.name)).toEqual({
      data: Buffer.from(bytes),
      mediaType: 'image/png',
    });
  });

  it('refuses unknown types and answers nothing for names that are not stored images', async () => {
    const store = new MediaStore({ dataDir: dir });
    await expect(store.put(Uint8Array.of(1), 'image/svg+xml')).rejects.toMatchObject({
      code: 'provider_error',
    });
    expect(await store.get('../hearth.db')).toBeUndefined();
    expect(await store.get(`${'a'.repeat(64)}.png`)).toBeUndefined();
    expect(await store.get(`${'a'.repeat(64)}.exe`)).toBeUndefined();
  });
});
