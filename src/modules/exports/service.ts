import type { Writable } from 'node:stream';
import type { Db, Queryable, Row } from '../../db/adapter.js';
import { can, requirePrivilege, type Actor } from '../../http/actor.js';
import { Invalid, type FieldError } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { recordAudit } from '../audit/service.js';
import { prepareCustomFieldFilters, type PreparedCondition } from '../custom-fields/filters.js';
import type { CustomFieldsService } from '../custom-fields/service.js';
import { recordWriter, type ExportFormat } from './format.js';
import { OBJECTS, type Column, type ExportObject, type ObjectDef } from './objects.js';

/** Rows read per keyset page: small enough to start at once, large enough to keep round trips few. */
export const PAGE_ROWS = 1000;

/** What to export: as the API and the CLI take it. */
export interface ExportSpec {
  object: ExportObject;
  format: ExportFormat;
  /** The object's list filters by name (see objects.ts), and `cf.<key>` custom field filters. */
  filters: Record<string, unknown>;
  /** Only records changed at or after this time, plus tombstones for those deleted since. */
  updatedSince?: Date;
  /** Column keys in the order wanted (a prefix such as `primaryAddress` takes all its parts); all when absent. */
  columns?: string[];
  /** CSV: begin with a UTF-8 byte-order mark (Excel then reads accents right). */
  bom?: boolean;
}

/** A checked export, ready to run: a bad filter is refused before the first byte is written. */
interface PreparedExport {
  spec: ExportSpec;
  def: ObjectDef;
  columns: Column[];
  conditions: ((add: (v: unknown) => string) => string)[];
  custom: PreparedCondition | null;
}

interface ExportOutcome {
  rows: number;
  tombstones: number;
  /** The snapshot's time (the transaction's start): the `updatedSince` of the next incremental export. */
  snapshotAt: Date;
}

interface WriteHooks {
  /** First thing in the export's transaction (after its isolation level is set). */
  onStart?(tx: Queryable): Promise<void>;
  /** After each page, in the export's transaction (a background export stores its bytes here). */
  onPage?(tx: Queryable, rows: number): Promise<void>;
  /** After the last record, still in the export's transaction. */
  onEnd?(tx: Queryable, outcome: ExportOutcome): Promise<void>;
  signal?: AbortSignal;
}

/**
 * Exports (docs/exporting.md): every row of one object type that the filters
 * select, read in keyset pages inside one REPEATABLE READ transaction (one
 * consistent snapshot however long it takes, while agents keep writing), and
 * written to a stream as it is read.
 */
export class ExportsService {
  constructor(
    private readonly db: Db,
    private readonly customFields: CustomFieldsService,
  ) {}

  /** Checks the caller's privileges, the filters and the columns; a 400 names what is wrong. */
  async prepare(actor: Actor, spec: ExportSpec): Promise<PreparedExport> {
    requirePrivilege(actor, 'data.export');
    const def = OBJECTS[spec.object];
    requirePrivilege(actor, ...def.privileges);
    const errors: FieldError[] = [];
    const conditions: PreparedExport['conditions'] = [];
    const cfQuery: Record<string, unknown> = {};
    for (const [name, given] of Object.entries(spec.filters)) {
      if (given === undefined) continue;
      // A number filter may come as its digits (a background export's JSON filters).
      const numeric = def.filters.find((x) => x.name === name)?.type === 'integer';
      const value = numeric && typeof given === 'string' && /^\d{1,15}$/.test(given) ? Number(given) : given;
      if (name.startsWith('cf.')) {
        if (!def.customFields) errors.push({ field: name, message: `${spec.object} have no custom fields` });
        else cfQuery[name] = value;
        continue;
      }
      const f = def.filters.find((x) => x.name === name);
      if (!f) {
        errors.push({ field: name, message: `not a filter of ${spec.object}` });
        continue;
      }
      if (f.type === 'uuid' && !isUuid(value)) errors.push({ field: name, message: 'not an id' });
      else if (f.type === 'boolean' && typeof value !== 'boolean')
        errors.push({ field: name, message: 'true or false' });
      else if (f.type === 'integer' && !(typeof value === 'number' && Number.isSafeInteger(value) && value > 0))
        errors.push({ field: name, message: 'a whole number above 0' });
      else if (f.type === 'text' && (typeof value !== 'string' || value.length > 200))
        errors.push({ field: name, message: 'a text of at most 200 characters' });
      else conditions.push((add) => f.condition(add, value as string | boolean | number));
    }
    if (errors.length) throw new Invalid(errors);
    const custom = def.customFields
      ? await prepareCustomFieldFilters(this.db, def.customFields, cfQuery, { alias: 't' })
      : null;
    if (def.privateCaseCondition && !can(actor, 'cases.viewPrivate')) {
      const sql = def.privateCaseCondition;
      conditions.push(() => sql);
    }
    if (spec.updatedSince) {
      const since = spec.updatedSince;
      conditions.push((add) => `${def.changedAt} >= ${add(since)}::timestamptz`);
    }
    const all = await this.columnsOf(def, spec.format);
    return { spec, def, columns: chooseColumns(all, spec.columns), conditions, custom };
  }

  /**
   * How many rows an export would hold, counted up to `cap` (a bounded count: the
   * console only needs to know whether a file is large). Not audited: nothing leaves.
   */
  async count(actor: Actor, spec: ExportSpec, cap: number): Promise<{ rows: number; more: boolean }> {
    const prep = await this.prepare(actor, spec);
    const { def } = prep;
    const params: unknown[] = [];
    const add = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where = prep.conditions.map((c) => c(add));
    if (prep.custom) where.push(prep.custom.render(add));
    const [{ n }] = await this.db.query<{ n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${def.from}
        ${where.length ? 'WHERE ' + where.map((w) => `(${w})`).join(' AND ') : ''}
        LIMIT ${add(cap + 1)}) x`,
      params,
    );
    return { rows: Math.min(n, cap), more: n > cap };
  }

  private async columnsOf(def: ObjectDef, format: ExportFormat): Promise<Column[]> {
    const base = def.columns.filter((c) => !c.only || c.only === format);
    if (!def.customFields) return base;
    const headers = new Set(base.map((c) => c.header.toLowerCase()));
    const defs = (await this.customFields.definitions(def.customFields)).filter((d) => !d.retired);
    const custom = defs.map((d): Column => ({
      key: `customFields.${d.key}`,
      // The label, as the importer suggests it back; "(custom field)" when a built-in column has that name.
      header: headers.has(d.label.toLowerCase()) ? `${d.label} (custom field)` : d.label,
      value: (r: Row) => ((r.custom_fields as Record<string, unknown> | null) ?? {})[d.key] ?? null,
    }));
    // Custom fields after the record's own fields, before its times and version.
    const tail = base.filter((c) => ['version', 'createdAt', 'updatedAt'].includes(c.key));
    return [...base.filter((c) => !tail.includes(c)), ...custom, ...tail];
  }

  /**
   * Writes the export to `out` (which it ends). Runs in a transaction of its
   * own: REPEATABLE READ must be set before its first statement, so it cannot
   * join a caller's. On the embedded database the transaction holds the one
   * connection until the last row is written.
   */
  async write(actor: Actor, prep: PreparedExport, out: Writable, hooks: WriteHooks = {}): Promise<ExportOutcome> {
    const { def, spec } = prep;
    const tombstones = Boolean(spec.updatedSince && def.tombstoneType);
    const writer = recordWriter(out, spec.format, prep.columns, { bom: spec.bom ?? false, tombstones });
    let outcome: ExportOutcome | undefined;
    try {
      outcome = await this.db.transaction(async (tx) => {
        await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        const [{ now }] = await tx.query<{ now: Date }>('SELECT now() AS now');
        await hooks.onStart?.(tx);
        let rows = 0;
        const readPage = (after: unknown) => {
          const params: unknown[] = [];
          const add = (v: unknown) => {
            params.push(v);
            return `$${params.length}`;
          };
          const where = prep.conditions.map((c) => c(add));
          if (prep.custom) where.push(prep.custom.render(add));
          if (after !== null) where.push(`${def.key.column} > ${add(after)}::${def.key.type}`);
          return tx.query(
            `SELECT ${def.select} FROM ${def.from}
              ${where.length ? 'WHERE ' + where.map((w) => `(${w})`).join(' AND ') : ''}
              ORDER BY ${def.key.column} LIMIT ${PAGE_ROWS}`,
            params,
          );
        };
        let page = await readPage(null);
        for (;;) {
          if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('export stopped');
          // The next page is asked for before this one is formatted, so the database reads it
          // while this process writes (on PostgreSQL the two run on different cores). A page the
          // loop then never awaits (the reader went away) fails with the rolled-back transaction.
          const next = page.length === PAGE_ROWS ? readPage(page[page.length - 1][def.key.field]) : null;
          next?.catch(() => undefined);
          await writer.writeRows(page);
          rows += page.length;
          if (page.length > 0) await hooks.onPage?.(tx, rows);
          if (!next) break;
          page = await next;
        }
        let deleted = 0;
        if (tombstones) {
          // Deletions are the history's `delete` lines (a deleted record's history outlives it).
          const gone = await tx.query<{ record_id: string; at: Date }>(
            `SELECT DISTINCT ON (record_id) record_id, at FROM history
              WHERE record_type = $1 AND action = 'delete' AND at >= $2
                AND NOT EXISTS (SELECT 1 FROM ${def.from.split(' ')[0]} t WHERE t.id = history.record_id)
              ORDER BY record_id, at DESC`,
            [def.tombstoneType, spec.updatedSince],
          );
          await writer.writeDeleted(gone.map((g) => ({ id: g.record_id, at: g.at })));
          deleted = gone.length;
        }
        await writer.end();
        const result = { rows, tombstones: deleted, snapshotAt: now };
        await hooks.onEnd?.(tx, result);
        return result;
      });
      return outcome;
    } finally {
      await this.audit(actor, prep, outcome);
    }
  }

  /** Every export is on the audit trail: who, what, which filters, how many rows (or that it did not finish). */
  private async audit(actor: Actor, prep: PreparedExport, outcome: ExportOutcome | undefined): Promise<void> {
    const { spec } = prep;
    await recordAudit(this.db, actor, {
      action: 'data.exported',
      targetType: spec.object,
      details: {
        format: spec.format,
        filters: spec.filters,
        updatedSince: spec.updatedSince?.toISOString() ?? null,
        columns: prep.columns.map((c) => c.key),
        completed: outcome !== undefined,
        rows: outcome?.rows ?? null,
        tombstones: outcome?.tombstones ?? null,
      },
    });
  }
}

/** The columns in the order asked for; a key may name a group by its prefix (`primaryAddress`, `phones`). */
function chooseColumns(all: Column[], keys: string[] | undefined): Column[] {
  if (!keys || keys.length === 0) return all;
  const chosen: Column[] = [];
  const unknown: string[] = [];
  for (const k of keys) {
    const match = all.filter((c) => c.key === k || c.key.startsWith(`${k}.`));
    if (match.length === 0) unknown.push(k);
    for (const c of match) if (!chosen.includes(c)) chosen.push(c);
  }
  if (unknown.length) {
    throw new Invalid([{ field: 'columns', message: `no such column: ${unknown.join(', ')}` }]);
  }
  return chosen;
}
