import { expect } from 'vitest';
import type { Queryable } from '../../db/adapter.js';

/**
 * The cases report's rollups (case_rollups, migration 1620; case_rollups_coarse,
 * 1650; case_backlog, 1651) against a recomputation from scratch with plain SQL
 * over cases, case_follow_ups and case_reopens. A rollup's figures are its
 * summed rows plus the deltas not yet folded (src/modules/cases/rollups.ts),
 * summed per key, keys whose sums are all zero left out.
 */

const KEY = `kind, slot, channel, priority, severity, status, is_open, owner_id, visibility`;

/** Every rollup figure recomputed from the raw rows (follow-ups and reopens themselves, not the columns the triggers keep). */
const FROM_SCRATCH = `
  SELECT 'opened' AS kind, date_bin('15 minutes', c.opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot, c.channel,
         c.priority, c.severity, c.status, c.is_open, c.owner_id, c.visibility, count(*)::int AS cases,
         0 AS one_response, 0 AS reopened
  FROM cases c GROUP BY 2, 3, 4, 5, 6, 7, 8, 9
  UNION ALL
  SELECT 'closed', date_bin('15 minutes', c.closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), c.channel, c.priority,
         c.severity, c.status, c.is_open, c.owner_id, c.visibility, count(*)::int,
         count(*) FILTER (WHERE (SELECT count(*) FROM case_follow_ups f WHERE f.case_id = c.id
                                 AND f.author_type = 'user' AND f.visibility = 'public') = 1)::int,
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_reopens r WHERE r.case_id = c.id))::int
  FROM cases c WHERE c.closed_at IS NOT NULL GROUP BY 2, 3, 4, 5, 6, 7, 8, 9`;

const COARSE_KEY = `dim, kind, slot, visibility, channel, priority, severity, status, is_open`;

/** The coarse rollup (case_rollups_coarse, migration 1650) recomputed from the raw rows: one filter column at a time. */
const COARSE_FROM_SCRATCH = `
  WITH f AS (
    SELECT 'opened' AS kind, date_bin('15 minutes', c.opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot,
           c.visibility, c.channel, c.priority, c.severity, c.status, c.is_open, 0 AS one_response, 0 AS reopened
    FROM cases c
    UNION ALL
    SELECT 'closed', date_bin('15 minutes', c.closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), c.visibility,
           c.channel, c.priority, c.severity, c.status, c.is_open,
           CASE WHEN (SELECT count(*) FROM case_follow_ups u WHERE u.case_id = c.id
                      AND u.author_type = 'user' AND u.visibility = 'public') = 1 THEN 1 ELSE 0 END,
           CASE WHEN EXISTS (SELECT 1 FROM case_reopens r WHERE r.case_id = c.id) THEN 1 ELSE 0 END
    FROM cases c WHERE c.closed_at IS NOT NULL)
  SELECT 'all' AS dim, kind, slot, visibility, NULL::text AS channel, NULL::text AS priority, NULL::text AS severity,
         NULL::text AS status, NULL::boolean AS is_open,
         count(*)::int AS cases, sum(one_response)::int AS one_response, sum(reopened)::int AS reopened
  FROM f GROUP BY kind, slot, visibility
  UNION ALL
  SELECT 'channel', kind, slot, visibility, channel, NULL, NULL, NULL, NULL, count(*)::int, sum(one_response)::int,
         sum(reopened)::int
  FROM f GROUP BY kind, slot, visibility, channel
  UNION ALL
  SELECT 'priority', kind, slot, visibility, NULL, priority, NULL, NULL, NULL, count(*)::int, sum(one_response)::int,
         sum(reopened)::int
  FROM f GROUP BY kind, slot, visibility, priority
  UNION ALL
  SELECT 'severity', kind, slot, visibility, NULL, NULL, severity, NULL, NULL, count(*)::int, sum(one_response)::int,
         sum(reopened)::int
  FROM f GROUP BY kind, slot, visibility, severity
  UNION ALL
  SELECT 'status', kind, slot, visibility, NULL, NULL, NULL, status, is_open, count(*)::int, sum(one_response)::int,
         sum(reopened)::int
  FROM f GROUP BY kind, slot, visibility, status, is_open`;

const BACKLOG_KEY = 'opened_on, visibility, status, priority, unassigned';

/** The backlog (case_backlog): open cases per UTC day opened, visibility, status, priority, no owner. */
const BACKLOG_FROM_SCRATCH = `
  SELECT (opened_at AT TIME ZONE 'UTC')::date AS opened_on, visibility, status, priority,
         owner_id IS NULL AS unassigned, count(*)::int AS cases
  FROM cases WHERE is_open GROUP BY 1, 2, 3, 4, 5`;

/** A summed table and its deltas as the reads see them: per key, the sums, keys summing to zero left out. */
function summed(table: string, key: string, counts: string[]): string {
  return `SELECT ${key}, ${counts.map((c) => `sum(${c})::int AS ${c}`).join(', ')}
          FROM (SELECT ${key}, ${counts.join(', ')} FROM ${table}
                UNION ALL SELECT ${key}, ${counts.join(', ')} FROM ${table}_deltas) x
          GROUP BY ${key} HAVING ${counts.map((c) => `sum(${c}) <> 0`).join(' OR ')}`;
}

/**
 * Every rollup equals its recomputation. With `folded`, also: no delta is left
 * and the summed tables alone hold exactly those figures (no row at zero).
 */
export async function expectRollupsExact(db: Queryable, opts: { folded?: boolean } = {}): Promise<void> {
  const rows = async (sql: string, key: string) =>
    (await db.query<Record<string, unknown>>(`SELECT * FROM (${sql}) x ORDER BY ${key}`)).map((r) =>
      r.slot instanceof Date ? { ...r, slot: r.slot.toISOString() } : r,
    );
  const three = ['cases', 'one_response', 'reopened'];
  const checks: [string, string, string, string[]][] = [
    ['case_rollups', KEY, FROM_SCRATCH, three],
    ['case_rollups_coarse', COARSE_KEY, COARSE_FROM_SCRATCH, three],
    ['case_backlog', BACKLOG_KEY, BACKLOG_FROM_SCRATCH, ['cases']],
  ];
  for (const [table, key, scratch, counts] of checks) {
    const fresh = await rows(scratch, key);
    expect(await rows(summed(table, key, counts), key), table).toEqual(fresh);
    if (opts.folded) {
      expect(await rows(`SELECT ${key}, ${counts.join(', ')} FROM ${table}`, key), `${table} alone`).toEqual(fresh);
      const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}_deltas`);
      expect(n, `${table}_deltas after a fold`).toBe(0);
    }
  }
}
