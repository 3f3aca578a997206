import { stringify, type Stringifier } from 'csv-stringify';
import type { Writable } from 'node:stream';
import { neutraliseCell } from '../../formats/spreadsheet-cells.js';
import type { Column } from './objects.js';

export type ExportFormat = 'csv' | 'jsonl';

/** One exported record: its values by column key, or a tombstone for a deleted one. */
type ExportRecord = { kind: 'row'; values: Map<string, unknown> } | { kind: 'deleted'; id: string; at: Date };

/**
 * Writes records to a byte stream in one format, waiting for the stream to
 * drain (a slow reader slows the export down instead of filling memory).
 */
interface RecordWriter {
  write(rec: ExportRecord): Promise<void>;
  end(): Promise<void>;
}

/** A CSV cell: empty for null, true/false, ISO times, lists joined with `|`, objects as JSON; formula-safe. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return neutraliseCell(value);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return neutraliseCell(value.join('|'));
  return neutraliseCell(JSON.stringify(value));
}

/** Waits until the stream takes more (or fails when it is closed first: the reader went away). */
function drain(out: Writable): Promise<void> {
  if (out.destroyed) return Promise.reject(new Error('the reader went away'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the reader went away'));
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}

/** Sets a dotted path (`primaryAddress.city`) in a nested object. */
function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof at[p] !== 'object' || at[p] === null) at[p] = {};
    at = at[p] as Record<string, unknown>;
  }
  at[parts[parts.length - 1]] = value;
}

/**
 * CSV (RFC 4180: CRLF line ends, quotes doubled; UTF-8, optional byte-order
 * mark for spreadsheet programs) through csv-stringify, or JSON Lines (one
 * object per line, nested by the column keys' dots). With tombstones (an
 * `updatedSince` export), CSV gets two more columns, `Deleted` and `Deleted at`;
 * JSON Lines a `{"id", "deleted": true, "deletedAt"}` line.
 */
export function recordWriter(
  out: Writable,
  format: ExportFormat,
  columns: Column[],
  opts: { bom: boolean; tombstones: boolean },
): RecordWriter {
  if (format === 'jsonl') {
    return {
      async write(rec) {
        let obj: Record<string, unknown>;
        if (rec.kind === 'deleted') obj = { id: rec.id, deleted: true, deletedAt: rec.at.toISOString() };
        else {
          obj = {};
          for (const c of columns) setPath(obj, c.key, rec.values.get(c.key) ?? null);
        }
        if (!out.write(JSON.stringify(obj) + '\n')) await drain(out);
      },
      async end() {
        out.end();
      },
    };
  }
  const header = columns.map((c) => c.header);
  if (opts.tombstones) header.push('Deleted', 'Deleted at');
  const csv: Stringifier = stringify({ bom: opts.bom, record_delimiter: 'windows' });
  csv.pipe(out);
  csv.on('error', (err) => out.destroy(err));
  let started = false;
  const put = async (cells: string[]) => {
    if (!csv.write(cells)) await drain(csv);
  };
  const start = async () => {
    if (!started) {
      started = true;
      await put(header.map(neutraliseCell));
    }
  };
  return {
    async write(rec) {
      await start();
      if (rec.kind === 'deleted') {
        const cells = columns.map((c) => (c.key === 'id' ? rec.id : ''));
        await put([...cells, 'true', rec.at.toISOString()]);
        return;
      }
      const cells = columns.map((c) => csvCell(rec.values.get(c.key)));
      if (opts.tombstones) cells.push('false', '');
      await put(cells);
    },
    async end() {
      await start();
      csv.end();
    },
  };
}
