import { randomBytes } from 'node:crypto';

/**
 * A short id that sorts by creation time: prefix, milliseconds in base 36, then 10 random
 * base-32 characters (50 bits), e.g. `c_lz3k9x2a_k3j9f0q2m1`.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, '0');
  const bytes = randomBytes(10);
  let random = '';
  for (const byte of bytes) random += (byte & 31).toString(32);
  return `${prefix}_${time}_${random}`;
}
