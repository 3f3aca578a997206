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
