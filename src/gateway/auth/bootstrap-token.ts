import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { hashToken, type TokenEntry } from '../../common/config/secrets.ts';

const fileName = 'admin-token.json';
const storedSchema = z.object({
  name: z.string(),
  role: z.literal('admin'),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

export interface BootstrapResult {
  /** The stored admin entry, when there is one. */
  entry: TokenEntry | undefined;
  /** The token itself, only on the start that created it, to be shown to the user once. */
  createdToken: string | undefined;
}

/**
 * On a first start with no token configured, makes an admin token and keeps only its hash in
 * the data folder. Later starts load the hash; deleting the file revokes the token.
 */
export async function ensureBootstrapToken(options: {
  dataDir: string;
  configuredTokens: number;
}): Promise<BootstrapResult> {
  const file = join(options.dataDir, fileName);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text !== undefined) {
    const stored = storedSchema.safeParse(JSON.parse(text));
    if (!stored.success)
      throw new Error(`${file} is damaged; delete it to create a new admin token`);
    return { entry: stored.data, createdToken: undefined };
  }
  if (options.configuredTokens > 0) return { entry: undefined, createdToken: undefined };
  const token = `hearth_${randomBytes(24).toString('base64url')}`;
  const entry: TokenEntry = { name: 'admin', role: 'admin', hash: hashToken(token) };
  await mkdir(options.dataDir, { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ ...entry, createdAt: new Date().toISOString() }, null, 2)}\n`,
    {
      mode: 0o600,
      flag: 'wx',
    },
  );
  return { entry, createdToken: token };
}
