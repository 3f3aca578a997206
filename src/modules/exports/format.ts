import type { Writable } from 'node:stream';
import type { Row } from '../../db/adapter.js';
import { neutraliseCell } from '../../formats/spreadsheet-cells.js';
import type { Column } from './objects.js';

export type ExportFormat = 'csv' | 'jsonl';

/** A deleted record's tombstone. */
interface Tombstone {
  id: string;
  at: Date;
}

/**
 * Writes records to a byte stream in one format, a page at a time (one write
 * per page: per-row writes cost more in stream bookkeeping and garbage than the
 * formatting itself), waiting for the stream to drain (a slow reader slows the
 * export down instead of filling memory).
 */
interface RecordWriter {
  /** A page of rows as read: each column takes its value from the row. */
  writeRows(rows: Row[]): Promise<void>;
  writeDeleted(gone: Tombstone[]): Promise<void>;
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

/**
 * One CSV field as RFC 4180 writes it: quoted when it holds a quote, a comma,
 * CR or LF, its quotes doubled. csv-stringify (which the audit and import
 * downloads use) writes exactly this for string cells, and format.test.ts
 * checks it byte for byte against that library; an export calls this for every
 * cell of millions of rows, where the library's general-purpose path cost five
 * times as much (its per-field option handling), the largest part of an
 * export's time in a profile.
 */
function csvField(cell: string): string {
  return NEEDS_QUOTES.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV record with its CRLF line end. */
function csvRecord(cells: string[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += (i ? ',' : '') + csvField(cells[i]);
  return line + '\r\n';
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
  const put = async (text: string) => {
    if (out.destroyed) throw new Error('the reader went away');
    if (text && !out.write(text)) await drain(out);
  };
  if (format === 'jsonl') {
    const keys = columns.map((c) => c.key);
    return {
      async writeRows(rows) {
        let text = '';
        for (const row of rows) {
          const obj: Record<string, unknown> = {};
          for (let i = 0; i < keys.length; i++) setPath(obj, keys[i], columns[i].value(row) ?? null);
          text += JSON.stringify(obj) + '\n';
        }
        await put(text);
      },
      async writeDeleted(gone) {
        await put(
          gone.map((g) => JSON.stringify({ id: g.id, deleted: true, deletedAt: g.at.toISOString() }) + '\n').join(''),
        );
      },
      async end() {
        out.end();
      },
    };
  }
  const header = columns.map((c) => c.header);
  if (opts.tombstones) header.push('Deleted', 'Deleted at');
  const idAt = columns.findIndex((c) => c.key === 'id');
  let started = false;
  // The header (after the byte-order mark, when asked for) goes out with the first page.
  const csv = (records: string[][]) => {
    let text = '';
    if (!started) {
      started = true;
      text = (opts.bom ? '\ufeff' : '') + csvRecord(header.map(neutraliseCell));
    }
    for (const r of records) text += csvRecord(r);
    return text;
  };
  return {
    async writeRows(rows) {
      let text = csv([]);
      for (const row of rows) {
        let line = '';
        for (let i = 0; i < columns.length; i++) line += (i ? ',' : '') + csvField(csvCell(columns[i].value(row)));
        text += line + (opts.tombstones ? ',false,\r\n' : '\r\n');
      }
      await put(text);
    },
    async writeDeleted(gone) {
      const records = gone.map((g) => {
        const cells = columns.map((_, i) => (i === idAt ? g.id : ''));
        cells.push('true', g.at.toISOString());
        return cells;
      });
      await put(csv(records));
    },
    async end() {
      if (!started) await put(csv([]));
      out.end();
    },
  };
}
