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
 *
 * The words live in stored `tsvector` columns (migration 1570: `case_follow_ups.search`,
 * `email_messages.search`) or in expression indexes (tasks, interaction notes: migration
 * 1510); the statistics are the column's, or the expression index's own.
 */

/**
 * A walked row costs about this many matches collected from the GIN index. On an expression
 * index the walk computes each row's words again (measured on 2M follow-ups and 200k email
 * messages: 8 µs a match collected, 10–50 µs a row walked). On a stored column it reads the
 * row's word list and compares, which is cheaper than collecting a match, whose row is read
 * to be sorted (measured on 500k follow-ups, migration 1570: about 2.5 µs a row walked,
 * 15–20 µs a match collected).
 */
const WALK_ROW_COST = { expression: 6, column: 0.25 } as const;
/** Statistics change slowly (autovacuum's ANALYZE); they are read again after this long. */
const REFRESH_MS = 10 * 60_000;

interface IndexStats {
  shares: Map<string, number>;
  rows: number;
}

const cache = new Map<string, { at: number; stats: Promise<IndexStats> }>();

/**
 * Where a search's words are indexed: a table's stored `tsvector` column, or an expression
 * index (whose statistics PostgreSQL keeps under the index's name).
 */
type WordSource = { table: string; column: string } | { expressionIndex: string };

async function readStats(q: Queryable, source: WordSource): Promise<IndexStats> {
  const [name, column] = 'table' in source ? [source.table, source.column] : [source.expressionIndex, null];
  const rows = await q.query<{ elems: string[] | null; freqs: number[] | null; rows: number | null }>(
    `SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs::float8[] AS freqs,
            (SELECT c.reltuples::float8 FROM pg_class c WHERE c.relname = $1 LIMIT 1) AS rows
       FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = $1
        AND ($2::text IS NULL OR s.attname = $2::text)`,
    [name, column],
  );
  const shares = new Map<string, number>();
  for (const r of rows) (r.elems ?? []).forEach((e, i) => shares.set(e, r.freqs?.[i] ?? 0));
  return { shares, rows: Math.max(rows[0]?.rows ?? 0, 1) };
}

/**
 * True when walking the recency index is the cheap plan for `cap` rows holding these words
 * in `source`: the walk reads about cap / share rows, the GIN plan share × rows matches, and
 * the walk is taken when its share is past the point where the two cost the same. `prefix`,
 * when given, is a last word matched as a prefix (`word:*`): its share is that of every
 * listed word it begins (at most 1), so a prefix of only unlisted words takes the GIN plan.
 */
export async function walkRecency(
  q: Queryable,
  source: WordSource,
  words: string[],
  cap: number,
  prefix: string | null = null,
): Promise<boolean> {
  if (words.length === 0 && prefix === null) return false;
  const key = 'table' in source ? `${source.table}.${source.column}` : source.expressionIndex;
  let entry = cache.get(key);
  if (!entry || performance.now() - entry.at > REFRESH_MS) {
    entry = { at: performance.now(), stats: readStats(q, source) };
    cache.set(key, entry);
    // A failed read is tried again next time rather than remembered.
    entry.stats.catch(() => cache.delete(key));
  }
  const { shares, rows } = await entry.stats;
  let share = 1;
  for (const w of words) share *= shares.get(w) ?? 0;
  if (prefix !== null) {
    let sum = 0;
    for (const [w, s] of shares) if (w.startsWith(prefix)) sum += s;
    share *= Math.min(sum, 1);
  }
  const cost = WALK_ROW_COST['table' in source ? 'column' : 'expression'];
  return share > 0 && share >= Math.sqrt((cap * cost) / rows);
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
