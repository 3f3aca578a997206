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
 * independent) they are frequent enough for the walk to cost less than collecting
 * their matches; otherwise it asks for the GIN plan (see `recencyOrder`).
 */

/**
 * A walked row costs about this many rows collected from the GIN index: the walk computes
 * the row's words again (the indexes are on expressions), the GIN plan only fetches and
 * sorts (measured on 2M follow-ups and 200k email messages: 8 µs a match collected, 10–50
 * µs a row walked).
 */
const WALK_ROW_COST = 6;
/** Statistics change slowly (autovacuum's ANALYZE); they are read again after this long. */
const REFRESH_MS = 10 * 60_000;

interface IndexStats {
  shares: Map<string, number>;
  rows: number;
}

const cache = new Map<string, { at: number; stats: Promise<IndexStats> }>();

async function readStats(q: Queryable, index: string): Promise<IndexStats> {
  const rows = await q.query<{ elems: string[] | null; freqs: number[] | null; rows: number | null }>(
    `SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs::float8[] AS freqs,
            (SELECT c.reltuples::float8 FROM pg_class c WHERE c.relname = $1 LIMIT 1) AS rows
       FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = $1`,
    [index],
  );
  const shares = new Map<string, number>();
  for (const r of rows) (r.elems ?? []).forEach((e, i) => shares.set(e, r.freqs?.[i] ?? 0));
  return { shares, rows: Math.max(rows[0]?.rows ?? 0, 1) };
}

/**
 * True when walking the recency index is the cheap plan for `cap` rows holding these words
 * in the GIN index `index`: the walk reads about cap / share rows, the GIN plan share × rows
 * matches, and the walk is taken when its share is past the point where the two cost the same.
 */
export async function walkRecency(q: Queryable, index: string, words: string[], cap: number): Promise<boolean> {
  if (words.length === 0) return false;
  let entry = cache.get(index);
  if (!entry || performance.now() - entry.at > REFRESH_MS) {
    entry = { at: performance.now(), stats: readStats(q, index) };
    cache.set(index, entry);
    // A failed read is tried again next time rather than remembered.
    entry.stats.catch(() => cache.delete(index));
  }
  const { shares, rows } = await entry.stats;
  let share = 1;
  for (const w of words) share *= shares.get(w) ?? 0;
  return share > 0 && share >= Math.sqrt((cap * WALK_ROW_COST) / rows);
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
