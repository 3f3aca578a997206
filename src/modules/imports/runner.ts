import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/adapter.js';
import { emitEvent } from '../../events/outbox.js';
import type { Actor } from '../../http/actor.js';
import { fromDatabaseError } from '../../http/errors.js';
import type { Services } from '../../services.js';
import { recordAudit } from '../audit/service.js';
import type { JobHandler } from '../jobs/queue.js';
import { PRIVILEGES } from '../../http/privileges.js';
import { flattenObject, readRecords, type Delimiter, type Encoding, type FileRecord } from './files.js';
import type { Target } from './mapping.js';
import {
  FACTORIES,
  newRunMemo,
  prepareAhead,
  type ChunkAhead,
  type ImportSettings,
  type ObjectImport,
  type RowPlan,
  type SourceRow,
} from './objects.js';
import { importActor, PREVIEW_ROWS, type ImportsService, type JobParams, type SettingsInput } from './service.js';
import * as store from './store.js';
import type { Counts, ImportRow } from './store.js';

/**
 * Rows per chunk: one transaction, a handful of statements. The embedded
 * database has one connection, held by the chunk's transaction: smaller chunks
 * there let the console's requests in between.
 */
export const CHUNK_ROWS = { postgres: 2000, pglite: 250 } as const;
const PROGRESS_EVERY_MS = 1000;

interface Checkpoint {
  /** Data rows consumed (committed) so far. */
  rows: number;
}

/** The file's data records, from the stored chunks, skipping the CSV header. */
async function* dataRecords(db: Db, imp: ImportRow): AsyncGenerator<FileRecord> {
  let header = imp.format === 'csv';
  for await (const rec of readRecords(store.readFileChunks(db, imp.id), {
    format: imp.format,
    encoding: imp.encoding as Encoding,
    delimiter: (imp.delimiter ?? ',') as Delimiter,
    bom: imp.bom,
  })) {
    if (header) {
      header = false;
      continue;
    }
    yield rec;
  }
}

type FailedRow = Omit<RowPlan, 'record'> & { record: unknown };

interface Batch {
  records: FileRecord[];
  source: SourceRow[];
  failed: Map<number, FailedRow>;
  /** The work done before the chunk's transaction (objects.ts, prepareAhead). */
  ahead?: ChunkAhead;
}

/** File records as source rows (or, for rows that cannot be read at all, their failure). */
function toSource(imp: ImportRow, records: FileRecord[]): Omit<Batch, 'records'> {
  const index = new Map(imp.columns.map((c, i) => [c, i]));
  const width = imp.columns.length;
  const source: SourceRow[] = [];
  const failed = new Map<number, FailedRow>();
  const fail = (row: number, message: string, record: unknown) =>
    failed.set(row, { row, outcome: 'failed', errors: [{ column: null, value: null, message }], claims: [], record });
  for (const rec of records) {
    if (rec.kind === 'bad') fail(rec.row, rec.message, null);
    else if (rec.kind === 'cells') {
      const cells = rec.cells;
      let extra = false;
      for (let i = width; i < cells.length && !extra; i++) extra = cells[i].trim() !== '';
      if (cells.length < width || extra) {
        fail(rec.row, `the row has ${cells.length} cells; the header has ${width}`, cells.slice(0, width + 50));
        continue;
      }
      // The record is the row's first `width` cells (the cells array itself when it has no more: nothing changes it).
      const record = cells.length === width ? cells : cells.slice(0, width);
      source.push({ row: rec.row, get: (c) => cells[index.get(c) ?? -1], record });
    } else {
      const flat = flattenObject(rec.value);
      source.push({ row: rec.row, get: (c) => flat.get(c), record: rec.value });
    }
  }
  return { source, failed };
}

const KEY_WORDS: Record<string, string> = {
  a: 'account number',
  e: 'email',
  p: 'phone number',
  id: 'record',
  n: 'case number',
  f: 'follow-up',
};

/** Rows naming what an earlier row of the same file named (held) or an earlier row of this chunk: row errors. */
function applyClaims(plans: RowPlan[], held: Map<string, number>): { key: string; row: number }[] {
  const seen = new Map<string, number>();
  for (const p of plans) {
    if (p.outcome === 'failed') continue;
    const dup = p.claims.find((k) => held.has(k) || seen.has(k));
    if (dup) {
      const other = held.get(dup) ?? seen.get(dup)!;
      const [kind, ...rest] = dup.split(':');
      const what = kind === 'id' ? 'the same record' : `the same ${KEY_WORDS[kind] ?? kind} (${rest.join(':')})`;
      p.outcome = 'failed';
      p.errors = [{ column: null, value: null, message: `row ${other} of this file already names ${what}` }];
      p.record = null;
      continue;
    }
    for (const k of p.claims) seen.set(k, p.row);
  }
  return [...seen].map(([key, row]) => ({ key, row }));
}

function countOf(plans: { outcome: RowPlan['outcome'] }[]): Counts {
  const c: Counts = { read: plans.length, created: 0, updated: 0, unchanged: 0, failed: 0 };
  for (const p of plans) {
    if (p.outcome === 'create') c.created++;
    else if (p.outcome === 'update') c.updated++;
    else if (p.outcome === 'unchanged') c.unchanged++;
    else c.failed++;
  }
  return c;
}

/**
 * One chunk of an import, in the step's transaction: plan, in-file duplicate
 * claims, write (a dry run writes too, then rolls back to a savepoint: the
 * same statements and constraints decide), failures isolated row by row.
 */
async function processChunk(
  tx: Queryable,
  imp: ImportRow,
  dryRun: boolean,
  importer: ObjectImport,
  { records, source, failed }: Batch,
): Promise<{ counts: Counts; errors: store.ErrorRow[] }> {
  const planned = await importer.plan(source);
  const byRow = new Map(planned.map((p) => [p.row, p]));
  const keys = [...new Set(planned.flatMap((p) => (p.outcome === 'failed' ? [] : p.claims)))];
  const claims = applyClaims(planned, await store.heldClaims(tx, imp.id, dryRun, keys));
  await store.insertClaims(tx, imp.id, dryRun, claims);

  const writable = planned.filter((p) => p.outcome === 'create' || p.outcome === 'update');
  if (writable.length) {
    await tx.query('SAVEPOINT import_chunk');
    try {
      await importer.write(writable.map((p) => p.row));
    } catch (err) {
      if (!fromDatabaseError(err)) throw err;
      // A constraint refused the chunk (a concurrent change since the plan): find the rows, one by one.
      await tx.query('ROLLBACK TO SAVEPOINT import_chunk');
      for (const p of writable) {
        await tx.query('SAVEPOINT import_row');
        try {
          await importer.write([p.row]);
          await tx.query('RELEASE SAVEPOINT import_row');
        } catch (rowErr) {
          const problem = fromDatabaseError(rowErr);
          if (!problem) throw rowErr;
          await tx.query('ROLLBACK TO SAVEPOINT import_row');
          // Planned again, the row now sees what it clashed with and says so.
          const again = (await importer.plan(source.filter((s) => s.row === p.row)))[0];
          p.outcome = 'failed';
          p.record = null;
          p.errors =
            again && again.outcome === 'failed'
              ? again.errors
              : ((problem.extra.errors as { field: string; message: string }[] | undefined) ?? []).map((e) => ({
                  column: null,
                  value: null,
                  message: `${e.field}: ${e.message}`,
                }));
          if (p.errors.length === 0) p.errors = [{ column: null, value: null, message: problem.message }];
        }
      }
    }
    await tx.query(dryRun ? 'ROLLBACK TO SAVEPOINT import_chunk' : 'RELEASE SAVEPOINT import_chunk');
  }

  const all: (RowPlan | FailedRow)[] = records.map((r) => failed.get(r.row) ?? byRow.get(r.row)!);
  const sourceByRow = new Map(source.map((s) => [s.row, s.record]));
  const errors = all
    .filter((p) => p.outcome === 'failed')
    .map((p) => ({
      row: p.row,
      errors: p.errors,
      record: failed.get(p.row)?.record ?? sourceByRow.get(p.row) ?? null,
    }));
  await store.insertErrors(tx, imp.id, dryRun, errors);
  return { counts: countOf(all), errors };
}

/** The actor a run writes as: whoever started it, on the import channel. */
function runActor(run: store.RunRow): Actor {
  return importActor(
    {
      kind: 'user',
      userId: run.started_by,
      name: run.started_by_name,
      role: null,
      privileges: new Set(PRIVILEGES),
      channel: 'import',
      scopes: ['full'],
    },
    run.import_id,
  );
}

function progressPayload(imp: ImportRow, run: store.RunRow, c: Counts, status: string, rate: number | null) {
  const left = imp.total_rows - c.read;
  return {
    importId: imp.id,
    dryRun: run.dry_run,
    status,
    objectType: imp.object_type,
    fileName: imp.file_name,
    total: imp.total_rows,
    ...c,
    rowsPerSecond: rate === null ? null : Math.round(rate),
    secondsLeft: rate && rate > 0 && left > 0 ? Math.ceil(left / rate) : null,
  };
}

async function loadRun(db: Queryable, p: JobParams) {
  const imp = await store.getImport(db, p.importId);
  const run = await store.getRun(db, p.importId, p.dryRun);
  if (!imp || !run) throw new Error(`import ${p.importId} has no ${p.dryRun ? 'dry ' : ''}run`);
  return { imp, run };
}

/** The `import` job kind: reads the stored file from its checkpoint and imports it chunk by chunk. */
export function importJobHandler(
  db: Db,
  clock: Clock,
  services: Services,
  imports: ImportsService,
): JobHandler<JobParams, Checkpoint> {
  return {
    maxAttempts: 5,
    managePrivilege: 'data.import',
    async run(job) {
      const { imp, run } = await loadRun(db, job.job.params);
      const settings = run.settings as unknown as ImportSettings;
      const actor = runActor(run);
      const { targets } = await imports.settings(actor, imp, { ...settings });
      const factory = FACTORIES[imp.object_type];
      if (!factory) throw new Error(`importing ${imp.object_type} is not supported`);
      const skip = job.job.checkpoint?.rows ?? 0;
      const started = clock.now().getTime();
      let lastEvent = 0;
      let position = 0;
      let doneHere = 0;
      const iter = dataRecords(db, imp)[Symbol.asyncIterator]();
      const memo = newRunMemo();
      // Read, parse and work out ahead the next chunk: the runner calls it while the previous chunk writes.
      const nextBatch = async (): Promise<Batch> => {
        const records: FileRecord[] = [];
        while (records.length < CHUNK_ROWS[db.engine]) {
          const r = await iter.next();
          if (r.done) break;
          position++;
          if (position <= skip) continue;
          records.push(r.value);
        }
        const batch: Batch = { records, ...toSource(imp, records) };
        batch.ahead = await prepareAhead(imp.object_type, batch.source, settings, targets, memo, services, actor);
        return batch;
      };
      let pending = nextBatch();
      let totals: Counts | null = null;
      for (;;) {
        const batch = await pending;
        if (batch.records.length === 0) break;
        pending = nextBatch(); // the next chunk is parsed while this one is written
        pending.catch(() => undefined);
        const end = position;
        totals = await job.step(async (tx) => {
          const importer = await factory(tx, actor, settings, services, targets, memo, batch.ahead);
          const { counts } = await processChunk(tx, imp, run.dry_run, importer, batch);
          const sum = await store.addCounts(tx, imp.id, run.dry_run, counts);
          const now = clock.now().getTime();
          if (now - lastEvent >= PROGRESS_EVERY_MS) {
            const rate = now > started ? ((doneHere + counts.read) * 1000) / (now - started) : null;
            await emitEvent(tx, {
              type: 'import.progress',
              recordType: 'import',
              recordId: imp.id,
              requires: 'data.import',
              payload: progressPayload(imp, run, sum, 'running', rate),
            });
          }
          return {
            record: { checkpoint: { rows: end }, done: sum.read, total: imp.total_rows, details: { ...sum } },
            value: sum,
          };
        });
        doneHere += batch.records.length;
        // Let requests waiting for the database (one connection on PGlite) go before the next chunk.
        await new Promise((r) => setImmediate(r));
        if (clock.now().getTime() - lastEvent >= PROGRESS_EVERY_MS) lastEvent = clock.now().getTime();
      }
      if (!run.dry_run) await store.dropFile(db, imp.id);
      await store.clearClaims(db, imp.id, run.dry_run);
      return { ...(totals ?? (await store.getRun(db, imp.id, run.dry_run).then((r) => countsOf(r!)))) };
    },
    async onFinish(tx, job, outcome) {
      const { imp, run } = await loadRun(tx, job.params);
      const status = outcome.status === 'succeeded' ? 'completed' : outcome.status;
      await store.setRunStatus(
        tx,
        imp.id,
        run.dry_run,
        status,
        outcome.status === 'failed' ? outcome.error : null,
        clock.now(),
      );
      if (!run.dry_run && outcome.status !== 'succeeded') await store.dropFile(tx, imp.id);
      const after = (await store.getRun(tx, imp.id, run.dry_run))!;
      const counts = countsOf(after);
      if (!run.dry_run) {
        await recordAudit(tx, runActor(run), {
          action: outcome.status === 'failed' ? 'import.failed' : 'import.completed',
          targetType: 'import',
          targetId: imp.id,
          details: { status, objectType: imp.object_type, fileName: imp.file_name, ...counts },
        });
      }
      await emitEvent(tx, {
        type: 'import.completed',
        recordType: 'import',
        recordId: imp.id,
        requires: 'data.import',
        payload: { ...progressPayload(imp, run, counts, status, null), error: after.error },
      });
    },
    async onCancelRequest(tx, actor, job) {
      const { imp, run } = await loadRun(tx, job.params);
      await recordAudit(tx, actor, {
        action: 'import.cancelled',
        targetType: 'import',
        targetId: imp.id,
        details: { dryRun: run.dry_run, objectType: imp.object_type, fileName: imp.file_name, jobId: job.id },
      });
    },
  };
}

export function countsOf(r: store.RunRow): Counts {
  return {
    read: r.rows_read,
    created: r.rows_created,
    updated: r.rows_updated,
    unchanged: r.rows_unchanged,
    failed: r.rows_failed,
  };
}

class PreviewDone extends Error {
  constructor(readonly rows: RowPlan[]) {
    super('preview');
  }
}

/**
 * The first rows as they would be stored, with each row's outcome and errors:
 * the same reading and planning as a run, in a transaction rolled back.
 */
export async function previewImport(
  db: Db,
  services: Services,
  imports: ImportsService,
  actor: Actor,
  id: string,
  input: SettingsInput,
): Promise<{ rows: (RowPlan & { values: unknown })[]; settings: ImportSettings; unmappedColumns: string[] }> {
  const { imp } = await imports.get(actor, id);
  const { settings, targets } = await imports.settings(actor, imp, input);
  const factory = FACTORIES[imp.object_type];
  if (!factory) throw new Error(`importing ${imp.object_type} is not supported`);
  const records: FileRecord[] = [];
  if (imp.file_kept) {
    for await (const r of dataRecords(db, imp)) {
      records.push(r);
      if (records.length >= PREVIEW_ROWS) break;
    }
  }
  let rows: RowPlan[] = [];
  try {
    await db.transaction(async (tx) => {
      const importer = await factory(
        tx,
        importActor(actor, id),
        settings,
        services,
        targets as Map<string, Target>,
        newRunMemo(),
      );
      const { source, failed } = toSource(imp, records);
      const planned = await importer.plan(source);
      applyClaims(planned, new Map());
      const byRow = new Map(planned.map((p) => [p.row, p]));
      throw new PreviewDone(
        records.map((r) => {
          const f = failed.get(r.row);
          return f ? { ...f, record: null } : byRow.get(r.row)!;
        }),
      );
    });
  } catch (err) {
    if (!(err instanceof PreviewDone)) throw err;
    rows = err.rows;
  }
  const values = new Map(toSource(imp, records).source.map((s) => [s.row, s.record]));
  return {
    rows: rows.map((r) => ({ ...r, values: values.get(r.row) ?? null })),
    settings,
    unmappedColumns: imports.unmapped(imp, settings.mapping),
  };
}
