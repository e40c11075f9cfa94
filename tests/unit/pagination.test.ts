import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { decodeCursor, toPage } from '../../src/services/pagination.js';

const id = (n: number) => `01937a1e-0000-7000-8000-${String(n).padStart(12, '0')}`;

describe('cursor pagination', () => {
  it('when one more row than the limit was fetched, then the page has a cursor that decodes to its last id', () => {
    const rows = [1, 2, 3].map((n) => ({ id: id(n) }));
    const page = toPage(rows, 2, (r) => r.id);
    expect(page.data).toEqual([id(1), id(2)]);
    expect(decodeCursor(page.nextCursor!)).toBe(id(2));
  });

  it('when no more rows exist, then nextCursor is null', () => {
    expect(toPage([{ id: id(1) }], 2, (r) => r.id).nextCursor).toBeNull();
  });

  it.each(['', 'abc', Buffer.from('not-a-uuid').toString('base64url'), Buffer.from(`${id(1)}x`).toString('base64url')])(
    'when the cursor %j is not one we issued, then it is a validation error',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow(DomainError);
    },
  );
});
