import type { CentralClient } from '../../mcp/service/client/central-client.ts';
import type { MediaStore } from '../../mcp/service/media/media-store.ts';
import type { MediaSource } from '../http/media-route.ts';

/**
 * Images on a split gateway: each one made here is kept by the central service before its URL
 * goes out, so any gateway can serve it; one asked for here and made elsewhere is fetched from
 * the central service once and kept in this gateway's data folder (names are content hashes,
 * so a kept copy never goes stale).
 */
export class ClusterMedia implements MediaSource {
  readonly #local: MediaStore;
  readonly #central: CentralClient;

  constructor(options: { local: MediaStore; central: CentralClient }) {
    this.#local = options.local;
    this.#central = options.central;
  }

  async put(data: Uint8Array, mediaType: string): Promise<{ url: string }> {
    const stored = await this.#local.put(data, mediaType);
    await this.#central.post('/cluster/media', {
      mediaType,
      data: Buffer.from(data).toString('base64'),
    });
    return { url: `/media/${stored.name}` };
  }

  async get(name: string): Promise<{ data: Buffer; mediaType: string } | undefined> {
    const local = await this.#local.get(name);
    if (local) return local;
    if (!/^[0-9a-f]{64}\.[a-z]{3,4}$/.test(name)) return undefined;
    const remote = await this.#central
      .get<{ mediaType: string; data: string }>(`/cluster/media/${name}`)
      .catch(() => undefined);
    if (!remote) return undefined;
    const data = Buffer.from(remote.data, 'base64');
    await this.#local.put(data, remote.mediaType);
    return { data, mediaType: remote.mediaType };
  }
}
