/**
 * Pagination of the endpoint's lists with opaque cursors. A cursor encodes where the next page
 * starts; clients must treat it as opaque (spec: server/utilities/pagination), so its form may
 * change. A cursor the endpoint did not issue is answered -32602 (Invalid params).
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';

const prefix = 'hearth1:';

function encodeCursor(offset: number): string {
  return Buffer.from(`${prefix}${offset}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const offset = text.startsWith(prefix) ? Number(text.slice(prefix.length)) : Number.NaN;
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid cursor');
  return offset;
}

/** One page of `items` starting at `cursor` (the first page without one), and the next cursor. */
export function paginate<T>(
  items: readonly T[],
  cursor: string | undefined,
  pageSize: number,
): { page: T[]; nextCursor?: string } {
  const start = cursor === undefined ? 0 : decodeCursor(cursor);
  // A list that shrank between pages ends the walk instead of failing it.
  const end = start + pageSize;
  const page = items.slice(start, end);
  return end < items.length ? { page, nextCursor: encodeCursor(end) } : { page };
}
