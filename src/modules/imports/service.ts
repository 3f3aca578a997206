import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db, Queryable } from '../../db/adapter.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { AppError, Conflict, Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';
import type { Services } from '../../services.js';
import { recordAudit } from '../audit/service.js';
import { prepareCustomFieldValidator } from '../custom-fields/validate.js';
import { isRegion } from '../customers/phones.js';
import { CUSTOMER_MATCH_KEYS } from '../customers/import.js';
import type { JobQueue } from '../jobs/queue.js';
import {
  checkHeader,
  decodeSample,
  detectDelimiter,
  flattenObject,
  looksLikeJsonLines,
  readRecords,
  sniffEncoding,
  FileProblem,
  LIMITS,
  type Delimiter,
  type Encoding,
  type FileFormat,
  type FileRecord,
} from './files.js';
import {
  checkMapping,
  suggestMapping,
  targetsFor,
  unmappedColumns,
  type ImportObjectType,
  type Mapping,
  type Target,
} from './mapping.js';
import { cfObjectType, type ImportSettings } from './objects.js';
import * as store from './store.js';
import type { ImportRow, RunRow } from './store.js';

export const IMPORT_JOB = 'import';
/** Bytes of the file stored per row of import_file_chunks. */
const CHUNK_BYTES = 1024 * 1024;
const SAMPLE_ROWS = 5;
/** JSON Lines: the keys of this many first lines are the "columns" offered for mapping. */
const KEY_SCAN_LINES = 1000;
export const PREVIEW_ROWS = 20;

interface UploadMeta {
  objectType: ImportObjectType;
  fileName: string;
  format?: FileFormat;
  encoding?: Encoding;
  delimiter?: Delimiter;
  /** Content-Length, when the client sent one: refused at once when over the limit. */
  declaredBytes?: number;
}

export interface SettingsInput {
  mapping?: Mapping;
  mappingId?: string;
  mode?: 'create' | 'upsert' | 'update';
  match?: string[];
  region?: string;
  replacePhones?: boolean;
}

export interface JobParams {
  importId: string;
  dryRun: boolean;
}

const MATCH_KEYS: Record<ImportObjectType, readonly string[]> = {
  customers: CUSTOMER_MATCH_KEYS,
  cases: ['caseNumber'],
  followUps: [],
};
const DEFAULT_MATCH: Record<ImportObjectType, string[]> = {
  customers: ['accountNumber', 'email'],
  cases: ['caseNumber'],
  followUps: [],
};

/** The actor an import writes as: the person who started it, on the `import` channel, naming the import. */
export function importActor(actor: Actor, importId: string): Actor {
  return { ...actor, channel: 'import', name: `${actor.name} (import ${importId.slice(0, 8)})` };
}

/** A bounded in-memory queue of byte chunks: what the upload feeds and the checking parser reads. */
function tee(): { input: PassThrough; write(b: Buffer, failed: Promise<unknown>): Promise<void>; end(): void } {
  const input = new PassThrough({ highWaterMark: 1024 * 1024 });
  return {
    input,
    async write(b, failed) {
      if (input.destroyed) return;
      if (!input.write(b)) await Promise.race([once(input, 'drain'), failed.catch(() => undefined)]);
    },
    end: () => input.end(),
  };
}

/**
 * Imports (docs/importing.md): upload a file, map its columns, preview, dry
 * run, run; every run is a job of kind `import` (runner.ts).
 */
export class ImportsService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly services: Services,
    private readonly queue: JobQueue,
  ) {}

  // ------------------------------------------------------------ upload

  /**
   * Stores an uploaded file (streamed, in 1 MiB pieces) and checks it whole on
   * the way: encoding, delimiter, header, every record parsed and counted. A
   * file-level problem is a 400 naming it (413 over IMPORT_MAX_BYTES), and
   * nothing is kept.
   */
  async upload(actor: Actor, body: AsyncIterable<Buffer>, meta: UploadMeta): Promise<ImportRow> {
    requirePrivilege(actor, 'data.import');
    const max = this.config.importMaxBytes;
    const tooLarge = () =>
      new AppError(
        413,
        'Content Too Large',
        `The file is larger than the import limit of ${max} bytes (IMPORT_MAX_BYTES)`,
        {
          errors: [{ field: 'file', message: `larger than ${max} bytes` }],
        },
      );
    if (meta.declaredBytes !== undefined && meta.declaredBytes > max) {
      for await (const _ of body) void _; // read and drop, so the client gets the answer
      throw tooLarge();
    }
    const id = await store.insertImport(this.db, {
      objectType: meta.objectType,
      fileName: meta.fileName.slice(0, 255),
      createdBy: actor.userId,
      createdByName: actor.name,
      now: this.clock.now(),
    });
    let size = 0;
    let seq = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      await store.insertFileChunk(this.db, id, seq++, Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
    };
    let head: Buffer[] = [];
    let headBytes = 0;
    let checker: Promise<Checked> | null = null;
    let feed = null as ReturnType<typeof tee> | null;
    let problem: Error | null = null;
    const startChecker = () => {
      const sample = Buffer.concat(head);
      const sniffed = meta.encoding
        ? { encoding: meta.encoding, bom: bomLength(sample, meta.encoding) }
        : sniffEncoding(sample);
      const text = decodeSample(sample, sniffed);
      const format = meta.format ?? (looksLikeJsonLines(text) ? 'jsonl' : 'csv');
      const delimiter = format === 'csv' ? (meta.delimiter ?? detectDelimiter(text)) : null;
      feed = tee();
      checker = checkFile(feed.input, {
        format,
        encoding: sniffed.encoding,
        delimiter: delimiter ?? ',',
        bom: sniffed.bom,
      });
      checker.catch(() => undefined);
      return feed.write(sample, checker);
    };
    try {
      for await (const raw of body) {
        const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
        size += buf.length;
        if (size > max) {
          problem = tooLarge();
          for await (const _ of body) void _;
          break;
        }
        pending.push(buf);
        pendingBytes += buf.length;
        if (pendingBytes >= CHUNK_BYTES) await flush();
        if (!checker) {
          head.push(buf);
          headBytes += buf.length;
          if (headBytes >= LIMITS.sniffBytes) {
            await startChecker();
            head = [];
          }
        } else {
          await feed!.write(buf, checker);
        }
      }
      if (!problem) {
        if (!checker) {
          if (headBytes === 0) throw new FileProblem('The file is empty');
          await startChecker();
        }
        await flush();
        feed!.end();
      }
      if (problem) throw problem;
      const checked = await checker!;
      if (checked.rows === 0) {
        throw new FileProblem(
          checked.columns.length ? 'The file has a header but no rows under it' : 'The file has no rows',
        );
      }
      await store.finishUpload(this.db, id, {
        fileSize: size,
        format: checked.format,
        encoding: checked.encoding,
        delimiter: checked.delimiter,
        bom: checked.bom,
        columns: checked.columns,
        sample: checked.sample,
        totalRows: checked.rows,
        now: this.clock.now(),
      });
      return (await store.getImport(this.db, id))!;
    } catch (err) {
      feed?.input.destroy();
      await store.deleteImport(this.db, id);
      if (err instanceof FileProblem) throw new Invalid([{ field: 'file', message: err.message }], err.message);
      throw err;
    }
  }

  // ------------------------------------------------------------ reading

  async get(actor: Actor, id: string): Promise<{ imp: ImportRow; runs: RunRow[] }> {
    requirePrivilege(actor, 'data.import');
    const imp = isUuid(id) ? await store.getImport(this.db, id) : null;
    if (!imp) throw new NotFound('Import');
    return { imp, runs: await store.runsOf(this.db, [id]) };
  }

  async list(
    actor: Actor,
    opts: { limit: number; cursor?: string },
  ): Promise<Page<{ imp: ImportRow; runs: RunRow[] }>> {
    requirePrivilege(actor, 'data.import');
    let after: [Date, string] | null = null;
    if (opts.cursor) {
      const [at, id] = decodeCursor(opts.cursor, ['date', 'string']) as [string, string];
      after = [new Date(at), id];
    }
    const rows = await store.listImports(this.db, after, opts.limit + 1);
    const runs = await store.runsOf(
      this.db,
      rows.slice(0, opts.limit).map((i) => i.id),
    );
    return keysetPage(
      rows,
      opts.limit,
      (last) => [last.created_at.toISOString(), last.id],
      (imp) => ({ imp, runs: runs.filter((r) => r.import_id === imp.id) }),
    );
  }

  /** Targets for the mapping screen, and the suggested mapping of this import's columns. */
  async mappingHelp(imp: ImportRow): Promise<{ targets: Target[]; suggested: Mapping }> {
    const targets = await this.targets(this.db, imp.object_type);
    return { targets, suggested: suggestMapping(imp.columns, targets) };
  }

  private async targets(q: Queryable | Db, objectType: ImportObjectType): Promise<Target[]> {
    const load = async (tx: Queryable) =>
      targetsFor(objectType, (await prepareCustomFieldValidator(tx, cfObjectType(objectType))).definitions);
    return 'transaction' in q ? (q as Db).transaction(load) : load(q);
  }

  /** Settings checked against the import's file: a 400 naming every problem. */
  async settings(
    actor: Actor,
    imp: ImportRow,
    input: SettingsInput,
    tx?: Queryable,
  ): Promise<{ settings: ImportSettings; targets: Map<string, Target> }> {
    let mapping = input.mapping;
    if (input.mappingId !== undefined) {
      const saved = isUuid(input.mappingId) ? await store.getMapping(this.db, input.mappingId) : null;
      if (!saved || saved.object_type !== imp.object_type) {
        throw new Invalid([{ field: 'mappingId', message: `no saved mapping for ${imp.object_type} with this id` }]);
      }
      mapping = saved.mapping;
    }
    const all = await this.targets(tx ?? this.db, imp.object_type);
    mapping ??= suggestMapping(imp.columns, all);
    const errors = [];
    const mode = input.mode ?? 'create';
    if (imp.object_type === 'followUps' && mode === 'update') {
      errors.push({ field: 'mode', message: 'follow-ups cannot be changed once written: use create or upsert' });
    }
    const match = input.match ?? DEFAULT_MATCH[imp.object_type];
    const allowed = MATCH_KEYS[imp.object_type];
    for (const [i, k] of match.entries()) {
      if (!allowed.includes(k)) {
        errors.push({
          field: `match.${i}`,
          message: `unknown match key "${k}" for ${imp.object_type}${allowed.length ? ` (${allowed.join(', ')})` : ''}`,
        });
      }
    }
    if (new Set(match).size !== match.length) errors.push({ field: 'match', message: 'names a key twice' });
    if (mode !== 'create' && match.length === 0 && imp.object_type !== 'followUps') {
      errors.push({ field: 'match', message: `mode "${mode}" needs at least one match key` });
    }
    const region = input.region ?? this.config.defaultPhoneRegion;
    if (!isRegion(region)) errors.push({ field: 'region', message: 'not a known country code (e.g. US, GB, DE)' });
    if (errors.length) throw new Invalid(errors);
    const targets = checkMapping(mapping, imp.columns, all);
    if (mapping.columns.length === 0) throw new Invalid([{ field: 'mapping', message: 'maps no column' }]);
    void actor;
    return {
      settings: { mapping, mode, match, region, replacePhones: input.replacePhones ?? false },
      targets,
    };
  }

  // ------------------------------------------------------------ runs

  /**
   * Starts the real run or a dry run (a job of kind `import`). A dry run runs
   * the same code and rolls each chunk's writes back; it counts as the run will.
   */
  async start(actor: Actor, id: string, input: SettingsInput, dryRun: boolean): Promise<void> {
    requirePrivilege(actor, 'data.import');
    const { imp } = await this.get(actor, id);
    const { settings } = await this.settings(actor, imp, input);
    await this.db.transaction(async (tx) => {
      const locked = await store.getImport(tx, id, true);
      if (!locked) throw new NotFound('Import');
      const runs = await store.runsOf(tx, [id]);
      const real = runs.find((r) => !r.dry_run);
      const dry = runs.find((r) => r.dry_run);
      if (real) throw new Conflict('This import has already been started; upload the file again to import it again');
      if (dry && (dry.status === 'queued' || dry.status === 'running')) {
        throw new Conflict('A dry run of this import is still going: wait for it or cancel it');
      }
      const job = await this.queue.enqueue<JobParams>(
        { kind: IMPORT_JOB, params: { importId: id, dryRun }, ownerId: actor.userId, total: imp.total_rows },
        tx,
      );
      await store.insertRun(tx, {
        importId: id,
        dryRun,
        jobId: job.id,
        settings: settings as unknown as Record<string, unknown>,
        startedBy: actor.userId,
        startedByName: actor.name,
        now: this.clock.now(),
      });
      if (!dryRun) {
        await recordAudit(tx, actor, {
          action: 'import.started',
          targetType: 'import',
          targetId: id,
          details: {
            objectType: imp.object_type,
            fileName: imp.file_name,
            rows: imp.total_rows,
            mode: settings.mode,
            match: settings.match,
            jobId: job.id,
          },
        });
      }
    });
  }

  /** Cancels the run going on (the real one, else the dry run): it stops before its next chunk. */
  async cancel(actor: Actor, id: string): Promise<void> {
    const { runs } = await this.get(actor, id);
    const active = runs
      .filter((r) => r.status === 'queued' || r.status === 'running')
      .sort((a) => (a.dry_run ? 1 : -1));
    if (active.length === 0) throw new Conflict('Nothing to cancel: no run of this import is going');
    await this.queue.cancel(actor, active[0].job_id);
  }

  /** Deletes an import that was never started (its file with it). */
  async delete(actor: Actor, id: string): Promise<void> {
    const { runs } = await this.get(actor, id);
    if (runs.some((r) => !r.dry_run || r.status === 'queued' || r.status === 'running')) {
      throw new Conflict('A started import stays in the list; only one never started can be deleted');
    }
    await store.deleteImport(this.db, id);
  }

  /** The failed rows of a run, in row order, a page at a time (the errors file streams them all). */
  async errors(actor: Actor, id: string, dryRun: boolean, afterRow: number, limit: number) {
    await this.get(actor, id);
    return store.listErrors(this.db, id, dryRun, afterRow, limit);
  }

  // ------------------------------------------------------------ mappings

  listMappings(actor: Actor, objectType?: ImportObjectType) {
    requirePrivilege(actor, 'data.import');
    return store.listMappings(this.db, objectType);
  }

  async getMapping(actor: Actor, id: string) {
    requirePrivilege(actor, 'data.import');
    const m = isUuid(id) ? await store.getMapping(this.db, id) : null;
    if (!m) throw new NotFound('Mapping');
    return m;
  }

  async createMapping(actor: Actor, input: { objectType: ImportObjectType; name: string; mapping: Mapping }) {
    requirePrivilege(actor, 'data.import');
    const targets = await this.targets(this.db, input.objectType);
    checkMapping(
      input.mapping,
      input.mapping.columns.map((c) => c.column),
      targets,
    );
    return store.insertMapping(this.db, { ...input, name: input.name.trim(), createdBy: actor.userId });
  }

  async updateMapping(
    actor: Actor,
    id: string,
    input: { name?: string; mapping?: Mapping },
    expectedVersion: number | null,
  ) {
    requirePrivilege(actor, 'data.import');
    return this.db.transaction(async (tx) => {
      const m = isUuid(id) ? await store.getMapping(tx, id, true) : null;
      if (!m) throw new NotFound('Mapping');
      if (expectedVersion !== null && expectedVersion !== m.version) throw Conflict.stale(m);
      const mapping = input.mapping ?? m.mapping;
      checkMapping(
        mapping,
        mapping.columns.map((c) => c.column),
        await this.targets(tx, m.object_type),
      );
      return store.updateMapping(tx, id, (input.name ?? m.name).trim(), mapping);
    });
  }

  async deleteMapping(actor: Actor, id: string) {
    requirePrivilege(actor, 'data.import');
    const m = isUuid(id) ? await store.getMapping(this.db, id) : null;
    if (!m) throw new NotFound('Mapping');
    await store.deleteMapping(this.db, id);
  }

  /** Unmapped columns of an import under a mapping. */
  unmapped(imp: ImportRow, mapping: Mapping): string[] {
    return unmappedColumns(imp.columns, mapping);
  }
}

function bomLength(sample: Buffer, encoding: Encoding): number {
  if (encoding === 'utf-8' && sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 3;
  if (encoding === 'utf-16le' && sample[0] === 0xff && sample[1] === 0xfe) return 2;
  if (encoding === 'utf-16be' && sample[0] === 0xfe && sample[1] === 0xff) return 2;
  return 0;
}

interface Checked {
  format: FileFormat;
  encoding: Encoding;
  delimiter: Delimiter | null;
  bom: number;
  columns: string[];
  sample: unknown[];
  rows: number;
}

/** Reads the whole file once: its header, a few rows to map by, its row count, or the problem that stops it. */
async function checkFile(
  input: AsyncIterable<Buffer>,
  opts: { format: FileFormat; encoding: Encoding; delimiter: Delimiter; bom: number },
): Promise<Checked> {
  let columns: string[] | null = opts.format === 'jsonl' ? [] : null;
  const keys = new Set<string>();
  const sample: unknown[] = [];
  let rows = 0;
  for await (const rec of readRecords(input, opts) as AsyncIterable<FileRecord>) {
    if (rec.kind === 'cells' && columns === null) {
      columns = checkHeader(rec.cells);
      continue;
    }
    rows++;
    if (rec.kind === 'object' && rows <= KEY_SCAN_LINES) {
      for (const k of flattenObject(rec.value).keys()) {
        if (keys.size >= LIMITS.columns && !keys.has(k)) {
          throw new FileProblem(`The lines have more than ${LIMITS.columns} different keys`);
        }
        keys.add(k);
      }
    }
    if (sample.length < SAMPLE_ROWS && rec.kind !== 'bad') sample.push(rec.kind === 'cells' ? rec.cells : rec.value);
  }
  return {
    format: opts.format,
    encoding: opts.encoding,
    delimiter: opts.format === 'csv' ? opts.delimiter : null,
    bom: opts.bom,
    columns: opts.format === 'jsonl' ? [...keys] : (columns ?? []),
    sample,
    rows,
  };
}
