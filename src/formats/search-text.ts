/**
 * Shared by the modules that answer the global search (GET /api/v1/search): how a
 * query becomes a full-text query, and how a matched text becomes a short snippet.
 * Each module builds its own SQL with these; none reads another's tables.
 */

/** Characters of text read around the first match to build a snippet (never a whole body). */
const EXCERPT_BEFORE = 80;
const EXCERPT_LENGTH = 320;
/** A snippet's length in characters. */
const SNIPPET_LENGTH = 160;

/** The words of a query, lower case, as the 'simple' text search configuration would split them (roughly). */
export function searchWords(q: string): string[] {
  return [...new Set(q.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [])];
}

/**
 * The shortest last word matched as a prefix; a shorter one is matched whole (a prefix of
 * one or two letters begins a large share of all words, and collecting them is slow).
 */
const MIN_PREFIX = 3;

/** A query as the full-text branches of the global search read it. */
interface TextQuery {
  /** What `websearch_to_tsquery` reads: the query, less its last word when that is a prefix. */
  whole: string;
  /** The words of `whole`, lower case (for the plan choice of db/word-frequencies.ts). */
  words: string[];
  /** The last word, lower case, matched as a prefix (`word:*`: `printe` finds "printer"), or null. */
  prefix: string | null;
}

/**
 * Splits a query for prefix matching: agents type partial words, so the last word (3
 * letters or more) matches as a prefix, unless it is negated (`-word`), inside a quoted
 * phrase, or follows `or` (websearch_to_tsquery's alternative, which a split would lose).
 */
export function textQuery(text: string): TextQuery {
  const last = /(^|\s)([\p{L}\p{N}_]+)$/u.exec(text);
  const whole = last ? text.slice(0, last.index + last[1].length).trimEnd() : text;
  const quotes = (text.match(/"/g) ?? []).length;
  if (!last || last[2].length < MIN_PREFIX || quotes % 2 === 1 || /(^|\s)or$/i.test(whole)) {
    return { whole: text, words: searchWords(text), prefix: null };
  }
  return { whole, words: searchWords(whole), prefix: last[2].toLowerCase() };
}

/**
 * SQL: the `tsquery` of `query` in the text search configuration `config`, its values
 * appended to `params` (the placeholders numbered after those already there): the whole
 * words through `websearch_to_tsquery`, the prefix through `to_tsquery('word:*')`.
 */
export function tsQuerySql(config: 'simple' | 'english', query: TextQuery, params: unknown[]): string {
  const parts: string[] = [];
  if (query.prefix === null || query.whole.trim() !== '') {
    params.push(query.whole);
    parts.push(`websearch_to_tsquery('${config}', $${params.length})`);
  }
  if (query.prefix !== null) {
    params.push(`${query.prefix}:*`);
    parts.push(`to_tsquery('${config}', $${params.length})`);
  }
  return parts.length === 1 ? parts[0] : `(${parts.join(' && ')})`;
}

/**
 * SQL: the part of `expr` around the first place its lower case holds `word` (a
 * parameter), or its start. Bounded, so a match in a 1 MB body reads 320 characters.
 */
export function excerptSql(expr: string, word: string): string {
  return `substr(${expr}, greatest(1, strpos(lower(${expr}), ${word}) - ${EXCERPT_BEFORE}), ${EXCERPT_LENGTH})`;
}

/** A one-line snippet of `text` around the first of `words` it holds (or its start), with … where cut. */
export function snippetOf(text: string | null | undefined, words: string[]): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  if (flat.length <= SNIPPET_LENGTH) return flat;
  const lower = flat.toLowerCase();
  const at = words.map((w) => lower.indexOf(w)).filter((i) => i >= 0);
  const first = at.length > 0 ? Math.min(...at) : 0;
  let start = Math.max(0, first - 40);
  if (start > 0) {
    const space = flat.indexOf(' ', start);
    if (space >= 0 && space < first) start = space + 1;
  }
  const end = Math.min(flat.length, start + SNIPPET_LENGTH);
  return `${start > 0 ? '…' : ''}${flat.slice(start, end).trim()}${end < flat.length ? '…' : ''}`;
}
