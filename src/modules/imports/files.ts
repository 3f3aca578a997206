import { Transform, type TransformCallback, Readable } from 'node:stream';
import { parse as csvParse, CsvError } from 'csv-parse';
import iconv from 'iconv-lite';
import { restoreCell } from '../../formats/spreadsheet-cells.js';

/**
 * Reading import files: encoding and delimiter detection, and the streaming
 * record readers for CSV (RFC 4180, csv-parse) and JSON Lines. Files are read
 * as a stream of byte chunks and never held whole in memory.
 */

export const ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1252'] as const;
export type Encoding = (typeof ENCODINGS)[number];
export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];
export type FileFormat = 'csv' | 'jsonl';

/** A problem with the file as a whole: answered 400 naming it, and nothing is imported. */
export class FileProblem extends Error {}

export const LIMITS = {
  /** Columns a file may have. */
  columns: 1000,
  /** Bytes one record (a CSV row, a JSON line) may take: far above any field's own limit. */
  recordBytes: 4 * 1024 * 1024,
  /** Bytes read up front to detect the encoding, the delimiter and the format. */
  sniffBytes: 64 * 1024,
} as const;

interface Sniffed {
  encoding: Encoding;
  /** Bytes of the byte-order mark to skip. */
  bom: number;
}

/** Common binary formats people upload by mistake, by their first bytes. */
const SIGNATURES: [number[], string][] = [
  [[0x50, 0x4b, 0x03, 0x04], 'an Excel workbook or another zip archive (save the sheet as CSV first)'],
  [[0xd0, 0xcf, 0x11, 0xe0], 'an old Excel (.xls) or Office file (save the sheet as CSV first)'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x1f, 0x8b], 'a gzip archive (unpack it first)'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
];

function startsWith(buf: Buffer, bytes: number[]): boolean {
  return buf.length >= bytes.length && bytes.every((b, i) => buf[i] === b);
}

function validUtf8(buf: Buffer): boolean {
  // The sample may end inside a character: drop an incomplete sequence at the end.
  let end = buf.length;
  for (let i = Math.max(0, end - 3); i < end; i++) {
    const b = buf[i];
    const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (len > 1 && i + len > end) {
      end = i;
      break;
    }
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

/**
 * The encoding of a file from its first bytes: a byte-order mark decides;
 * else zero bytes at every other position mean UTF-16; else valid UTF-8 is
 * UTF-8 and anything else is read as Windows-1252 (what Excel writes on
 * Windows in the West). Zero bytes otherwise, or a known binary format's
 * signature, mean the file is not text.
 */
export function sniffEncoding(sample: Buffer): Sniffed {
  if (sample.length === 0) throw new FileProblem('The file is empty');
  if (startsWith(sample, [0xef, 0xbb, 0xbf])) return { encoding: 'utf-8', bom: 3 };
  if (startsWith(sample, [0xff, 0xfe])) return { encoding: 'utf-16le', bom: 2 };
  if (startsWith(sample, [0xfe, 0xff])) return { encoding: 'utf-16be', bom: 2 };
  for (const [sig, what] of SIGNATURES) {
    if (startsWith(sample, sig)) throw new FileProblem(`This is not a CSV or JSON Lines file: it looks like ${what}`);
  }
  const n = Math.min(sample.length, 4096) & ~1;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (sample[i] === 0) evenZeros++;
    if (sample[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (pairs > 0 && oddZeros > pairs * 0.3 && evenZeros < pairs * 0.05) return { encoding: 'utf-16le', bom: 0 };
  if (pairs > 0 && evenZeros > pairs * 0.3 && oddZeros < pairs * 0.05) return { encoding: 'utf-16be', bom: 0 };
  const zero = sample.indexOf(0);
  if (zero >= 0) throw new FileProblem(`This is not a text file: it holds binary data (a zero byte at byte ${zero})`);
  let control = 0;
  for (const b of sample.subarray(0, 4096)) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) control++;
  if (control > Math.min(sample.length, 4096) * 0.01) {
    throw new FileProblem('This is not a text file: it is full of control characters (binary data)');
  }
  return { encoding: validUtf8(sample) ? 'utf-8' : 'windows-1252', bom: 0 };
}

/** The first bytes decoded (for detection only). */
export function decodeSample(sample: Buffer, s: Sniffed): string {
  return iconv.decode(sample.subarray(s.bom), s.encoding);
}

/** Whether the text is JSON Lines rather than CSV: its first non-blank character opens an object. */
export function looksLikeJsonLines(text: string): boolean {
  return /^\s*\{/.test(text);
}

/**
 * The delimiter from the first rows (quote-aware): the candidate that appears
 * the same number of times in most rows wins; a file with none of them is one
 * column, read with a comma.
 */
export function detectDelimiter(text: string): Delimiter {
  const rows: Map<Delimiter, number>[] = [];
  let counts = new Map<Delimiter, number>();
  let quoted = false;
  // The last row of the sample may be cut: it is not counted.
  for (let i = 0; i < text.length && rows.length < 50; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) {
      if (c === '\r' && text[i + 1] === '\n') i++;
      rows.push(counts);
      counts = new Map();
    } else if (!quoted && (DELIMITERS as readonly string[]).includes(c)) {
      counts.set(c as Delimiter, (counts.get(c as Delimiter) ?? 0) + 1);
    }
  }
  if (rows.length === 0) rows.push(counts);
  let best: Delimiter = ',';
  let bestScore = 0;
  for (const d of DELIMITERS) {
    const perRow = rows.map((r) => r.get(d) ?? 0);
    const header = perRow[0];
    if (header === 0) continue;
    const agreeing = perRow.filter((n) => n === header).length;
    const score = agreeing * 1000 + Math.min(header, 999);
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

interface ReadOptions {
  format: FileFormat;
  encoding: Encoding;
  delimiter: Delimiter;
  /** Skip this many bytes first (the byte-order mark). */
  bom: number;
}

/** One record of a file: CSV cells, or a JSON Lines object (or why the line is not one). */
export type FileRecord =
  | { kind: 'cells'; row: number; cells: string[] }
  | { kind: 'object'; row: number; value: Record<string, unknown> }
  | { kind: 'bad'; row: number; message: string };

/** Skips the first `n` bytes of a stream of chunks. */
async function* skipBytes(source: AsyncIterable<Buffer>, n: number): AsyncGenerator<Buffer> {
  let left = n;
  for await (const chunk of source) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    yield left > 0 ? chunk.subarray(left) : chunk;
    left = 0;
  }
}

/** The file as UTF-8 bytes (transcoded when it is not UTF-8 already). */
function utf8Stream(source: AsyncIterable<Buffer>, opts: ReadOptions): Readable {
  const bytes = Readable.from(skipBytes(source, opts.bom), { objectMode: false });
  if (opts.encoding === 'utf-8') return bytes;
  return bytes.pipe(iconv.decodeStream(opts.encoding)).pipe(iconv.encodeStream('utf-8')) as unknown as Readable;
}

function csvProblem(err: unknown): Error {
  if (!(err instanceof CsvError)) return err as Error;
  const line = (err as CsvError & { lines?: number }).lines;
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new FileProblem(
        `A quoted cell opened on line ${line ?? '?'} is never closed: the file may be cut off, or a quote is missing`,
      );
    case 'CSV_MAX_RECORD_SIZE':
      return new FileProblem(
        `The row ending on line ${line ?? '?'} is larger than ${LIMITS.recordBytes / 1024 / 1024} MB: ` +
          'a cell that big is not a value any field takes (is a quote missing?)',
      );
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return new FileProblem(`Line ${line ?? '?'}: text follows the closing quote of a cell`);
    default:
      return new FileProblem(`The file is not valid CSV (line ${line ?? '?'}): ${err.message}`);
  }
}

/**
 * Every record of the file, in order, numbered as a spreadsheet shows them:
 * for CSV the header is row 1 and data starts at row 2; for JSON Lines the row
 * is the line number. Empty lines are skipped. File-level problems (an
 * unterminated quote, an oversized record) throw FileProblem. CSV cells lose
 * the leading `'` an export adds to formula-like text (formats/spreadsheet-cells.ts).
 */
export async function* readRecords(source: AsyncIterable<Buffer>, opts: ReadOptions): AsyncGenerator<FileRecord> {
  const input = utf8Stream(source, opts);
  if (opts.format === 'jsonl') {
    yield* readJsonLines(input);
    return;
  }
  const parser = input.pipe(
    csvParse({
      delimiter: opts.delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      max_record_size: LIMITS.recordBytes,
      encoding: 'utf8',
    }),
  );
  input.on('error', (err) => parser.destroy(err));
  try {
    let row = 0;
    for await (const cells of parser as AsyncIterable<string[]>) {
      row++;
      // A cell an export neutralised for spreadsheets ('=…, '+44…) comes back as it was (in place: the array is ours).
      for (let i = 0; i < cells.length; i++) cells[i] = restoreCell(cells[i]);
      yield { kind: 'cells', row, cells };
    }
  } catch (err) {
    throw csvProblem(err);
  }
}

/** Splits UTF-8 bytes into lines, refusing a line above the record limit (without buffering it). */
class LineSplitter extends Transform {
  private parts: Buffer[] = [];
  private size = 0;
  constructor() {
    super({ readableObjectMode: true });
  }
  _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      this.size += end - start;
      if (this.size > LIMITS.recordBytes) {
        done(new FileProblem(`A line is larger than ${LIMITS.recordBytes / 1024 / 1024} MB`));
        return;
      }
      this.parts.push(chunk.subarray(start, end));
      if (nl < 0) break;
      this.push(Buffer.concat(this.parts).toString('utf8'));
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
    done();
  }
  _flush(done: TransformCallback): void {
    if (this.size > 0) this.push(Buffer.concat(this.parts).toString('utf8'));
    done();
  }
}

async function* readJsonLines(input: Readable): AsyncGenerator<FileRecord> {
  const lines = input.pipe(new LineSplitter());
  input.on('error', (err) => lines.destroy(err));
  let row = 0;
  for await (const raw of lines as AsyncIterable<string>) {
    row++;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      yield { kind: 'bad', row, message: `not valid JSON: ${(err as Error).message}` };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { kind: 'bad', row, message: 'each line must be a JSON object' };
      continue;
    }
    yield { kind: 'object', row, value: value as Record<string, unknown> };
  }
}

/**
 * A JSON object's values by dotted path ("primaryAddress.city"), scalars and
 * arrays as they are: the "columns" of a JSON Lines record.
 */
export function flattenObject(value: Record<string, unknown>, prefix = '', out: Map<string, unknown> = new Map()) {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenObject(v as Record<string, unknown>, key, out);
    else out.set(key, v);
  }
  return out;
}

/**
 * The header of a CSV file, checked: not empty, not too wide, no name twice.
 * Blank header cells get a name ("Column 4").
 */
export function checkHeader(cells: string[]): string[] {
  if (cells.length > LIMITS.columns) {
    throw new FileProblem(`The header has ${cells.length} columns; an import takes at most ${LIMITS.columns}`);
  }
  const names = cells.map((c, i) => c.trim() || `Column ${i + 1}`);
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    const key = name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      throw new FileProblem(
        `The column "${name}" appears twice (columns ${first + 1} and ${i + 1}): rename one so each column says what it holds`,
      );
    }
    seen.set(key, i);
  });
  return names;
}
