import type { Queryable } from '../../db/adapter.js';
import { capSql, recencyOrder, walkRecency, walkStatement, wordsMatch } from '../../db/word-frequencies.js';
import { excerptSql, snippetOf, textQuery, tsQuerySql } from '../../formats/search-text.js';
import type { Channel, Direction } from './schema.js';

/**
 * The interactions module's part of the global search: interactions whose from/to number
 * holds the typed digits (4 or more: interactions_digits_idx, pg_trgm), or whose notes hold
 * the words, the last one as a prefix (their stored words `interactions.search`, migration 1670). Each branch takes the newest `cap` matches
 * (interactions_started_idx); number matches rank first, then newest first.
 */

/** The digits expression interactions_digits_idx is built on (migration 1510): keep them equal. */
const DIGITS = `(regexp_replace(coalesce(from_address, ''), '[^0-9]', '', 'g') || ' ' ||
   regexp_replace(coalesce(to_address, ''), '[^0-9]', '', 'g'))`;

interface Row {
  id: string;
  channel: Channel;
  direction: Direction;
  from_address: string | null;
  to_address: string | null;
  customer_id: string | null;
  case_id: string | null;
  started_at: Date;
  excerpt: string;
}

export interface InteractionSearchHit {
  id: string;
  channel: Channel;
  direction: Direction;
  from: string | null;
  to: string | null;
  customerId: string | null;
  caseId: string | null;
  startedAt: string;
  matchedIn: 'number' | 'notes';
  snippet: string;
}

const COLS = `id, channel, direction, from_address, to_address, customer_id, case_id, started_at`;

export async function searchInteractions(
  q: Queryable,
  opts: { text: string; words: string[]; limit: number; cap: number },
): Promise<InteractionSearchHit[]> {
  const out = new Map<string, InteractionSearchHit>();
  const add = (r: Row, matchedIn: 'number' | 'notes') => {
    if (out.has(r.id)) return;
    out.set(r.id, {
      id: r.id,
      channel: r.channel,
      direction: r.direction,
      from: r.from_address,
      to: r.to_address,
      customerId: r.customer_id,
      caseId: r.case_id,
      startedAt: r.started_at.toISOString(),
      matchedIn,
      snippet: matchedIn === 'notes' ? snippetOf(r.excerpt, opts.words) : '',
    });
  };
  const digits = opts.text.replace(/\D/g, '');
  if (/^[\d\s()+.\-/]+$/.test(opts.text) && digits.length >= 4) {
    const rows = await q.query<Row>(
      `SELECT ${COLS}, '' AS excerpt FROM interactions
       WHERE ${DIGITS} LIKE $1 ORDER BY started_at DESC, id DESC LIMIT $2`,
      [`%${digits}%`, opts.cap],
    );
    for (const r of rows) add(r, 'number');
  }
  if (opts.words.length > 0) {
    const query = textQuery(opts.text);
    const walk = await walkRecency(q, { table: 'interactions', column: 'search' }, query.words, opts.cap, query.prefix);
    const order = recencyOrder(
      [
        { column: 'started_at', kind: 'time' },
        { column: 'id', kind: 'uuid' },
      ],
      walk,
    );
    const params: unknown[] = [opts.words[0]];
    const sql = `SELECT ${COLS}, ${excerptSql(`coalesce(notes, '')`, '$1')} AS excerpt FROM interactions
       WHERE ${wordsMatch('search', tsQuerySql('simple', query, params), walk)}
       ORDER BY ${order} LIMIT ${capSql(opts.cap)}`;
    const rows = await q.query<Row>(sql, params, walkStatement(sql, walk));
    for (const r of rows) add(r, 'notes');
  }
  return [...out.values()].slice(0, opts.limit);
}
