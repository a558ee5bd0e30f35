import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, HearthError } from '../../../common/errors.ts';

const extensions: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
};
const mediaTypes: Record<string, string> = Object.fromEntries(
  Object.entries(extensions).map(([type, ext]) => [ext, type]),
);

export interface StoredMedia {
  /** The name under /media/, e.g. `3f2a….png`: the SHA-256 of the bytes and the extension. */
  name: string;
  mediaType: string;
  bytes: number;
}

const namePattern = /^([0-9a-f]{64})\.(png|jpg|webp|gif)$/;

/**
 * Images in the data folder, named by the SHA-256 of their bytes, so the same image is kept
 * once and a name can never point at different bytes. Writes go through a temporary file and
 * a rename, so a reader never sees half an image.
 */
export class MediaStore {
  readonly #dir: string;

  constructor(options: { dataDir: string }) {
    this.#dir = join(options.dataDir, 'media');
  }

  async put(data: Uint8Array, mediaType: string): Promise<StoredMedia> {
    const extension = extensions[mediaType];
    // SVG and the like could carry script: only raster formats are kept and served.
    if (!extension)
      throw new HearthError(
        ErrorCode.providerError,
        `The provider sent an image of type ${mediaType}, which Hearth does not keep`,
      );
    const hash = createHash('sha256').update(data).digest('hex');
    const name = `${hash}.${extension}`;
    const file = join(this.#dir, name);
    const exists = await stat(file).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(this.#dir, { recursive: true });
      const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(temporary, data);
      await rename(temporary, file);
    }
    return { name, mediaType, bytes: data.byteLength };
  }

  /** The bytes and type of a stored name, or undefined for a name that is not a stored image. */
  async get(name: string): Promise<{ data: Buffer; mediaType: string } | undefined> {
    const match = namePattern.exec(name);
    if (!match) return undefined;
    const data = await readFile(join(this.#dir, name)).catch(() => undefined);
    return data ? { data, mediaType: mediaTypes[match[2] as string] as string } : undefined;
  }
}
