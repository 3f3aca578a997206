import type { Queryable } from './adapter.js';

/**
 * Chooses between the two plans of a bounded full-text search ("the newest `cap`
 * rows holding these words", the global search's follow-ups, email messages, tasks
 * and interaction notes) from how often the words occur, read from PostgreSQL's own
 * statistics of the GIN index (pg_stats.most_common_elems, kept by ANALYZE):
 * - walking the recency index until `cap` rows match is quick for frequent words and
 *   reads the whole table for a rare or absent one (a typo);
 * - collecting the matches from the GIN index and sorting them is quick for rare words
 *   and slow for one in millions of rows.
 * PostgreSQL estimates a word missing from those statistics at half the rarest listed
 * word's share, which on a large table is enough to make it walk: a search for a word
 * nobody wrote then read every follow-up until the statement timeout. So the search
 * decides itself: it walks only when every word is listed and together (taken as
 * independent) they are frequent enough for the walk to stop after a few thousand
 * rows; otherwise it asks for the GIN plan (see `recencyOrder`).
 */

/** Walk only when the words' joint share is at least this: the walk then reads about cap / share rows. */
const WALK_MIN_SHARE = 0.002;
/** Statistics change slowly (autovacuum's ANALYZE); they are read again after this long. */
const REFRESH_MS = 10 * 60_000;

const cache = new Map<string, { at: number; shares: Promise<Map<string, number>> }>();

async function readShares(q: Queryable, index: string): Promise<Map<string, number>> {
  const rows = await q.query<{ elems: string[] | null; freqs: number[] | null }>(
    `SELECT most_common_elems::text::text[] AS elems, most_common_elem_freqs::float8[] AS freqs
       FROM pg_stats WHERE schemaname = current_schema() AND tablename = $1`,
    [index],
  );
  const shares = new Map<string, number>();
  for (const r of rows) (r.elems ?? []).forEach((e, i) => shares.set(e, r.freqs?.[i] ?? 0));
  return shares;
}

/** True when walking the recency index is the cheap plan for these words in the GIN index `index`. */
export async function walkRecency(q: Queryable, index: string, words: string[]): Promise<boolean> {
  if (words.length === 0) return false;
  let entry = cache.get(index);
  if (!entry || performance.now() - entry.at > REFRESH_MS) {
    entry = { at: performance.now(), shares: readShares(q, index) };
    cache.set(index, entry);
    // A failed read is tried again next time rather than remembered.
    entry.shares.catch(() => cache.delete(index));
  }
  const shares = await entry.shares;
  let share = 1;
  for (const w of words) share *= shares.get(w) ?? 0;
  return share >= WALK_MIN_SHARE;
}

/**
 * The ORDER BY for "newest first": as it is when walking, or with each key made an
 * expression (`+ 0`, `+ interval '0'`) that no index can return in order, which leaves
 * PostgreSQL the GIN index and a sort of the (few) matches.
 */
export function recencyOrder(keys: { column: string; kind: 'number' | 'time' | 'uuid' }[], walk: boolean): string {
  return keys
    .map(({ column, kind }) => {
      if (walk || kind === 'uuid') return `${column} DESC`;
      return kind === 'number' ? `(${column} + 0) DESC` : `(${column} + interval '0 seconds') DESC`;
    })
    .join(', ');
}
