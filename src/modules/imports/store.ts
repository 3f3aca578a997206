import type { Queryable } from '../../db/adapter.js';
import { maybeOne } from '../../db/adapter.js';
import type { ImportObjectType, Mapping } from './mapping.js';

/** The imports module's SQL: the only code that touches imports, import_* tables. */

export interface ImportRow {
  id: string;
  object_type: ImportObjectType;
  file_name: string;
  file_size: number;
  format: 'csv' | 'jsonl';
  encoding: string;
  delimiter: string | null;
  bom: number;
  columns: string[];
  sample: unknown[];
  total_rows: number;
  ready: boolean;
  file_kept: boolean;
  created_by: string | null;
  created_by_name: string;
  created_at: Date;
  updated_at: Date;
}

type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface RunRow {
  import_id: string;
  dry_run: boolean;
  job_id: string;
  status: RunStatus;
  settings: Record<string, unknown>;
  rows_read: number;
  rows_created: number;
  rows_updated: number;
  rows_unchanged: number;
  rows_failed: number;
  error: string | null;
  started_by: string | null;
  started_by_name: string;
  started_at: Date;
  finished_at: Date | null;
}

const IMPORT_COLUMNS = `id, object_type, file_name, file_size, format, encoding, delimiter, bom, columns, sample,
  total_rows, ready, file_kept, created_by, created_by_name, created_at, updated_at`;
const RUN_COLUMNS = `import_id, dry_run, job_id, status, settings, rows_read, rows_created, rows_updated,
  rows_unchanged, rows_failed, error, started_by, started_by_name, started_at, finished_at`;

export async function insertImport(
  q: Queryable,
  i: { objectType: ImportObjectType; fileName: string; createdBy: string | null; createdByName: string; now: Date },
): Promise<string> {
  const rows = await q.query<{ id: string }>(
    `INSERT INTO imports (object_type, file_name, file_size, format, encoding, columns, sample, total_rows,
       created_by, created_by_name, created_at, updated_at)
     VALUES ($1, $2, 0, 'csv', 'utf-8', '[]', '[]', 0, $3, $4, $5, $5) RETURNING id`,
    [i.objectType, i.fileName, i.createdBy, i.createdByName, i.now],
  );
  return rows[0].id;
}

export async function finishUpload(
  q: Queryable,
  id: string,
  f: {
    fileSize: number;
    format: 'csv' | 'jsonl';
    encoding: string;
    delimiter: string | null;
    bom: number;
    columns: string[];
    sample: unknown[];
    totalRows: number;
    now: Date;
  },
): Promise<void> {
  await q.query(
    `UPDATE imports SET file_size = $2, format = $3, encoding = $4, delimiter = $5, bom = $6, columns = $7,
       sample = $8, total_rows = $9, ready = true, updated_at = $10
     WHERE id = $1`,
    [
      id,
      f.fileSize,
      f.format,
      f.encoding,
      f.delimiter,
      f.bom,
      JSON.stringify(f.columns),
      JSON.stringify(f.sample),
      f.totalRows,
      f.now,
    ],
  );
}

export async function deleteImport(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM imports WHERE id = $1', [id]);
}

export async function insertFileChunk(q: Queryable, id: string, seq: number, data: Buffer): Promise<void> {
  await q.query('INSERT INTO import_file_chunks (import_id, seq, data) VALUES ($1, $2, $3)', [id, seq, data]);
}

/** The stored file, one piece at a time (the next is read while the previous is parsed). */
export async function* readFileChunks(q: Queryable, id: string): AsyncGenerator<Buffer> {
  let next = q.query<{ data: Uint8Array }>('SELECT data FROM import_file_chunks WHERE import_id = $1 AND seq = 0', [
    id,
  ]);
  for (let seq = 0; ; seq++) {
    const rows = await next;
    if (rows.length === 0) return;
    next = q.query<{ data: Uint8Array }>('SELECT data FROM import_file_chunks WHERE import_id = $1 AND seq = $2', [
      id,
      seq + 1,
    ]);
    const d = rows[0].data;
    yield Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  }
}

export async function dropFile(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM import_file_chunks WHERE import_id = $1', [id]);
  await q.query('UPDATE imports SET file_kept = false WHERE id = $1', [id]);
}

export function getImport(q: Queryable, id: string, forUpdate = false): Promise<ImportRow | null> {
  return maybeOne<ImportRow>(
    q,
    `SELECT ${IMPORT_COLUMNS} FROM imports WHERE id = $1 AND ready${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
}

export function listImports(q: Queryable, after: [Date, string] | null, limit: number): Promise<ImportRow[]> {
  return q.query<ImportRow>(
    `SELECT ${IMPORT_COLUMNS} FROM imports
     WHERE ready AND ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $3`,
    [after?.[0] ?? null, after?.[1] ?? null, limit],
  );
}

export function runsOf(q: Queryable, ids: string[]): Promise<RunRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return q.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM import_runs WHERE import_id = ANY($1::uuid[])`, [ids]);
}

export function getRun(q: Queryable, id: string, dryRun: boolean, forUpdate = false): Promise<RunRow | null> {
  return maybeOne<RunRow>(
    q,
    `SELECT ${RUN_COLUMNS} FROM import_runs WHERE import_id = $1 AND dry_run = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [id, dryRun],
  );
}

/** A new run; a new dry run replaces the previous one with its errors and claims. */
export async function insertRun(
  q: Queryable,
  r: {
    importId: string;
    dryRun: boolean;
    jobId: string;
    settings: Record<string, unknown>;
    startedBy: string | null;
    startedByName: string;
    now: Date;
  },
): Promise<void> {
  await clearRun(q, r.importId, r.dryRun);
  await q.query('DELETE FROM import_runs WHERE import_id = $1 AND dry_run = $2', [r.importId, r.dryRun]);
  await q.query(
    `INSERT INTO import_runs (import_id, dry_run, job_id, status, settings, started_by, started_by_name, started_at)
     VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7)`,
    [r.importId, r.dryRun, r.jobId, JSON.stringify(r.settings), r.startedBy, r.startedByName, r.now],
  );
}

async function clearRun(q: Queryable, importId: string, dryRun: boolean): Promise<void> {
  await q.query('DELETE FROM import_errors WHERE import_id = $1 AND dry_run = $2', [importId, dryRun]);
  await clearClaims(q, importId, dryRun);
}

export async function clearClaims(q: Queryable, importId: string, dryRun: boolean): Promise<void> {
  await q.query('DELETE FROM import_claims WHERE import_id = $1 AND dry_run = $2', [importId, dryRun]);
}

export interface Counts {
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

/** Adds a chunk's counts to its run; returns the run's totals. */
export async function addCounts(q: Queryable, importId: string, dryRun: boolean, c: Counts): Promise<Counts> {
  const rows = await q.query<{ r: number; c: number; u: number; n: number; f: number }>(
    `UPDATE import_runs SET status = 'running', rows_read = rows_read + $3, rows_created = rows_created + $4,
       rows_updated = rows_updated + $5, rows_unchanged = rows_unchanged + $6, rows_failed = rows_failed + $7
     WHERE import_id = $1 AND dry_run = $2
     RETURNING rows_read AS r, rows_created AS c, rows_updated AS u, rows_unchanged AS n, rows_failed AS f`,
    [importId, dryRun, c.read, c.created, c.updated, c.unchanged, c.failed],
  );
  const r = rows[0];
  return { read: r.r, created: r.c, updated: r.u, unchanged: r.n, failed: r.f };
}

export async function setRunStatus(
  q: Queryable,
  importId: string,
  dryRun: boolean,
  status: RunStatus,
  error: string | null,
  finishedAt: Date | null,
): Promise<void> {
  await q.query(
    `UPDATE import_runs SET status = $3, error = $4, finished_at = $5 WHERE import_id = $1 AND dry_run = $2`,
    [importId, dryRun, status, error, finishedAt],
  );
}

export interface ErrorRow {
  row: number;
  errors: { column: string | null; value: string | null; message: string }[];
  record: unknown;
}

export async function insertErrors(q: Queryable, importId: string, dryRun: boolean, rows: ErrorRow[]): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO import_errors (import_id, dry_run, row_number, errors, record)
     SELECT $1, $2, x.row, x.errors, coalesce(x.record, 'null'::jsonb)
     FROM jsonb_to_recordset($3::jsonb) AS x(row bigint, errors jsonb, record jsonb)`,
    [importId, dryRun, JSON.stringify(rows)],
  );
}

export function listErrors(
  q: Queryable,
  importId: string,
  dryRun: boolean,
  afterRow: number,
  limit: number,
): Promise<ErrorRow[]> {
  return q.query<ErrorRow>(
    `SELECT row_number AS row, errors, record FROM import_errors
     WHERE import_id = $1 AND dry_run = $2 AND row_number > $3 ORDER BY row_number LIMIT $4`,
    [importId, dryRun, afterRow, limit],
  );
}

/** Claims already held by earlier rows of this run: key → row. */
export async function heldClaims(
  q: Queryable,
  importId: string,
  dryRun: boolean,
  keys: string[],
): Promise<Map<string, number>> {
  if (keys.length === 0) return new Map();
  const rows = await q.query<{ key: string; row_number: number }>(
    'SELECT key, row_number FROM import_claims WHERE import_id = $1 AND dry_run = $2 AND key = ANY($3::text[])',
    [importId, dryRun, keys],
  );
  return new Map(rows.map((r) => [r.key, r.row_number]));
}

export async function insertClaims(
  q: Queryable,
  importId: string,
  dryRun: boolean,
  claims: { key: string; row: number }[],
): Promise<void> {
  if (claims.length === 0) return;
  await q.query(
    `INSERT INTO import_claims (import_id, dry_run, key, row_number)
     SELECT $1, $2, x.key, x.row FROM unnest($3::text[], $4::bigint[]) AS x(key, row)`,
    [importId, dryRun, claims.map((c) => c.key), claims.map((c) => c.row)],
  );
}

// ---------------------------------------------------------------- mappings

export interface MappingRow {
  id: string;
  object_type: ImportObjectType;
  name: string;
  mapping: Mapping;
  version: number;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}
const MAPPING_COLUMNS = 'id, object_type, name, mapping, version, created_by, created_at, updated_at';

export function listMappings(q: Queryable, objectType?: ImportObjectType): Promise<MappingRow[]> {
  return q.query<MappingRow>(
    `SELECT ${MAPPING_COLUMNS} FROM import_mappings WHERE $1::text IS NULL OR object_type = $1
     ORDER BY object_type, lower(name) LIMIT 500`,
    [objectType ?? null],
  );
}

export function getMapping(q: Queryable, id: string, forUpdate = false): Promise<MappingRow | null> {
  return maybeOne<MappingRow>(
    q,
    `SELECT ${MAPPING_COLUMNS} FROM import_mappings WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
}

export async function insertMapping(
  q: Queryable,
  m: { objectType: ImportObjectType; name: string; mapping: Mapping; createdBy: string | null },
): Promise<MappingRow> {
  const rows = await q.query<MappingRow>(
    `INSERT INTO import_mappings (object_type, name, mapping, created_by) VALUES ($1, $2, $3, $4)
     RETURNING ${MAPPING_COLUMNS}`,
    [m.objectType, m.name, JSON.stringify(m.mapping), m.createdBy],
  );
  return rows[0];
}

export async function updateMapping(q: Queryable, id: string, name: string, mapping: Mapping): Promise<MappingRow> {
  const rows = await q.query<MappingRow>(
    `UPDATE import_mappings SET name = $2, mapping = $3, version = version + 1, updated_at = now() WHERE id = $1
     RETURNING ${MAPPING_COLUMNS}`,
    [id, name, JSON.stringify(mapping)],
  );
  return rows[0];
}

export async function deleteMapping(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM import_mappings WHERE id = $1', [id]);
}
