import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/adapter.js';
import type { EventHub } from '../../events/hub.js';
import { type Actor, can, requirePrivilege } from '../../http/actor.js';
import { Invalid, type FieldError } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { caseConditions, type CaseFilter } from '../cases/store.js';
import { foldCaseRollups, pendingRollupDeltas, rollupRelation } from '../cases/rollups.js';
import { CHANNELS as CASE_CHANNELS } from '../cases/schema.js';
import { interactionConditions, type InteractionFilter } from '../interactions/store.js';
import { foldRepeatCallers, pendingRepeatCallers, repeatCountSql } from '../interactions/repeat.js';
import { CHANNELS as INTERACTION_CHANNELS, DIRECTIONS } from '../interactions/schema.js';
import { taskConditions, type TaskFilter } from '../tasks/store.js';
import { isTimeZone } from '../tasks/time.js';
import type {
  Bucket,
  BucketUnit,
  CasesReport,
  Figure,
  InteractionsReport,
  ReportQuery,
  TasksReport,
  Timing,
  Wallboard,
  WorkloadReport,
} from './schema.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** The rollups' slot (migration 1620): a quarter of an hour, from a UTC origin. */
const SLOT_MS = 900_000;
/**
 * Deltas waiting in the rollups (src/modules/cases/rollups.ts), or callers waiting for the repeat-callers
 * fold (interactions/repeat.ts), from which a report folds them first.
 */
const FOLD_BEFORE_READ = 5_000;
/** The longest range a report covers, per bucket size (bounded work per view). */
const MAX_DAYS: Record<BucketUnit, number> = { day: 366, week: 731, month: 1096 };
const AGE_BANDS: { key: string; fromDays: number | null; toDays: number | null }[] = [
  { key: 'lt1d', fromDays: null, toDays: 1 },
  { key: '1to3d', fromDays: 1, toDays: 3 },
  { key: '3to7d', fromDays: 3, toDays: 7 },
  { key: '7to30d', fromDays: 7, toDays: 30 },
  { key: 'gt30d', fromDays: 30, toDays: null },
];

interface Range {
  from: string;
  to: string;
  tz: string;
  unit: BucketUnit;
  start: Date;
  end: Date;
  buckets: (Bucket & { s: Date; e: Date })[];
  /** Every bucket bound is a quarter-hour slot bound: the rollups (case_rollups) can answer exactly. */
  onSlots: boolean;
}

interface Dims {
  channels?: string[];
  priorities?: string[];
  severities?: string[];
  /** Explicit status filter, as the case list takes it. */
  status?: NonNullable<CaseFilter['status']>;
  /** The open-like status keys the status filter keeps (undefined: no status filter). */
  openKeys?: string[];
  ownerId?: string | null;
  publicOnly: boolean;
}

interface Series {
  buckets: Figure[];
  total: Figure;
}

interface ClosedRates {
  closed: number;
  fcr: number;
  reopened: number;
}

const iso = (d: Date) => d.toISOString();
const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/**
 * Reports (docs/reports.md): plain aggregate queries over cases, follow-ups,
 * reopens, interactions and tasks. Each count is built from the same filter
 * definitions the list endpoints use (cases/store.ts caseConditions,
 * tasks/store.ts taskConditions, interactions/store.ts interactionConditions),
 * and carries the list query that yields exactly its records.
 *
 * The one module that reads other modules' tables: read-only, aggregate, and
 * through those modules' own filter builders, so a figure and its list cannot
 * drift apart.
 */
export class ReportsService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly hub: EventHub | null,
    /** false: every figure from the raw rows, as before the rollups (bench/reports-bench.ts compares the two). */
    private readonly useRollups = true,
    /**
     * false: the fine rollup (case_rollups) for every view and the backlog from the open cases, as before
     * migrations 1650 and 1651 (bench/reports-bench.ts compares the two).
     */
    private readonly useCoarseRollups = true,
  ) {}

  // ------------------------------------------------------------------ cases

  async cases(actor: Actor, query: ReportQuery, tx?: Queryable): Promise<CasesReport> {
    requirePrivilege(actor, 'reports.view');
    const q = tx ?? this.db;
    // Exact either way (reads sum the deltas too); folding a large backlog of deltas first keeps the read short.
    if (this.useRollups && !tx && (await pendingRollupDeltas(q, FOLD_BEFORE_READ)) >= FOLD_BEFORE_READ) {
      await foldCaseRollups(this.db);
    }
    const now = this.clock.now();
    const range = await this.range(q, query, now);
    const dims = await this.dims(q, actor, query, 'cases');
    const base = baseCaseFilter(dims);
    const inRange = { openedFrom: iso(range.start), openedTo: iso(range.end) };
    const closedRange = { closedFrom: iso(range.start), closedTo: iso(range.end) };

    const rolled = this.useRollups && range.onSlots ? await this.rolledUp(q, range, base) : null;
    const opened = rolled?.opened ?? (await this.caseSeries(q, range, base, 'c.opened_at', inRange));
    const closed = rolled?.closed ?? (await this.caseSeries(q, range, base, 'c.closed_at', closedRange));
    const reopened = await this.reopenSeries(q, range, base);

    // Backlog now: open cases (within the status filter's open-like statuses).
    const openFilter = openCaseFilter(dims);
    const backlog: CasesReport['backlog'] = {
      byStatus: [],
      byPriority: [],
      byAge: [],
      unassigned: zero(),
      total: zero(),
    };
    if (openFilter) {
      // One pass over the open cases: per status, per priority, and the totals with the age bands.
      const bands = AGE_BANDS.map((band) => {
        const f: CaseFilter = { ...openFilter };
        // "< 1 day" includes cases opened in the future of the clock (imports): no upper bound.
        if (band.toDays !== null) f.openedFrom = iso(new Date(now.getTime() - band.toDays * DAY_MS));
        if (band.fromDays !== null) f.openedTo = iso(new Date(now.getTime() - band.fromDays * DAY_MS));
        return { key: band.key, f };
      });
      const rows =
        this.useRollups && this.useCoarseRollups && backlogRolledUp(openFilter)
          ? await this.backlogFromRollup(q, openFilter, bands, now)
          : await this.backlogFromCases(q, openFilter, bands);
      // Most cases first; ties by key, so the order does not depend on how the rows were read.
      const byN = (key: 's' | 'pr') => (a: BacklogRow, b: BacklogRow) =>
        b.n - a.n || String(a[key]).localeCompare(String(b[key]));
      backlog.byStatus = rows
        .filter((r) => r.gs === 0)
        .sort(byN('s'))
        .map((r) => ({
          key: r.s as string,
          value: caseFigure(r.n, { ...openFilter, status: { open: false, closed: false, keys: [r.s as string] } }),
        }));
      backlog.byPriority = rows
        .filter((r) => r.gp === 0)
        .sort(byN('pr'))
        .map((r) => ({ key: r.pr as string, value: caseFigure(r.n, { ...openFilter, priorities: [r.pr as string] }) }));
      const all = rows.find((r) => r.gs === 1 && r.gp === 1);
      backlog.byAge = bands.map(({ key, f }, i) => ({ key, value: caseFigure(Number(all?.[`b${i}`] ?? 0), f) }));
      const unassigned: CaseFilter = { ...openFilter, ownerId: null };
      const unassignedCount =
        openFilter.ownerId === undefined ? Number(all?.unassigned ?? 0) : await this.caseCount(q, unassigned);
      backlog.unassigned = caseFigure(unassignedCount, unassigned);
      backlog.total = caseFigure(all?.n ?? 0, openFilter);
    }

    // First response: cases opened in the range with a public staff follow-up.
    const firstResponse = await this.timings(q, range, { ...base, ...inRange }, 'c.opened_at', 'c.first_response_at', {
      responded: true,
    });
    // Resolution: cases closed in the range (opened → closed).
    const resolution = await this.timings(q, range, { ...base, ...closedRange }, 'c.closed_at', 'c.closed_at', {});

    // First-contact resolution and reopen rate, over the cases closed in the range.
    const closedF: CaseFilter = { ...base, ...closedRange };
    const rates = rolled?.rates ?? (await this.closedRates(q, closedF));
    const closedFig = caseFigure(rates.closed, closedF);
    return {
      range: rangeView(range, now),
      buckets: range.buckets.map(bucketView),
      opened: opened.buckets,
      closed: closed.buckets,
      reopened: reopened.buckets,
      totals: { opened: opened.total, closed: closed.total, reopened: reopened.total },
      backlog,
      firstResponse,
      resolution,
      firstContactResolution: {
        closed: closedFig,
        resolved: caseFigure(rates.fcr, { ...closedF, staffResponses: 1 }),
        rate: ratio(rates.fcr, rates.closed),
      },
      reopenRate: {
        closed: closedFig,
        reopened: caseFigure(rates.reopened, { ...closedF, reopened: true }),
        rate: ratio(rates.reopened, rates.closed),
      },
    };
  }

  /** The backlog's counts from the open cases: per status, per priority, and the totals with the age bands. */
  private async backlogFromCases(q: Queryable, openFilter: CaseFilter, bands: { f: CaseFilter }[]) {
    const p: unknown[] = [];
    const w = caseConditions(openFilter, p);
    const bandSql = bands.map(
      ({ f }, i) => `count(*) FILTER (WHERE ${bandCondition(f, 'c.opened_at', p)})::int AS b${i}`,
    );
    return q.query<BacklogRow>(
      `SELECT c.status AS s, c.priority AS pr, GROUPING(c.status)::int AS gs, GROUPING(c.priority)::int AS gp,
              count(*)::int AS n, count(*) FILTER (WHERE c.owner_id IS NULL)::int AS unassigned, ${bandSql.join(', ')}
       FROM cases c WHERE ${where(w)}
       GROUP BY GROUPING SETS ((c.status), (c.priority), ())`,
      p,
    );
  }

  /**
   * The same counts from case_backlog (migration 1651: open cases per UTC day
   * opened, visibility, status, priority, owner or none). A day no band bound
   * falls in lies wholly in one band; the cases of the (at most four) days a
   * bound falls in are read themselves, so the bands stay exact to the second.
   */
  private async backlogFromRollup(q: Queryable, openFilter: CaseFilter, bands: { f: CaseFilter }[], now: Date) {
    // The UTC days holding a band bound (now − 1, 3, 7, 30 days).
    const edges = [
      ...new Set(
        AGE_BANDS.flatMap((b) => (b.toDays === null ? [] : [iso(new Date(now.getTime() - b.toDays * DAY_MS))])).map(
          (t) => t.slice(0, 10),
        ),
      ),
    ];
    const p: unknown[] = [];
    const w = caseConditions(openFilter, p);
    const edgeDays = add(p, edges);
    const bandSql = bands.map(
      ({ f }, i) => `coalesce(sum(c.cases) FILTER (WHERE ${bandCondition(f, 'c.day_start', p)}), 0)::int AS b${i}`,
    );
    const rows = await q.query<BacklogRow>(
      `SELECT c.status AS s, c.priority AS pr, GROUPING(c.status)::int AS gs, GROUPING(c.priority)::int AS gp,
              sum(c.cases)::int AS n, coalesce(sum(c.cases) FILTER (WHERE c.unassigned), 0)::int AS unassigned,
              ${bands.map((_, i) => `sum(c.b${i})::int AS b${i}`).join(', ')}
       FROM (SELECT c.status, c.priority, c.unassigned, c.cases, ${bands.map((_, i) => `0 AS b${i}`).join(', ')}
             FROM (SELECT b.*, true AS is_open FROM ${rollupRelation('case_backlog')} b) c WHERE ${where(w)}
             UNION ALL
             SELECT NULL, NULL, NULL, 0, ${bandSql.join(', ')}
             FROM (SELECT b.*, true AS is_open, b.opened_on::timestamp AT TIME ZONE 'UTC' AS day_start
                   FROM ${rollupRelation('case_backlog')} b) c
             WHERE NOT c.opened_on = ANY(${edgeDays}::date[]) AND ${where(w)}) c
       GROUP BY GROUPING SETS ((c.status), (c.priority), ())
       HAVING GROUPING(c.status) = 1 AND GROUPING(c.priority) = 1 OR sum(c.cases) <> 0`,
      p,
    );
    // The cases opened on the edge days, counted into their bands one by one.
    const ep: unknown[] = [];
    const ew = caseConditions(openFilter, ep);
    const spans = edges.map(
      (d) =>
        `(c.opened_at >= ${add(ep, `${d}T00:00:00Z`)}::timestamptz AND c.opened_at < ${add(ep, `${shiftDays(d, 1)}T00:00:00Z`)}::timestamptz)`,
    );
    const edgeBands = bands.map(
      ({ f }, i) => `count(*) FILTER (WHERE ${bandCondition(f, 'c.opened_at', ep)})::int AS b${i}`,
    );
    const [edge] = await q.query<Record<string, number>>(
      `SELECT ${edgeBands.join(', ')} FROM cases c WHERE ${where([...ew, `(${spans.join(' OR ')})`])}`,
      ep,
    );
    const all = rows.find((r) => r.gs === 1 && r.gp === 1);
    if (all) bands.forEach((_, i) => (all[`b${i}`] = Number(all[`b${i}`] ?? 0) + edge[`b${i}`]));
    return rows;
  }

  /** Of the cases closed in the range: how many, with exactly one staff response, reopened before (raw rows). */
  private async closedRates(q: Queryable, closedF: CaseFilter): Promise<ClosedRates> {
    const p: unknown[] = [];
    const w = caseConditions(closedF, p);
    const [rates] = await q.query<ClosedRates>(
      `SELECT count(*)::int AS closed,
              count(*) FILTER (WHERE c.staff_responses = 1)::int AS fcr,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_reopens r WHERE r.case_id = c.id))::int AS reopened
       FROM cases c WHERE ${where(w)}`,
      p,
    );
    return rates;
  }

  /**
   * Opened and closed per bucket, and the closed cases' rates, from the rollups
   * instead of the cases: the coarse one (case_rollups_coarse, migration 1650:
   * per slot and one filter column) when the view has at most one filter and no
   * owner, else the fine one (case_rollups, migration 1620: per slot and
   * combination of every filter column). Their columns carry the cases' names,
   * so the case list's own filter builder (caseConditions, on the filter columns
   * only) selects the rows, and a figure and its list still cannot drift apart.
   */
  private async rolledUp(
    q: Queryable,
    range: Range,
    base: CaseFilter,
  ): Promise<{ opened: Series; closed: Series; rates: ClosedRates }> {
    const p: unknown[] = [];
    const w = caseConditions(base, p);
    const dim = this.useCoarseRollups ? coarseDim(base) : null;
    if (dim) w.push(`c.dim = ${add(p, dim)}::text`);
    const k = bucketKey('c.slot', p, range);
    const from = add(p, range.start);
    const to = add(p, range.end);
    const rows = await q.query<{ k: string; kind: 'opened' | 'closed'; n: number; fcr: number; reopened: number }>(
      `SELECT ${k} AS k, c.kind, sum(c.cases)::int AS n, sum(c.one_response)::int AS fcr,
              sum(c.reopened)::int AS reopened
       FROM ${rollupRelation(dim ? 'case_rollups_coarse' : 'case_rollups')} c
       WHERE c.kind IN ('opened', 'closed') AND c.slot >= ${from}::timestamptz AND c.slot < ${to}::timestamptz
         AND ${where(w)}
       GROUP BY 1, 2`,
      p,
    );
    const series = (kind: 'opened' | 'closed'): Series => {
      const mine = rows.filter((r) => r.kind === kind);
      const counts = new Map(mine.map((r) => [r.k, r.n]));
      const span = (s: Date, e: Date): CaseFilter =>
        kind === 'closed'
          ? { ...base, closedFrom: iso(s), closedTo: iso(e) }
          : { ...base, openedFrom: iso(s), openedTo: iso(e) };
      return {
        buckets: range.buckets.map((b) => caseFigure(counts.get(b.key) ?? 0, span(b.s, b.e))),
        total: caseFigure(
          mine.reduce((a, r) => a + r.n, 0),
          span(range.start, range.end),
        ),
      };
    };
    const closedRows = rows.filter((r) => r.kind === 'closed');
    const sum = (pick: (r: (typeof rows)[number]) => number) => closedRows.reduce((a, r) => a + pick(r), 0);
    return {
      opened: series('opened'),
      closed: series('closed'),
      rates: { closed: sum((r) => r.n), fcr: sum((r) => r.fcr), reopened: sum((r) => r.reopened) },
    };
  }

  /** Counts per bucket of `column` (opened_at or closed_at) within the range, and the total. */
  private async caseSeries(
    q: Queryable,
    range: Range,
    base: CaseFilter,
    column: string,
    rangeFilter: Partial<CaseFilter>,
  ): Promise<Series> {
    const f = { ...base, ...rangeFilter };
    const p: unknown[] = [];
    const w = caseConditions(f, p);
    const rows = await q.query<{ k: string; n: number }>(
      `SELECT ${bucketKey(column, p, range)} AS k, count(*)::int AS n FROM cases c WHERE ${where(w)} GROUP BY 1`,
      p,
    );
    const counts = new Map(rows.map((r) => [r.k, r.n]));
    const isClosed = column === 'c.closed_at';
    const buckets = range.buckets.map((b) => {
      const bf: CaseFilter = isClosed
        ? { ...base, closedFrom: iso(b.s), closedTo: iso(b.e) }
        : { ...base, openedFrom: iso(b.s), openedTo: iso(b.e) };
      return caseFigure(counts.get(b.key) ?? 0, bf);
    });
    const total = rows.reduce((a, r) => a + r.n, 0);
    return { buckets, total: caseFigure(total, f) };
  }

  /** Cases reopened at least once in each bucket (a case reopened twice in one bucket counts once). */
  private async reopenSeries(q: Queryable, range: Range, base: CaseFilter) {
    const p: unknown[] = [];
    const w = caseConditions(base, p);
    const from = add(p, range.start);
    const to = add(p, range.end);
    const rows = await q.query<{ k: string | null; n: number }>(
      `SELECT k, count(DISTINCT id)::int AS n
       FROM (SELECT ${bucketKey('r.at', p, range)} AS k, r.case_id AS id
             FROM case_reopens r JOIN cases c ON c.id = r.case_id
             WHERE r.at >= ${from}::timestamptz AND r.at < ${to}::timestamptz AND ${where(w)}) x
       GROUP BY GROUPING SETS ((k), ())`,
      p,
    );
    const counts = new Map(rows.filter((r) => r.k !== null).map((r) => [r.k!, r.n]));
    const total = rows.find((r) => r.k === null)?.n ?? 0;
    return {
      buckets: range.buckets.map((b) =>
        caseFigure(counts.get(b.key) ?? 0, { ...base, reopenedFrom: iso(b.s), reopenedTo: iso(b.e) }),
      ),
      total: caseFigure(total, { ...base, reopenedFrom: iso(range.start), reopenedTo: iso(range.end) }),
    };
  }

  private async caseGroups(q: Queryable, f: CaseFilter, column: string): Promise<Map<string | null, number>> {
    const p: unknown[] = [];
    const w = caseConditions(f, p);
    const rows = await q.query<{ k: string | null; n: number }>(
      `SELECT ${column} AS k, count(*)::int AS n FROM cases c WHERE ${where(w)} GROUP BY 1 ORDER BY 2 DESC, 1`,
      p,
    );
    return new Map(rows.map((r) => [r.k, r.n]));
  }

  private async caseCount(q: Queryable, f: CaseFilter): Promise<number> {
    const p: unknown[] = [];
    const w = caseConditions(f, p);
    const [r] = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases c WHERE ${where(w)}`, p);
    return r.n;
  }

  /**
   * Median and 90th percentile (percentile_cont) of `endExpr − opened_at`, in
   * seconds, per bucket of `bucketColumn`, per current owner, and over the range.
   */
  private async timings(
    q: Queryable,
    range: Range,
    f: CaseFilter,
    bucketColumn: string,
    endExpr: string,
    extra: Partial<CaseFilter>,
  ): Promise<CasesReport['firstResponse']> {
    const p: unknown[] = [];
    const w = caseConditions(f, p);
    const k = bucketKey(bucketColumn, p, range);
    const rows = await q.query<{
      k: string | null;
      owner: string | null;
      gk: number;
      go: number;
      n: number;
      med: number | null;
      p90: number | null;
    }>(
      `SELECT k, owner, GROUPING(k)::int AS gk, GROUPING(owner)::int AS go, count(*)::int AS n,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(d, 0)) AS med,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY greatest(d, 0)) AS p90
       FROM (SELECT ${k} AS k, c.owner_id AS owner, extract(epoch FROM (${endExpr} - c.opened_at))::float8 AS d
             FROM cases c WHERE ${where(w)}) x
       WHERE d IS NOT NULL
       GROUP BY GROUPING SETS ((k), (owner), ())`,
      p,
    );
    const timing = (n: number, med: number | null, p90: number | null, lf: CaseFilter): Timing => ({
      n: caseFigure(n, lf),
      medianSeconds: med === null ? null : Number(med),
      p90Seconds: p90 === null ? null : Number(p90),
    });
    const perBucket = new Map(rows.filter((r) => r.gk === 0).map((r) => [r.k!, r]));
    const isClosed = bucketColumn === 'c.closed_at';
    const buckets = range.buckets.map((b) => {
      const r = perBucket.get(b.key);
      const bf: CaseFilter = isClosed
        ? { ...f, ...extra, closedFrom: iso(b.s), closedTo: iso(b.e) }
        : { ...f, ...extra, openedFrom: iso(b.s), openedTo: iso(b.e) };
      return timing(r?.n ?? 0, r?.med ?? null, r?.p90 ?? null, bf);
    });
    const byOwner = rows
      .filter((r) => r.gk === 1 && r.go === 0)
      .sort((a, b) => b.n - a.n)
      .map((r) => ({ key: r.owner, value: timing(r.n, r.med, r.p90, { ...f, ...extra, ownerId: r.owner }) }));
    const t = rows.find((r) => r.gk === 1 && r.go === 1);
    return { buckets, byOwner, total: timing(t?.n ?? 0, t?.med ?? null, t?.p90 ?? null, { ...f, ...extra }) };
  }

  // ------------------------------------------------------------- interactions

  async interactions(actor: Actor, query: ReportQuery, tx?: Queryable): Promise<InteractionsReport> {
    requirePrivilege(actor, 'reports.view');
    const q = tx ?? this.db;
    // Exact either way (the callers waiting take the probe); folding many first keeps the count on the index.
    if (!tx && (await pendingRepeatCallers(q, FOLD_BEFORE_READ)) >= FOLD_BEFORE_READ) {
      // Bounded: after a large import the job drains the rest; the count is exact meanwhile.
      await foldRepeatCallers(this.db, { maxBatches: 10 });
    }
    const now = this.clock.now();
    const range = await this.range(q, query, now);
    const dims = await this.dims(q, actor, query, 'interactions');
    const base: InteractionFilter = {
      ...interactionDims(dims),
      startedFrom: iso(range.start),
      startedTo: iso(range.end),
    };
    const channels = dims.channels ?? [...INTERACTION_CHANNELS];
    const p: unknown[] = [];
    const arg = (v: unknown) => add(p, v);
    const w = interactionConditions(base, arg);
    const k = bucketKey('i.started_at', p, range);
    const tz = arg(range.tz);
    const rows = await q.query<{ k: string | null; h: number | null; channel: string; direction: string; n: number }>(
      `SELECT k, h, channel, direction, count(*)::int AS n
       FROM (SELECT ${k} AS k, extract(hour FROM i.started_at AT TIME ZONE ${tz}::text)::int AS h,
                    i.channel, i.direction FROM interactions i WHERE ${where(w)}) x
       GROUP BY GROUPING SETS ((k, channel, direction), (h, channel, direction))`,
      p,
    );
    const perBucket: InteractionsReport['perBucket'] = [];
    const perHour: InteractionsReport['perHour'] = [];
    for (const channel of channels) {
      for (const direction of DIRECTIONS) {
        const mine = rows.filter((r) => r.channel === channel && r.direction === direction);
        const byKey = new Map(mine.filter((r) => r.k !== null).map((r) => [r.k!, r.n]));
        const byHour = new Map(mine.filter((r) => r.h !== null).map((r) => [r.h!, r.n]));
        const cd = { ...base, channels: [channel], direction };
        perBucket.push({
          channel,
          direction,
          values: range.buckets.map((b) =>
            interactionFigure(byKey.get(b.key) ?? 0, { ...cd, startedFrom: iso(b.s), startedTo: iso(b.e) }, range.tz),
          ),
        });
        perHour.push({
          channel,
          direction,
          values: Array.from({ length: 24 }, (_, h) =>
            interactionFigure(byHour.get(h) ?? 0, { ...cd, hour: { hour: h, tz: range.tz } }, range.tz),
          ),
        });
      }
    }
    const repeatDays = query.repeatDays ?? 7;
    const unmatched: InteractionFilter = { ...base, result: 'not_found' };
    const repeat: InteractionFilter = { ...base, repeatWithinDays: repeatDays };
    return {
      range: rangeView(range, now),
      buckets: range.buckets.map(bucketView),
      perBucket,
      perHour,
      total: interactionFigure(await this.interactionCount(q, base), base, range.tz),
      unmatched: interactionFigure(await this.interactionCount(q, unmatched), unmatched, range.tz),
      repeatCallers: {
        days: repeatDays,
        interactions: interactionFigure(await this.interactionCount(q, repeat), repeat, range.tz),
      },
    };
  }

  private async interactionCount(q: Queryable, f: InteractionFilter): Promise<number> {
    const p: unknown[] = [];
    if (f.repeatWithinDays !== undefined) {
      // The same rows as the filter's condition, counted from the stored gaps' index (interactions/repeat.ts).
      const days = add(p, f.repeatWithinDays);
      const w = interactionConditions({ ...f, repeatWithinDays: undefined }, (v) => add(p, v));
      const [r] = await q.query<{ n: number }>(repeatCountSql(days, w), p);
      return Number(r.n);
    }
    const w = interactionConditions(f, (v) => add(p, v));
    const [r] = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM interactions i WHERE ${where(w)}`, p);
    return r.n;
  }

  // ----------------------------------------------------------------- workload

  async workload(actor: Actor, query: ReportQuery, tx?: Queryable): Promise<WorkloadReport> {
    requirePrivilege(actor, 'reports.view');
    const q = tx ?? this.db;
    const now = this.clock.now();
    const range = await this.range(q, query, now);
    const dims = await this.dims(q, actor, query, 'workload');
    const openFilter = openCaseFilter({ ...dims, ownerId: undefined });
    const ownerOnly = dims.ownerId ?? null;

    const openCases = new Map<string, number>();
    if (openFilter) {
      for (const [k, n] of await this.caseGroups(q, openFilter, 'c.owner_id')) if (k) openCases.set(k, n);
    }
    const tp: unknown[] = [];
    const nowArg = add(tp, now);
    const taskRows = await q.query<{ a: string; open: number; overdue: number }>(
      `SELECT assignee_id AS a, count(*)::int AS open, count(*) FILTER (WHERE due_at < ${nowArg}::timestamptz)::int AS overdue
       FROM tasks WHERE status = 'open' GROUP BY 1`,
      tp,
    );
    const iBase: InteractionFilter = {
      ...interactionDims({ ...dims, ownerId: undefined }),
      startedFrom: iso(range.start),
      startedTo: iso(range.end),
    };
    const ip: unknown[] = [];
    const iw = interactionConditions(iBase, (v) => add(ip, v));
    const interactionRows = await q.query<{ a: string; n: number; wrapped: number }>(
      `SELECT i.agent_id AS a, count(*)::int AS n, count(*) FILTER (WHERE i.disposition IS NOT NULL)::int AS wrapped
       FROM interactions i WHERE ${where([...iw, 'i.agent_id IS NOT NULL'])} GROUP BY 1`,
      ip,
    );
    const tasks = new Map(taskRows.map((r) => [r.a, r]));
    const handled = new Map(interactionRows.map((r) => [r.a, r]));
    const users = await q.query<{ id: string; name: string; email: string; role: string }>(
      `SELECT id, trim(first_name || ' ' || last_name) AS name, email, role FROM users
       WHERE NOT disabled OR id = ANY($1::uuid[]) ORDER BY lower(first_name), lower(last_name), id`,
      [[...new Set([...openCases.keys(), ...tasks.keys(), ...handled.keys()])]],
    );
    const agents: WorkloadReport['agents'] = [];
    for (const u of users) {
      if (ownerOnly !== null && u.id !== ownerOnly) continue;
      const t = tasks.get(u.id);
      const h = handled.get(u.id);
      const openT: TaskFilter = { assigneeId: u.id, statuses: ['open'], order: 'due' };
      const overdueT: TaskFilter = { ...openT, dueAtTo: iso(now) };
      const mine: InteractionFilter = { ...iBase, agentId: u.id };
      agents.push({
        userId: u.id,
        name: u.name || u.email,
        role: u.role,
        openCases: openFilter
          ? caseFigure(openCases.get(u.id) ?? 0, { ...openFilter, ownerId: u.id })
          : { count: 0, list: null },
        openTasks: taskFigure(t?.open ?? 0, openT),
        overdueTasks: taskFigure(t?.overdue ?? 0, overdueT),
        interactions: interactionFigure(h?.n ?? 0, mine, range.tz),
        wrappedUp: interactionFigure(h?.wrapped ?? 0, { ...mine, wrappedUp: true }, range.tz),
        wrapUpRate: ratio(h?.wrapped ?? 0, h?.n ?? 0),
      });
    }
    return { range: rangeView(range, now), agents };
  }

  // -------------------------------------------------------------------- tasks

  async tasks(actor: Actor, query: ReportQuery, tx?: Queryable): Promise<TasksReport> {
    requirePrivilege(actor, 'reports.view');
    const q = tx ?? this.db;
    const now = this.clock.now();
    const range = await this.range(q, query, now);
    const dims = await this.dims(q, actor, query, 'tasks');
    const base: TaskFilter = { statuses: [], order: 'due' };
    if (dims.ownerId) base.assigneeId = dims.ownerId;
    const inRange: TaskFilter = { ...base, dueAtFrom: iso(range.start), dueAtTo: iso(range.end) };
    const p: unknown[] = [];
    const w = taskConditions(inRange, (v) => add(p, v));
    const k = bucketKey('due_at', p, range);
    const nowArg = add(p, now);
    const rows = await q.query<{ k: string | null; due: number; ontime: number; late: number; overdue: number }>(
      `SELECT k, count(*)::int AS due,
              count(*) FILTER (WHERE status = 'done' AND completed_at <= due_at)::int AS ontime,
              count(*) FILTER (WHERE status = 'done' AND completed_at > due_at)::int AS late,
              count(*) FILTER (WHERE status = 'open' AND due_at < ${nowArg}::timestamptz)::int AS overdue
       FROM (SELECT ${k} AS k, status, completed_at, due_at FROM tasks WHERE ${where(w)}) x
       GROUP BY GROUPING SETS ((k), ())`,
      p,
    );
    const byKey = new Map(rows.filter((r) => r.k !== null).map((r) => [r.k!, r]));
    const tot = rows.find((r) => r.k === null);
    const series = (pick: (r: (typeof rows)[number]) => number, filter: (s: Date, e: Date) => TaskFilter) => ({
      buckets: range.buckets.map((b) => {
        const r = byKey.get(b.key);
        return taskFigure(r ? pick(r) : 0, filter(b.s, b.e));
      }),
      total: taskFigure(tot ? pick(tot) : 0, filter(range.start, range.end)),
    });
    const span = (s: Date, e: Date): TaskFilter => ({ ...base, dueAtFrom: iso(s), dueAtTo: iso(e) });
    const due = series((r) => r.due, span);
    const onTime = series(
      (r) => r.ontime,
      (s, e) => ({ ...span(s, e), onTime: true }),
    );
    const late = series(
      (r) => r.late,
      (s, e) => ({ ...span(s, e), onTime: false }),
    );
    const overdue = series(
      (r) => r.overdue,
      (s, e) => ({ ...span(s, e.getTime() < now.getTime() ? e : now), statuses: ['open'] }),
    );
    return {
      range: rangeView(range, now),
      buckets: range.buckets.map(bucketView),
      due: due.buckets,
      doneOnTime: onTime.buckets,
      doneLate: late.buckets,
      overdue: overdue.buckets,
      totals: { due: due.total, doneOnTime: onTime.total, doneLate: late.total, overdue: overdue.total },
    };
  }

  // ---------------------------------------------------------------- wallboard

  /** The wallboard's live tiles: now, not a range (interactions today are today in tz). */
  async wallboard(actor: Actor, query: ReportQuery, tx?: Queryable): Promise<Wallboard> {
    requirePrivilege(actor, 'reports.view');
    const q = tx ?? this.db;
    const now = this.clock.now();
    const today = await this.range(q, { tz: query.tz }, now, true);
    const dims = await this.dims(q, actor, query, 'wallboard');
    const iBase = interactionDims(dims);
    const lastHour: InteractionFilter = { ...iBase, startedFrom: iso(new Date(now.getTime() - HOUR_MS)) };
    const todayF: InteractionFilter = { ...iBase, startedFrom: iso(today.start), startedTo: iso(today.end) };
    const target = query.firstResponseTargetMinutes ?? 60;
    const openFilter = openCaseFilter(dims);
    const caseFig = async (f: CaseFilter | null) => (f ? caseFigure(await this.caseCount(q, f), f) : zero());
    const breach = openFilter
      ? { ...openFilter, responded: false, openedTo: iso(new Date(now.getTime() - target * 60_000)) }
      : null;
    const overdue: TaskFilter = { statuses: ['open'], order: 'due', dueAtTo: iso(now) };
    if (dims.ownerId) overdue.assigneeId = dims.ownerId;
    const tp: unknown[] = [];
    const tw = taskConditions(overdue, (v) => add(tp, v));
    const [od] = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE ${where(tw)}`, tp);
    return {
      generatedAt: iso(now),
      interactionsLastHour: interactionFigure(await this.interactionCount(q, lastHour), lastHour, today.tz),
      interactionsToday: interactionFigure(await this.interactionCount(q, todayF), todayF, today.tz),
      openCases: await caseFig(openFilter),
      unassignedCases: await caseFig(openFilter ? { ...openFilter, ownerId: null } : null),
      firstResponseBreaches: { targetMinutes: target, cases: await caseFig(breach) },
      overdueTasks: taskFigure(od.n, overdue),
      agentsConnected: this.hub?.connectedUsers() ?? 0,
    };
  }

  // ------------------------------------------------------------------ inputs

  /** The range in the viewer's time zone, its instants and its buckets (all computed by PostgreSQL). */
  private async range(q: Queryable, query: ReportQuery, now: Date, todayOnly = false): Promise<Range> {
    const tz = query.tz ?? 'UTC';
    const unit: BucketUnit = todayOnly ? 'day' : (query.bucket ?? 'day');
    if (!isTimeZone(tz)) throw new Invalid([{ field: 'tz', message: 'not an IANA time zone (e.g. Europe/Paris)' }]);
    const [t] = await q.query<{ today: string }>(
      `SELECT to_char(($1::timestamptz AT TIME ZONE $2::text)::date, 'YYYY-MM-DD') AS today`,
      [now, tz],
    );
    const to = todayOnly ? t.today : (query.to ?? t.today);
    const from = todayOnly ? t.today : (query.from ?? shiftDays(to, -29));
    const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
    if (!(span >= 1)) throw new Invalid([{ field: 'from', message: 'the range starts after it ends (from > to)' }]);
    if (span > MAX_DAYS[unit]) {
      throw new Invalid([
        {
          field: 'to',
          message: `a range of ${unit} buckets covers at most ${MAX_DAYS[unit]} days; this one has ${span}`,
        },
      ]);
    }
    const rows = await q.query<{ key: string; s: Date; e: Date }>(
      `SELECT to_char(b, 'YYYY-MM-DD') AS key,
              greatest(b AT TIME ZONE $3::text, $1::date::timestamp AT TIME ZONE $3::text) AS s,
              least((b + $5::interval) AT TIME ZONE $3::text, ($2::date + 1)::timestamp AT TIME ZONE $3::text) AS e
       FROM generate_series(date_trunc($4::text, $1::date::timestamp), $2::date::timestamp, $5::interval) b
       ORDER BY b`,
      [from, to, tz, unit, `1 ${unit}`],
    );
    const [r] = await q.query<{ s: Date; e: Date }>(
      `SELECT $1::date::timestamp AT TIME ZONE $3::text AS s, ($2::date + 1)::timestamp AT TIME ZONE $3::text AS e`,
      [from, to, tz],
    );
    const onSlot = (d: Date) => d.getTime() % SLOT_MS === 0;
    return {
      from,
      to,
      tz,
      unit,
      start: r.s,
      end: r.e,
      onSlots: onSlot(r.s) && onSlot(r.e) && rows.every((b) => onSlot(b.s) && onSlot(b.e)),
      buckets: rows.map((b) => ({ key: b.key, start: iso(b.s), end: iso(b.e), s: b.s, e: b.e })),
    };
  }

  /** The filters, checked: unknown keys and ids are a 400 naming the field. */
  private async dims(
    q: Queryable,
    actor: Actor,
    query: ReportQuery,
    report: 'cases' | 'interactions' | 'workload' | 'tasks' | 'wallboard',
  ): Promise<Dims> {
    const errors: FieldError[] = [];
    const dims: Dims = { publicOnly: !can(actor, 'cases.viewPrivate') };
    if (query.channel !== undefined) {
      const list = csv(query.channel);
      const known = report === 'cases' ? CASE_CHANNELS : INTERACTION_CHANNELS;
      const caseBad = list.find((c) => !(CASE_CHANNELS as readonly string[]).includes(c));
      if (caseBad) errors.push({ field: 'channel', message: `unknown channel "${caseBad}"` });
      else if (report === 'interactions' && !list.some((c) => (known as readonly string[]).includes(c))) {
        errors.push({ field: 'channel', message: 'none of these channels carries interactions (phone, chat, email)' });
      }
      dims.channels = list;
    }
    const keys = async (table: string, raw: string | undefined, field: string) => {
      if (raw === undefined) return undefined;
      const list = csv(raw);
      const found = await q.query<{ key: string }>(`SELECT key FROM ${table} WHERE key = ANY($1::text[])`, [list]);
      const bad = list.find((k) => !found.some((f) => f.key === k));
      if (bad) errors.push({ field, message: `unknown ${field} "${bad}"` });
      return list;
    };
    dims.priorities = await keys('case_priorities', query.priority, 'priority');
    dims.severities = await keys('case_severities', query.severity, 'severity');
    if (query.status !== undefined) {
      const list = csv(query.status);
      const statuses = await q.query<{ key: string; is_open: boolean }>('SELECT key, is_open FROM case_statuses');
      const st = { open: false, closed: false, keys: [] as string[] };
      for (const k of list) {
        if (k === 'open') st.open = true;
        else if (k === 'closed') st.closed = true;
        else if (!statuses.some((s) => s.key === k)) errors.push({ field: 'status', message: `unknown status "${k}"` });
        else st.keys.push(k);
      }
      dims.status = st;
      dims.openKeys = statuses.filter((s) => s.is_open && (st.open || st.keys.includes(s.key))).map((s) => s.key);
    }
    if (query.ownerId !== undefined) {
      if (query.ownerId === 'none') {
        if (report !== 'cases') errors.push({ field: 'ownerId', message: '"none" applies to the cases report only' });
        dims.ownerId = null;
      } else if (isUuid(query.ownerId)) dims.ownerId = query.ownerId;
      else errors.push({ field: 'ownerId', message: 'a user id, or "none" (unassigned cases)' });
    }
    if (errors.length) throw new Invalid(errors);
    return dims;
  }
}

// ---------------------------------------------------------------- helpers

function csv(s: string): string[] {
  return [
    ...new Set(
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
}

function add(p: unknown[], v: unknown): string {
  p.push(v);
  return `$${p.length}`;
}

function where(w: string[]): string {
  return w.length ? w.join(' AND ') : 'true';
}

/** The bucket a timestamp falls in, as its local start date (matches Range.buckets' keys). */
function bucketKey(column: string, p: unknown[], range: Range): string {
  const unit = add(p, range.unit);
  const tz = add(p, range.tz);
  return `to_char(date_trunc(${unit}::text, ${column} AT TIME ZONE ${tz}::text), 'YYYY-MM-DD')`;
}

function shiftDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function rangeView(r: Range, now: Date) {
  return {
    from: r.from,
    to: r.to,
    tz: r.tz,
    bucket: r.unit,
    start: iso(r.start),
    end: iso(r.end),
    generatedAt: iso(now),
  };
}

function bucketView(b: Range['buckets'][number]): Bucket {
  return { key: b.key, start: b.start, end: b.end };
}

const zero = (): Figure => ({ count: 0, list: null });

function baseCaseFilter(d: Dims): CaseFilter {
  const f: CaseFilter = { publicOnly: d.publicOnly };
  if (d.channels) f.channels = d.channels;
  if (d.priorities) f.priorities = d.priorities;
  if (d.severities) f.severities = d.severities;
  if (d.status) f.status = d.status;
  if (d.ownerId !== undefined) f.ownerId = d.ownerId;
  return f;
}

/**
 * The coarse rollup's rows that answer a filter (case_rollups_coarse, migration
 * 1650): 'all' with no filter, the filtered column's rows with one of channel,
 * priority, severity or status; null when it cannot (an owner, two filters).
 * The visibility is in every row, so publicOnly never stands in the way.
 */
function coarseDim(f: CaseFilter): 'all' | 'channel' | 'priority' | 'severity' | 'status' | null {
  if (f.ownerId !== undefined) return null;
  const set = (
    [
      ['channel', f.channels],
      ['priority', f.priorities],
      ['severity', f.severities],
      ['status', f.status],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (set.length > 1) return null;
  return set.length === 0 ? 'all' : set[0][0];
}

type BacklogRow = Record<string, number | string | null> & { n: number; gs: number; gp: number };

/** An age band's bounds on `column` (openedFrom included, openedTo excluded). */
function bandCondition(f: CaseFilter, column: string, p: unknown[]): string {
  const cond: string[] = [];
  if (f.openedFrom) cond.push(`${column} >= ${add(p, f.openedFrom)}::timestamptz`);
  if (f.openedTo) cond.push(`${column} < ${add(p, f.openedTo)}::timestamptz`);
  return cond.join(' AND ');
}

/** case_backlog (migration 1651) answers the backlog with no filter but status, priority and privacy. */
function backlogRolledUp(f: CaseFilter): boolean {
  return f.channels === undefined && f.severities === undefined && f.ownerId === undefined;
}

/** Open cases within the filters; null when the status filter keeps no open-like status. */
function openCaseFilter(d: Dims): CaseFilter | null {
  const f = baseCaseFilter(d);
  if (d.openKeys === undefined) f.status = { open: true, closed: false, keys: [] };
  else if (d.openKeys.length === 0) return null;
  else f.status = { open: false, closed: false, keys: d.openKeys };
  return f;
}

function interactionDims(d: Dims): InteractionFilter {
  const f: InteractionFilter = {};
  if (d.channels) f.channels = d.channels.filter((c) => (INTERACTION_CHANNELS as readonly string[]).includes(c));
  if (d.ownerId) f.agentId = d.ownerId;
  return f;
}

/** The case list's query string for a filter (GET /api/v1/cases). */
function caseListQuery(f: CaseFilter): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.channels) out.channel = f.channels.join(',');
  if (f.priorities) out.priority = f.priorities.join(',');
  if (f.severities) out.severity = f.severities.join(',');
  if (f.status) {
    out.status = [...(f.status.open ? ['open'] : []), ...(f.status.closed ? ['closed'] : []), ...f.status.keys].join(
      ',',
    );
  }
  if (f.ownerId !== undefined) out.ownerId = f.ownerId ?? 'none';
  if (f.openedFrom) out.createdFrom = f.openedFrom;
  if (f.openedTo) out.createdTo = f.openedTo;
  if (f.closedFrom) out.closedFrom = f.closedFrom;
  if (f.closedTo) out.closedTo = f.closedTo;
  if (f.reopenedFrom) out.reopenedFrom = f.reopenedFrom;
  if (f.reopenedTo) out.reopenedTo = f.reopenedTo;
  if (f.reopened !== undefined) out.reopened = String(f.reopened);
  if (f.responded !== undefined) out.responded = String(f.responded);
  if (f.staffResponses !== undefined) out.staffResponses = String(f.staffResponses);
  return out;
}

function caseFigure(count: number, f: CaseFilter): Figure {
  return { count, list: { path: '/api/v1/cases', query: caseListQuery(f) } };
}

function interactionFigure(count: number, f: InteractionFilter, tz: string): Figure {
  const out: Record<string, string> = {};
  if (f.channels) out.channel = f.channels.join(',');
  if (f.direction) out.direction = f.direction;
  if (f.agentId) out.agentId = f.agentId;
  if (f.result) out.result = f.result;
  if (f.startedFrom) out.startedFrom = f.startedFrom;
  if (f.startedTo) out.startedTo = f.startedTo;
  if (f.hour) {
    out.hour = String(f.hour.hour);
    out.tz = tz;
  }
  if (f.repeatWithinDays !== undefined) out.repeatWithinDays = String(f.repeatWithinDays);
  if (f.wrappedUp !== undefined) out.wrappedUp = String(f.wrappedUp);
  return { count, list: { path: '/api/v1/interactions', query: out } };
}

function taskFigure(count: number, f: TaskFilter): Figure {
  const out: Record<string, string> = {};
  if (f.assigneeId) out.assigneeId = f.assigneeId;
  if (f.statuses.length === 1) out.status = f.statuses[0];
  if (f.dueAtFrom) out.dueFrom = f.dueAtFrom;
  if (f.dueAtTo) out.dueTo = f.dueAtTo;
  if (f.onTime !== undefined) out.onTime = String(f.onTime);
  return { count, list: { path: '/api/v1/tasks', query: out } };
}
