import { describe, expect, it } from 'vitest';
import type { CentralClient } from './central-client.ts';
import { RemoteTurnStore } from './remote-turn-store.ts';

/** A central service that answers every GET with `answer`, and records the paths asked. */
function central(answer: unknown) {
  const paths: string[] = [];
  const client = {
    get: (path: string) => {
      paths.push(path);
      return Promise.resolve(answer);
    },
  };
  return { store: new RemoteTurnStore(client as unknown as CentralClient), paths };
}

const conversation = { id: 'c 1', title: 't', profile: null, createdAt: '', updatedAt: '' };

describe('RemoteTurnStore pages', () => {
  it('asks the central service for a page and passes it on', async () => {
    const page = { conversation, messages: [], earlier: 3 };
    const { store, paths } = central(page);
    expect(await store.detail('c 1', 5)).toEqual(page);
    expect(await store.detail('c 1')).toEqual(page);
    expect(await store.page('c 1', 'm&1', 7)).toEqual(page);
    expect(paths).toEqual([
      '/conversations/c%201?limit=5',
      '/conversations/c%201?limit=100',
      '/conversations/c%201?before=m%261&limit=7',
    ]);
  });

  it('refuses the whole conversation an older central service answers instead of a page', async () => {
    const { store } = central({ conversation, messages: [] });
    await expect(store.detail('c1', 5)).rejects.toMatchObject({ code: 'unavailable' });
    await expect(store.page('c1', 'm1', 5)).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('upgrade'),
    });
  });
});
