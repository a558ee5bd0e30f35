import { describe, expect, it } from 'vitest';
import { newId } from './ids.ts';

describe('newId', () => {
  it('makes prefixed, time-sortable, distinct ids', () => {
    const ids = Array.from({ length: 2000 }, () => newId('m'));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^m_[0-9a-z]{9}_[0-9a-v]{10}$/.test(id))).toBe(true);
    const later = newId('m');
    expect(later.slice(0, 11) >= (ids[0] as string).slice(0, 11)).toBe(true);
  });
});
