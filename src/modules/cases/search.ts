import { listParam, type Queryable } from '../../db/adapter.js';
import { capSql, recencyOrder, walkRecency, walkStatement, wordsMatch } from '../../db/word-frequencies.js';
import { excerptSql, snippetOf, textQuery, tsQuerySql } from '../../formats/search-text.js';

/**
 * The cases module's part of the global search (GET /api/v1/search): cases whose
 * subject or description, one of whose follow-ups, or (found by the email module and
 * handed in) one of whose email messages holds the words. Only this module's tables.
 *
 * Every branch is bounded: the newest `cap` matches of its index (ORDER BY a recency
 * key, LIMIT). The plan is chosen per word: a rare word collects its few matches from
 * the GIN index and sorts them; a frequent one walks the recency index and stops at
 * the limit (db/word-frequencies.ts, from the word statistics of `cases.search`, migration
 * 0200, English lexemes, and of the follow-ups' stored words, migration 1570).
 * The last word matches as a prefix (formats/search-text.ts, textQuery).
 *
 * A follow-up whose body is a chat or call transcript the platform posted (its
 * `interaction.transcript`, flows/case-timeline.ts) is reported as matched in `transcript`.
 */

/** A match found outside this module (an email message) that the cases module checks and shows. */
export interface CaseTextHit {
  caseId: string;
  /** The follow-up the message is, when it is one (its visibility then applies). */
  followUpId: string | null;
  excerpt: string;
  at: Date;
}

type CaseMatchedIn = 'number' | 'subject' | 'description' | 'followUp' | 'transcript' | 'email';

export interface CaseSearchHit {
  id: string;
  caseNumber: number;
  subject: string;
  status: string;
  isOpen: boolean;
  matchedIn: CaseMatchedIn;
  snippet: string;
}

interface CaseMatchRow {
  id: string;
  case_number: number;
  subject: string;
  status: string;
  is_open: boolean;
  visibility: 'public' | 'private';
  at: Date;
  in_subject: boolean;
  excerpt: string;
  transcript?: boolean;
}

/**
 * Ranks within the group: a case number, then subject, description, follow-up (a transcript
 * just after a written one) and email matches; newer first.
 */
const WEIGHT: Record<CaseMatchedIn, number> = {
  number: 6,
  subject: 5,
  description: 4,
  followUp: 3,
  transcript: 2,
  email: 1,
};

export async function searchCases(
  q: Queryable,
  opts: {
    text: string;
    words: string[];
    limit: number;
    cap: number;
    viewPrivate: boolean;
    internal: boolean;
    extra: CaseTextHit[];
  },
): Promise<CaseSearchHit[]> {
  const word = opts.words[0] ?? '';
  const query = textQuery(opts.text);
  const privateCond = opts.viewPrivate ? '' : `AND c.visibility = 'public'`;
  const found = new Map<string, { row: CaseMatchRow; matchedIn: CaseMatchedIn; at: number; excerpt: string }>();
  const offer = (row: CaseMatchRow, matchedIn: CaseMatchedIn, excerpt: string, at: Date) => {
    const old = found.get(row.id);
    const better =
      !old ||
      WEIGHT[matchedIn] > WEIGHT[old.matchedIn] ||
      (WEIGHT[matchedIn] === WEIGHT[old.matchedIn] && at.getTime() > old.at);
    if (better) found.set(row.id, { row, matchedIn, at: at.getTime(), excerpt });
  };
  const caseCols = `c.id, c.case_number, c.subject, c.status, c.is_open, c.visibility`;

  const number = /^#?\s*(\d{1,18})$/.exec(opts.text);
  if (number) {
    const rows = await q.query<CaseMatchRow>(
      `SELECT ${caseCols}, c.opened_at AS at, true AS in_subject, '' AS excerpt FROM cases c
       WHERE c.case_number = $1::bigint ${privateCond}`,
      [number[1]],
    );
    for (const r of rows) offer(r, 'number', r.subject, r.at);
  }

  // PostgreSQL prices any prefix at a fixed share and so walked cases_opened_idx for rare ones:
  // the plan is chosen from the English word statistics here too.
  const walkCases = await walkRecency(
    q,
    { table: 'cases', column: 'search', config: 'english' },
    query.words,
    opts.cap,
    query.prefix,
  );
  const textParams: unknown[] = [word];
  const english = tsQuerySql('english', query, textParams);
  const textSql = `SELECT ${caseCols}, c.opened_at AS at,
       to_tsvector('english'::regconfig, c.subject) @@ ${walkCases ? `(SELECT ${english})` : english} AS in_subject,
       ${excerptSql('c.description', '$1')} AS excerpt
     FROM cases c
     WHERE ${wordsMatch('c.search', english, walkCases)} ${privateCond}
     ORDER BY ${recencyOrder(
       [
         { column: 'c.opened_at', kind: 'time' },
         { column: 'c.id', kind: 'uuid' },
       ],
       walkCases,
     )} LIMIT ${capSql(opts.cap)}`;
  const byText = await q.query<CaseMatchRow>(textSql, textParams, walkStatement(textSql, walkCases));
  for (const r of byText) offer(r, r.in_subject ? 'subject' : 'description', r.in_subject ? '' : r.excerpt, r.at);

  const walk = await walkRecency(
    q,
    { table: 'case_follow_ups', column: 'search' },
    query.words,
    opts.cap,
    query.prefix,
  );
  const followUpParams: unknown[] = [word];
  const followUpSql = `SELECT ${caseCols}, f.created_at AS at, false AS in_subject, ${excerptSql('f.body', '$1')} AS excerpt,
       coalesce((f.interaction ->> 'transcript')::boolean, false) AS transcript
     FROM case_follow_ups f JOIN cases c ON c.id = f.case_id
     WHERE ${wordsMatch('f.search', tsQuerySql('simple', query, followUpParams), walk)}
       ${opts.internal ? '' : `AND f.visibility = 'public'`} ${privateCond}
     ORDER BY ${recencyOrder([{ column: 'f.seq', kind: 'number' }], walk)} LIMIT ${capSql(opts.cap)}`;
  const byFollowUp = await q.query<CaseMatchRow>(followUpSql, followUpParams, walkStatement(followUpSql, walk));
  for (const r of byFollowUp) offer(r, r.transcript ? 'transcript' : 'followUp', r.excerpt, r.at);

  if (opts.extra.length > 0) {
    // Each message's case, and its follow-up when it is one, must be visible to the caller.
    const cases = await q.query<CaseMatchRow>(
      `SELECT ${caseCols}, c.opened_at AS at, false AS in_subject, '' AS excerpt
       FROM cases c WHERE c.id = ANY(${listParam('$1', 'uuid')}) ${privateCond}`,
      [[...new Set(opts.extra.map((h) => h.caseId))]],
    );
    const followUpIds = [...new Set(opts.extra.flatMap((h) => (h.followUpId ? [h.followUpId] : [])))];
    const shown =
      followUpIds.length === 0
        ? []
        : await q.query<{ id: string; case_id: string }>(
            `SELECT f.id, f.case_id FROM case_follow_ups f WHERE f.id = ANY(${listParam('$1', 'uuid')})
               ${opts.internal ? '' : `AND f.visibility = 'public'`}`,
            [followUpIds],
          );
    const visible = new Map(cases.map((r) => [r.id, r]));
    const visibleFollowUps = new Map(shown.map((f) => [f.id, f.case_id]));
    for (const h of opts.extra) {
      const row = visible.get(h.caseId);
      if (!row || (h.followUpId && visibleFollowUps.get(h.followUpId) !== h.caseId)) continue;
      offer(row, 'email', h.excerpt, h.at);
    }
  }

  return [...found.values()]
    .sort((a, b) => WEIGHT[b.matchedIn] - WEIGHT[a.matchedIn] || b.at - a.at || (a.row.id < b.row.id ? -1 : 1))
    .slice(0, opts.limit)
    .map(({ row, matchedIn, excerpt }) => ({
      id: row.id,
      caseNumber: row.case_number,
      subject: row.subject,
      status: row.status,
      isOpen: row.is_open,
      matchedIn,
      snippet: snippetOf(excerpt || row.subject, opts.words),
    }));
}
