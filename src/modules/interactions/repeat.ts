import type { Db, Queryable } from '../../db/adapter.js';

/**
 * Repeat callers' stored gap (migration 1640, docs/reports.md "Repeat callers:
 * the stored gap"): writers only append the callers they touched to
 * `interaction_callers_dirty`; the fold recomputes `previous_inbound_at` for
 * those callers' rows and deletes the entries. Reads take the probe for the
 * rows of a listed caller (`repeatCondition`), so they are exact before and
 * after a fold.
 */

/** Arbitrary constant: the advisory lock a fold holds (one fold at a time across processes). */
const FOLD_LOCK = 7_340_640;
/** Entries moved by a fold from which the fold vacuums the table. */
const VACUUM_AFTER = 10_000;
/**
 * Entries one transaction of a fold takes: it locks the rows it rewrites until
 * its commit (a writer touching one waits that long), so after a bulk import it
 * goes by batches. An entry left for the next batch keeps its caller listed.
 */
const BATCH = 500;

/**
 * One statement, so one snapshot: the entries it deletes were committed before
 * it, and so were the changes they stand for (in the same transactions), which
 * its recomputation therefore sees. Per caller, the rows from the earliest
 * listed start on (earlier ones cannot have moved). It locks the rows it
 * rewrites with SKIP LOCKED, so it never waits for a writer (and so never
 * deadlocks with one); a skipped row's callers are listed again for the next
 * fold. A row a transaction changed after the snapshot is rewritten in its
 * latest version, with a value that may be stale, but that transaction listed
 * the row's callers, so reads take the probe for it until the next fold; a row
 * left with no caller (or outbound) gets null.
 */
const FOLD_SQL = `
WITH moved AS (
  DELETE FROM interaction_callers_dirty
  WHERE ctid = ANY (ARRAY(SELECT ctid FROM interaction_callers_dirty LIMIT $1))
  RETURNING customer_id, from_address, at),
by_customer AS (SELECT customer_id AS k, min(at) AS at FROM moved WHERE customer_id IS NOT NULL GROUP BY 1),
by_from AS (SELECT from_address AS k, min(at) AS at FROM moved WHERE from_address IS NOT NULL GROUP BY 1),
targets AS (
  SELECT i.id FROM by_customer c JOIN interactions i ON i.customer_id = c.k AND i.started_at >= c.at
  UNION
  SELECT i.id FROM by_from f JOIN interactions i ON i.from_address = f.k AND i.started_at >= f.at),
locked AS (
  SELECT t.id, t.customer_id, t.from_address, t.started_at, t.direction, t.previous_inbound_at
  FROM interactions t WHERE t.id IN (SELECT id FROM targets)
  FOR NO KEY UPDATE SKIP LOCKED),
fresh AS (
  SELECT l.id, l.previous_inbound_at AS stored,
         CASE WHEN l.direction = 'inbound' THEN greatest(
           (SELECT max(j.started_at) FROM interactions j
            WHERE j.customer_id = l.customer_id AND j.direction = 'inbound' AND j.started_at < l.started_at),
           (SELECT max(j.started_at) FROM interactions j
            WHERE j.from_address = l.from_address AND j.direction = 'inbound' AND j.started_at < l.started_at))
         END AS prev
  FROM locked l),
written AS (
  UPDATE interactions i
  SET previous_inbound_at = CASE WHEN i.direction = 'inbound' AND (i.customer_id IS NOT NULL OR i.from_address IS NOT NULL)
                                 THEN f.prev END
  FROM fresh f WHERE i.id = f.id AND f.prev IS DISTINCT FROM f.stored
  RETURNING 1),
skipped AS (
  INSERT INTO interaction_callers_dirty (customer_id, from_address, at)
  SELECT s.customer_id, s.from_address, s.started_at FROM interactions s
  WHERE s.id IN (SELECT id FROM targets) AND s.id NOT IN (SELECT id FROM locked)
  RETURNING 1)
SELECT (SELECT count(*) FROM moved)::int AS moved, (SELECT count(*) FROM written)::int AS written,
       (SELECT count(*) FROM skipped)::int AS skipped`;

export interface RepeatFold {
  /** Entries taken off the list. */
  moved: number;
  /** Rows whose stored value changed. */
  written: number;
  /** Rows locked by a writer, their callers listed again. */
  skipped: number;
}

/**
 * Recomputes the listed callers' stored gaps, by batches of entries, each in a
 * transaction under an advisory lock, until fewer than a batch were left (or
 * `maxBatches` ran: a report's request bounds its wait that way). Null
 * when another fold held the lock (that one does it; nobody waits).
 */
export async function foldRepeatCallers(
  db: Db,
  opts: { vacuumAfter?: number; batch?: number; maxBatches?: number } = {},
): Promise<RepeatFold | null> {
  const batch = opts.batch ?? BATCH;
  const total: RepeatFold = { moved: 0, written: 0, skipped: 0 };
  for (let round = 0; round < (opts.maxBatches ?? Infinity); round++) {
    const result = await db.transaction(async (tx) => {
      const [{ locked }] = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        FOLD_LOCK,
      ]);
      if (!locked) return null;
      const [r] = await tx.query<RepeatFold>(FOLD_SQL, [batch]);
      return r;
    });
    if (!result) return total.moved ? total : null;
    total.moved += result.moved;
    total.written += result.written;
    total.skipped += result.skipped;
    if (result.moved < batch) break;
  }
  // A large fold leaves the list's pages empty but still there, and every read scans them until a vacuum.
  if (total.moved >= (opts.vacuumAfter ?? VACUUM_AFTER)) await db.query('VACUUM interaction_callers_dirty');
  return total;
}

/**
 * A privacy erasure's step, in its transaction, after it blanked the person's
 * interactions: the numbers they came from leave the list of callers waiting
 * for a fold wherever no interaction holds them any more. An entry stands for
 * the rows holding its number, so with none left it kept only the number; an
 * entry that also names a customer keeps the customer.
 */
export async function forgetVanishedCallerNumbers(q: Queryable, numbers: string[]): Promise<void> {
  if (numbers.length === 0) return;
  const vanished = `d.from_address = ANY($1::text[])
    AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.from_address = d.from_address)`;
  await q.query(`DELETE FROM interaction_callers_dirty d WHERE d.customer_id IS NULL AND ${vanished}`, [numbers]);
  await q.query(`UPDATE interaction_callers_dirty d SET from_address = NULL WHERE ${vanished}`, [numbers]);
}

/** How many callers wait for a fold, counted up to `limit`. */
export async function pendingRepeatCallers(q: Queryable, limit: number): Promise<number> {
  const [{ n }] = await q.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM (SELECT 1 FROM interaction_callers_dirty LIMIT $1) x',
    [limit],
  );
  return n;
}

/** True for a row of `interactions i` whose caller waits for a fold (its stored gap may be stale). */
const LISTED = `(i.customer_id IN (SELECT d.customer_id FROM interaction_callers_dirty d WHERE d.customer_id IS NOT NULL)
  OR i.from_address IN (SELECT d.from_address FROM interaction_callers_dirty d WHERE d.from_address IS NOT NULL))`;

/** The former probe: another inbound interaction of the same caller in the `days` before the row. */
function probe(days: string): string {
  const window = `j.direction = 'inbound' AND j.started_at < i.started_at
      AND j.started_at >= i.started_at - make_interval(days => ${days}::int)`;
  return `((i.customer_id IS NOT NULL AND EXISTS (SELECT 1 FROM interactions j WHERE j.customer_id = i.customer_id AND ${window}))
      OR (i.from_address IS NOT NULL AND EXISTS (SELECT 1 FROM interactions j WHERE j.from_address = i.from_address AND ${window})))`;
}

/**
 * The condition over `interactions i`: an inbound interaction whose caller
 * called in the `days` (a placeholder or literal) before it. The stored gap
 * for a caller not waiting for a fold, the probe for one that is.
 */
export function repeatCondition(days: string): string {
  return `i.direction = 'inbound' AND CASE WHEN ${LISTED} IS TRUE THEN ${probe(days)}
    ELSE i.previous_inbound_at >= i.started_at - make_interval(days => ${days}::int) END`;
}

/**
 * The same rows as `repeatCondition`, counted in two parts the planner can
 * serve from indexes: the stored gaps of callers not waiting (the partial
 * index interactions_repeat_idx), and the probe for the rows of waiting ones,
 * found from the listed callers (by customer, by from address: the two inbound
 * indexes) rather than by reading every row in range. `where` holds the other
 * conditions over `interactions i`.
 */
export function repeatCountSql(days: string, where: string[]): string {
  const w = where.length ? `${where.join(' AND ')} AND ` : '';
  const listedBy = (column: string) => `SELECT i.id, i.customer_id, i.from_address, i.started_at FROM interactions i
       WHERE ${w}i.direction = 'inbound'
         AND i.${column} IN (SELECT d.${column} FROM interaction_callers_dirty d WHERE d.${column} IS NOT NULL)`;
  return `SELECT
    (SELECT count(*) FROM interactions i
     WHERE ${w}i.direction = 'inbound' AND i.previous_inbound_at IS NOT NULL
       AND i.previous_inbound_at >= i.started_at - make_interval(days => ${days}::int)
       AND ${LISTED} IS NOT TRUE)
  + (SELECT count(*) FROM (${listedBy('customer_id')} UNION ${listedBy('from_address')}) i
     WHERE ${probe(days)}) AS n`;
}
