import type { Db, Queryable } from '../../db/adapter.js';

/**
 * The cases report's rollups (docs/reports.md, "Speed"): the triggers on cases
 * only INSERT changes into the `*_deltas` tables (migrations 1650, 1651, 1680),
 * so writers never wait for each other there. The fold moves the deltas into
 * the summed tables. Reads sum both, so they are exact before and after a fold.
 */

/** Arbitrary constant: the advisory lock a fold holds (one fold at a time across processes). */
const FOLD_LOCK = 7_340_620;
/** Deltas moved from one table by a fold from which the fold vacuums that deltas table. */
const VACUUM_AFTER = 10_000;

/** One summed table and its deltas: the key columns and the counted ones. */
const TABLES: { table: string; key: string[]; counts: string[] }[] = [
  {
    table: 'case_rollups',
    key: ['kind', 'slot', 'channel', 'priority', 'severity', 'status', 'is_open', 'owner_id', 'visibility'],
    counts: ['cases', 'one_response', 'reopened'],
  },
  {
    table: 'case_rollups_coarse',
    key: ['dim', 'kind', 'slot', 'visibility', 'channel', 'priority', 'severity', 'status', 'is_open'],
    counts: ['cases', 'one_response', 'reopened'],
  },
  {
    table: 'case_backlog',
    key: ['opened_on', 'visibility', 'status', 'priority', 'unassigned'],
    counts: ['cases'],
  },
];

/**
 * Per table: the deltas deleted and their sums per key upserted into the
 * summed table, in one statement (a delta is in one table or the other in any
 * snapshot); then the rows that reached zero removed (a partial index finds them).
 */
const FOLD_SQL = TABLES.map(({ table, key, counts }) => ({
  table,
  move: `WITH moved AS (DELETE FROM ${table}_deltas RETURNING *),
     summed AS (
       INSERT INTO ${table} AS r (${[...key, ...counts].join(', ')})
       SELECT ${key.join(', ')}, ${counts.map((c) => `sum(${c})::int`).join(', ')}
       FROM moved GROUP BY ${key.join(', ')}
       HAVING ${counts.map((c) => `sum(${c}) <> 0`).join(' OR ')}
       ON CONFLICT (${key.join(', ')}) DO UPDATE
         SET ${counts.map((c) => `${c} = r.${c} + EXCLUDED.${c}`).join(', ')}
       RETURNING 1)
     SELECT (SELECT count(*) FROM moved)::int AS moved, (SELECT count(*) FROM summed)::int AS summed`,
  zero: `DELETE FROM ${table} WHERE ${counts.map((c) => `${c} = 0`).join(' AND ')}`,
}));

/**
 * Moves every committed delta into the summed tables, in one transaction under
 * an advisory lock. Returns the number of deltas moved, or null when another
 * fold held the lock (that one moves them; nobody waits).
 */
export async function foldCaseRollups(db: Db, opts: { vacuumAfter?: number } = {}): Promise<number | null> {
  const vacuumAfter = opts.vacuumAfter ?? VACUUM_AFTER;
  const moved = await db.transaction(async (tx) => {
    const [{ locked }] = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
      FOLD_LOCK,
    ]);
    if (!locked) return null;
    const counts: number[] = [];
    for (const { move, zero } of FOLD_SQL) {
      const [{ moved, summed }] = await tx.query<{ moved: number; summed: number }>(move);
      counts.push(moved);
      if (summed > 0) await tx.query(zero);
    }
    return counts;
  });
  if (moved === null) return null;
  // A large fold leaves the deltas table's pages empty but still there, and every read scans them until a
  // vacuum: do it now (outside the transaction; inserts go on meanwhile) rather than wait for autovacuum.
  for (const [i, n] of moved.entries()) if (n >= vacuumAfter) await db.query(`VACUUM ${FOLD_SQL[i].table}_deltas`);
  return moved.reduce((a, b) => a + b, 0);
}

/** How many deltas wait for a fold, counted up to `limit` (each table read at most that far). */
export async function pendingRollupDeltas(q: Queryable, limit: number): Promise<number> {
  const [{ n }] = await q.query<{ n: number }>(
    `SELECT (${TABLES.map(({ table }) => `(SELECT count(*) FROM (SELECT 1 FROM ${table}_deltas LIMIT $1) x)`).join(' + ')})::int AS n`,
    [limit],
  );
  return n;
}

/**
 * A summed table as a read must see it: its rows and the deltas not yet folded,
 * as one relation with the summed table's columns (several rows per key: a
 * read sums them, and ignores a key whose sums are zero).
 */
export function rollupRelation(table: 'case_rollups' | 'case_rollups_coarse' | 'case_backlog'): string {
  const t = TABLES.find((x) => x.table === table)!;
  const cols = [...t.key, ...t.counts].join(', ');
  return `(SELECT ${cols} FROM ${table} UNION ALL SELECT ${cols} FROM ${table}_deltas)`;
}
