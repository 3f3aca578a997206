import { createHash } from 'node:crypto';
import type { Queryable, QueryOptions } from './adapter.js';

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
 * `email_messages.search`; migration 1670: `tasks.search`, `interactions.search`), each with
 * a GIN index; the statistics are the column's.
 */

/**
 * A walked row costs about this share of a match collected from the GIN index: the walk reads
 * the row's stored word list and compares, which is cheaper than collecting a match, whose row
 * is read to be sorted (measured on 500k follow-ups, migration 1570: about 2.5 µs a row walked,
 * 15–20 µs a match collected). On 1510's expression indexes, which computed each walked row's
 * words again, it was about 6 (10–50 µs a row walked, 8 µs a match collected).
 */
const WALK_ROW_COST = 0.25;
/** Statistics change slowly (autovacuum's ANALYZE); they are read again after this long. */
const REFRESH_MS = 10 * 60_000;

interface IndexStats {
  shares: Map<string, number>;
  rows: number;
}

const cache = new Map<string, { at: number; stats: Promise<IndexStats> }>();

/** Where a search's words are stored: a table's `tsvector` column, with a GIN index on it. */
interface WordSource {
  table: string;
  column: string;
  /**
   * The text search configuration the column's words were made with, when it is not 'simple'
   * (`cases.search` is 'english': stemmed, without stop words). The query's words are then
   * made lexemes by the same configuration before their shares are looked up.
   */
  config?: 'english';
}

/**
 * The lexemes of words already made, by configuration and word: stemming is a pure function
 * of the two, and asking the database cost a round trip on every search of the cases. Bounded:
 * emptied when full (the words agents type are few, a flood of distinct ones only refills it).
 */
const lexemeCache = new Map<string, string[]>();
const LEXEME_CACHE_SIZE = 10_000;

/**
 * The lexemes `config` makes of each word, and of the prefix as `to_tsquery('word:*')` does
 * (the same stemming): none for a stop word, which the query then leaves out.
 */
async function lexemesOf(
  q: Queryable,
  config: 'english',
  words: string[],
  prefix: string | null,
): Promise<{ words: string[]; prefix: string[] | null }> {
  const all = prefix === null ? words : [...words, prefix];
  const key = (w: string) => `${config}\u0000${w}`;
  const missing = [...new Set(all.filter((w) => !lexemeCache.has(key(w))))];
  if (missing.length > 0) {
    const rows = await q.query<{ word: string; lexemes: string[] }>(
      `SELECT w.word, tsvector_to_array(to_tsvector($1::regconfig, w.word)) AS lexemes
         FROM unnest($2::text[]) AS w(word)`,
      [config, missing],
    );
    if (lexemeCache.size + rows.length > LEXEME_CACHE_SIZE) lexemeCache.clear();
    for (const r of rows) lexemeCache.set(key(r.word), r.lexemes);
  }
  const of = (w: string) => lexemeCache.get(key(w)) ?? [];
  return { words: words.flatMap(of), prefix: prefix === null ? null : of(prefix) };
}

async function readStats(q: Queryable, source: WordSource): Promise<IndexStats> {
  const rows = await q.query<{ elems: string[] | null; freqs: number[] | null; rows: number | null }>(
    `SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs::float8[] AS freqs,
            (SELECT c.reltuples::float8 FROM pg_class c WHERE c.relname = $1 LIMIT 1) AS rows
       FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = $1
        AND s.attname = $2`,
    [source.table, source.column],
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
 * With a stemming `source.config`, this costs one more (small) statement to make the lexemes.
 */
export async function walkRecency(
  q: Queryable,
  source: WordSource,
  words: string[],
  cap: number,
  prefix: string | null = null,
): Promise<boolean> {
  if (words.length === 0 && prefix === null) return false;
  const key = `${source.table}.${source.column}`;
  let entry = cache.get(key);
  if (!entry || performance.now() - entry.at > REFRESH_MS) {
    entry = { at: performance.now(), stats: readStats(q, source) };
    cache.set(key, entry);
    // A failed read is tried again next time rather than remembered.
    entry.stats.catch(() => cache.delete(key));
  }
  const { shares, rows } = await entry.stats;
  let lexemes = { words, prefix: prefix === null ? null : [prefix] };
  if (source.config) {
    lexemes = await lexemesOf(q, source.config, words, prefix);
    // Only stop words: the query matches nothing, and a walk would read every row to learn it.
    if (lexemes.words.length === 0 && (lexemes.prefix ?? []).length === 0) return false;
  }
  let share = 1;
  for (const w of lexemes.words) share *= shares.get(w) ?? 0;
  for (const p of lexemes.prefix ?? []) {
    let sum = 0;
    for (const [w, s] of shares) if (w.startsWith(p)) sum += s;
    share *= Math.min(sum, 1);
  }
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

/**
 * SQL: the rows whose words (`column`, a stored `tsvector`) match `tsquery` (SQL of a
 * `tsquery`, e.g. from formats/search-text.ts, tsQuerySql), written for the plan chosen:
 * - walking (`walk`): `ts_match_vq(column, (SELECT tsquery))`. The function form of `@@` is
 *   the same test row by row but no index can answer it, so the recency index is the only
 *   plan; and the query inside a subquery is computed once and hidden from the planner,
 *   whose estimate is then the same for every word. So every call costs the same plan and
 *   the statement runs as a named prepared statement that PostgreSQL plans once per
 *   connection and keeps (`walkStatement`): planning these statements (reading the words'
 *   statistics, thousands of entries, for each) cost more than walking for a frequent word.
 * - collecting (`!walk`): `column @@ tsquery`, which the planner sizes from the words'
 *   statistics (a rare word's few matches, or many) and answers from the GIN index; planned
 *   on every call, as its best plan depends on the words.
 */
export function wordsMatch(column: string, tsquery: string, walk: boolean): string {
  return walk ? `ts_match_vq(${column}, (SELECT ${tsquery}))` : `${column} @@ ${tsquery}`;
}

/** The query options of a search statement: a walk is a named prepared statement (see `wordsMatch`). */
export function walkStatement(sql: string, walk: boolean): QueryOptions | undefined {
  if (!walk) return undefined;
  return { name: `search.walk.${createHash('sha1').update(sql).digest('base64url').slice(0, 20)}` };
}

/** A row cap as SQL: a literal, so a walk's generic plan knows it stops after `cap` rows (a parameter would be taken for a tenth of the table). */
export function capSql(cap: number): string {
  if (!Number.isInteger(cap) || cap < 1) throw new Error(`search: bad row cap ${cap}`);
  return String(cap);
}
