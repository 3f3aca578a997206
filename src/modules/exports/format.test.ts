import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { neutraliseCell } from '../../formats/spreadsheet-cells.js';
import { recordWriter } from './format.js';
import type { Column } from './objects.js';

/** A stream that keeps what is written to it. */
function collector(): { out: Writable; text: () => string } {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { out, text: () => chunks.join('') };
}

const columns = (n: number): Column[] =>
  Array.from({ length: n }, (_, i) => ({ key: `c${i}`, header: `Column "${i}", ok`, value: (r) => r[`c${i}`] }));
const asRow = (cells: string[]) => Object.fromEntries(cells.map((v, i) => [`c${i}`, v]));

// Cells built from the characters that matter to CSV and to spreadsheets, and some that do not.
const cell = fc
  .array(
    fc.constantFrom('a', 'Z', ' ', ',', ';', '"', "'", '\r', '\n', '\t', '=', '+', '-', '@', 'é', '中', '\ufeff'),
    {
      maxLength: 12,
    },
  )
  .map((chars) => chars.join(''));

describe('CSV export writer', () => {
  it('writes byte for byte what csv-stringify writes for the same spreadsheet-safe cells', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 6 })
          .chain((width) =>
            fc.tuple(
              fc.constant(width),
              fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 8 }),
              fc.boolean(),
            ),
          ),
        async ([width, rows, bom]) => {
          const cols = columns(width);
          const { out, text } = collector();
          const writer = recordWriter(out, 'csv', cols, { bom, tombstones: false });
          // Two pages: the header and byte-order mark must come once, before the first.
          await writer.writeRows(rows.slice(0, 3).map(asRow));
          await writer.writeRows(rows.slice(3).map(asRow));
          await writer.end();
          const expected = stringify(
            [cols.map((c) => c.header), ...rows].map((r) => r.map(neutraliseCell)),
            // quote_record_delimiter: csv-stringify's default with an explicit record_delimiter quotes
            // only CRLF and leaves a bare LF or CR unquoted, which spreadsheets read as a new row.
            { bom, record_delimiter: 'windows', quote_record_delimiter: true },
          );
          expect(text()).toBe(expected);
        },
      ),
      { seed: 19, numRuns: 300 },
    );
  });

  it('writes the header alone for an export with no rows', async () => {
    const { out, text } = collector();
    const writer = recordWriter(out, 'csv', columns(2), { bom: true, tombstones: false });
    await writer.end();
    expect(text()).toBe('\ufeff"Column ""0"", ok","Column ""1"", ok"\r\n');
  });
});
