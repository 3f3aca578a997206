import type { Db } from '../db/adapter.js';

/** How long events are kept for Last-Event-ID resume (reminders themselves are kept until seen, elsewhere). */
const EVENT_RETENTION_HOURS = 72;
const PRUNE_BATCH = 10_000;
const MAX_BATCHES_PER_RUN = 20;

/**
 * Deletes events older than the retention, in bounded batches, and raises the
 * pruned watermark so a client resuming from an older id is told to reload.
 * Safe to run in several processes at once. Returns how many rows went.
 */
export async function pruneEvents(db: Db, retentionHours = EVENT_RETENTION_HOURS): Promise<number> {
  // Several events share a time (one transaction's, whose start time they carry): the highest id of the
  // newest such time, so which of them is picked is never left to the index's order.
  const newest = await db.query<{ id: number }>(
    `SELECT id FROM events WHERE at < now() - make_interval(hours => $1) ORDER BY at DESC, id DESC LIMIT 1`,
    [retentionHours],
  );
  if (newest.length === 0) return 0;
  const through = newest[0].id;
  let total = 0;
  for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
    const n = await db.transaction(async (tx) => {
      // The watermark first: a replay that reads it after this commits knows rows may be gone.
      await tx.query('UPDATE events_pruned SET through_id = GREATEST(through_id, $1)', [through]);
      const gone = await tx.query<{ id: number }>(
        `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id <= $1 ORDER BY id LIMIT ${PRUNE_BATCH})
         RETURNING id`,
        [through],
      );
      return gone.length;
    });
    total += n;
    if (n < PRUNE_BATCH) break;
  }
  return total;
}
