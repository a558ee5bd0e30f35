import { randomFillSync } from 'node:crypto';

const alphabet = '0123456789abcdefghijklmnopqrstuv';
// Random bytes drawn in blocks: one system call per 512 ids instead of one per id.
const pool = Buffer.alloc(5120);
let offset = pool.length;

/**
 * A short id that sorts by creation time: prefix, milliseconds in base 36, then 10 random
 * base-32 characters (50 bits), e.g. `c_0mwtv0mv1_k3j9f0q2m1`.
 */
export function newId(prefix: string): string {
  if (offset + 10 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let random = '';
  for (let i = 0; i < 10; i += 1) random += alphabet[(pool[offset + i] as number) & 31];
  offset += 10;
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}_${random}`;
}
