import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCursor, keysetPage } from '../../src/http/pagination.js';
import { ROOT, sourceFiles } from './source-files.js';

/**
 * One keyset page rule (docs/api.md, "Pagination"): lists build their page and
 * next cursor with `keysetPage`, so the "limit + 1" trick and the cursor's
 * shape live in one place. A module that encodes a cursor itself fails here.
 */
describe('keyset pagination: one helper', () => {
  it('no module or flow encodes a cursor or counts its extra row itself', () => {
    const offenders = sourceFiles(['src/modules', 'src/flows', 'src/events']).filter((file) =>
      /\bencodeCursor\s*\(|\.length > (opts\.|query\.|page\.)?limit\b/.test(
        readFileSync(path.join(ROOT, file), 'utf8'),
      ),
    );
    expect(offenders).toEqual([]);
  });

  it('shows `limit` rows, and a cursor from the last one shown only when another row came back', () => {
    const rows = [{ id: 1 }, { id: 2 }, { id: 3 }];
    const full = keysetPage(
      rows,
      2,
      (last) => [last.id],
      (r) => `#${r.id}`,
    );
    expect(full.items).toEqual(['#1', '#2']);
    expect(decodeCursor(full.nextCursor!, ['number'])).toEqual([2]);

    const lastPage = keysetPage(
      rows.slice(0, 2),
      2,
      (last) => [last.id],
      (r) => r.id,
    );
    expect(lastPage).toEqual({ items: [1, 2], nextCursor: null });
    expect(
      keysetPage(
        [],
        2,
        () => [0],
        (r) => r,
      ),
    ).toEqual({ items: [], nextCursor: null });
  });
});
