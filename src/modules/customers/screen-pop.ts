import type { Queryable } from '../../db/adapter.js';
import { listParam } from '../../db/adapter.js';
import { groupByMatchKey } from '../../db/coalesce.js';
import type { PhoneKeys } from './phones.js';

/**
 * The screen-pop statement: owned by the customers module because it reads the
 * customer tables (and, by a written exception, `cases` and `interactions`:
 * docs/ARCHITECTURE.md, "Modules keep to their tables"); the interactions
 * module calls it. Its rendered SQL is checked in under src/db/snapshots/.
 */

/** Digits sort before ':' in the "C" collation of digits_rev, so [tail, tail + ':') is "starts with tail". */
const DIGITS_UPPER_BOUND = ':';

/**
 * What the screen-pop lookup (the interactions module) matches on. `ids` reads
 * chosen customers back (drafts included: an agent may associate one), with
 * `caseId` marked.
 */
export type MatchKey =
  | { by: 'phone'; keys: PhoneKeys }
  | { by: 'email'; email: string }
  | { by: 'accountNumber'; accountNumber: string }
  | { by: 'caseNumber'; caseNumber: number }
  | { by: 'ids'; ids: string[]; caseId: string | null };

export interface MatchOptions {
  limit: number;
  /** The caller's view of cases: none (no cases.view), public ones, or all (cases.viewPrivate). */
  cases: 'none' | 'public' | 'all';
  /** Most open cases listed per match (all are counted, up to 1,000). */
  openCases: number;
  /** Most recent interactions listed per match. */
  interactions: number;
  /** An interaction left out of the recent ones (the one being shown). */
  excludeInteractionId: string | null;
}

export interface MatchCaseJson {
  id: string;
  caseNumber: number;
  subject: string;
  status: string;
  isOpen: boolean;
  priority: string;
  openedAt: string;
}

interface MatchInteractionJson {
  id: string;
  channel: string;
  direction: string;
  from: string | null;
  to: string | null;
  state: string;
  disposition: string | null;
  startedAt: string;
  notes: string | null;
}

export interface MatchRow {
  id: string;
  account_number: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  email: string | null;
  vip: boolean;
  draft: boolean;
  matched_case: MatchCaseJson | null;
  /** null when the caller may not see cases. */
  open_cases_count: number | null;
  open_cases: MatchCaseJson[] | null;
  recent_interactions: MatchInteractionJson[];
}

type MatchKind = 'email' | 'accountNumber' | 'caseNumber' | 'ids' | 'draftPhone' | 'draftEmail' | 'draftAccountNumber';

/**
 * The candidate CTE `m(id, case_id)` of each way of matching, with its
 * parameters from $6. Each kind is its own SQL text, run as a named prepared
 * statement: the screen pop is the hottest read in the system, and planning
 * this statement costs more than running it.
 */
const MATCH_CTE: Record<MatchKind, string> = {
  email: `m AS (SELECT c.id, NULL::uuid AS case_id FROM customers c WHERE c.email_key = lower($6) AND NOT c.draft)`,
  accountNumber: `m AS (SELECT c.id, NULL::uuid AS case_id FROM customers c WHERE c.account_number = $6 AND NOT c.draft)`,
  caseNumber: `m AS (
      SELECT k.customer_id AS id, k.id AS case_id FROM cases k JOIN customers c ON c.id = k.customer_id
      WHERE k.case_number = $6 AND NOT c.draft AND $2 <> 'none' AND (k.visibility = 'public' OR $2 = 'all')
    )`,
  ids: `m AS (SELECT c.id, $7::uuid AS case_id FROM customers c WHERE c.id = ANY(${listParam('$6', 'uuid')}))`,
  // Drafts, only asked for when no complete customer matched (the screen pop's "possible match (draft)"):
  // the exact number, address or account number, never the last-digits tier.
  draftPhone: `m AS (SELECT DISTINCT c.id, NULL::uuid AS case_id FROM customer_phones p
      JOIN customers c ON c.id = p.customer_id WHERE p.e164 = $6 AND c.draft)`,
  draftEmail: `m AS (SELECT c.id, NULL::uuid AS case_id FROM customers c WHERE c.email_key = lower($6) AND c.draft)`,
  draftAccountNumber: `m AS (SELECT c.id, NULL::uuid AS case_id FROM customers c WHERE c.account_number = $6 AND c.draft)`,
};

/**
 * Draft customers matching a key, for the screen pop's separate `drafts` list
 * (drafts never match as customers): exact phone (E.164), email or account
 * number; nothing for a case number or a number that did not parse.
 */
export async function lookupDraftMatches(q: Queryable, key: MatchKey, opts: MatchOptions): Promise<MatchRow[]> {
  switch (key.by) {
    case 'phone':
      return key.keys.e164 ? runMatch(q, 'draftPhone', [key.keys.e164], opts) : [];
    case 'email':
      return runMatch(q, 'draftEmail', [key.email.trim()], opts);
    case 'accountNumber':
      return runMatch(q, 'draftAccountNumber', [key.accountNumber.trim()], opts);
    default:
      return [];
  }
}

/**
 * The screen-pop lookup (owned here because it reads the customer tables; the
 * interactions module calls it): the matching customers, each with its open
 * cases (count and the newest few, as far as the caller may see cases), its
 * last interactions and the case a case number matched. One statement per
 * key (a phone's two tiers included: lookupMatchesByPhone). `phoneMatcher`
 * answers a phone instead (lookupMatchesByPhone behind a coalescer). Every
 * part is an index scan: the phone/email/account/case-number index, then per
 * match cases_customer_open_idx and interactions_customer_idx.
 */
export async function lookupMatches(
  q: Queryable,
  key: MatchKey,
  opts: MatchOptions,
  phoneMatcher?: (keys: PhoneKeys) => Promise<MatchRow[]>,
): Promise<MatchRow[]> {
  switch (key.by) {
    case 'phone':
      return phoneMatcher ? phoneMatcher(key.keys) : (await lookupMatchesByPhone(q, [key.keys], opts))[0];
    case 'email':
      return runMatch(q, 'email', [key.email.trim()], opts);
    case 'accountNumber':
      return runMatch(q, 'accountNumber', [key.accountNumber.trim()], opts);
    case 'caseNumber':
      return runMatch(q, 'caseNumber', [key.caseNumber], opts);
    case 'ids':
      return runMatch(q, 'ids', [key.ids, key.caseId], opts);
  }
}

/**
 * Most customers the last-digits tier considers, found in no particular order:
 * a tail that many numbers share says little about who is calling.
 */
const PHONE_TAIL_CANDIDATES = 1000;

/**
 * The last-digits rule, as SQL over a reversed tail (`tail`, an SQL text
 * expression) and reversed stored-number tails (`stored`, a text[] expression):
 * the customer id of every stored number ending with the tail, or of 7+
 * digits that the input ends with; a customer once per number, at most
 * PHONE_TAIL_CANDIDATES rows. Two branches rather than OR, each one index scan.
 */
function lastDigitsCandidatesSql(tail: string, stored: string): string {
  return `SELECT p.customer_id FROM customer_phones p
         WHERE p.digits_rev >= ${tail} AND p.digits_rev < ${tail} || '${DIGITS_UPPER_BOUND}'
         UNION ALL
         SELECT p.customer_id FROM customer_phones p WHERE p.digits_rev = ANY(${stored})
         LIMIT ${PHONE_TAIL_CANDIDATES}`;
}

/** Each match's context, read per picked customer `c` ($2 cases view, $3 open cases shown, $4 interactions, $5 left out). */
function matchContextColumns(): string {
  const visible = `(k.visibility = 'public' OR $2 = 'all')`;
  return `c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.vip, c.draft,
       (SELECT json_build_object('id', k.id, 'caseNumber', k.case_number, 'subject', k.subject, 'status', k.status,
                 'isOpen', k.is_open, 'priority', k.priority, 'openedAt', k.opened_at)
          FROM cases k WHERE k.id = c.case_id AND $2 <> 'none' AND ${visible}) AS matched_case,
       CASE WHEN $2 <> 'none' THEN (SELECT count(*)::int FROM (SELECT 1 FROM cases k
          WHERE k.customer_id = c.id AND k.is_open AND ${visible} LIMIT 1000) n) END AS open_cases_count,
       CASE WHEN $2 <> 'none' THEN (SELECT coalesce(json_agg(json_build_object('id', k.id, 'caseNumber', k.case_number,
                 'subject', k.subject, 'status', k.status, 'isOpen', k.is_open, 'priority', k.priority,
                 'openedAt', k.opened_at) ORDER BY k.opened_at DESC, k.id DESC), '[]'::json)
          FROM (SELECT k.* FROM cases k WHERE k.customer_id = c.id AND k.is_open AND ${visible}
                ORDER BY k.opened_at DESC, k.id DESC LIMIT $3) k) END AS open_cases,
       (SELECT coalesce(json_agg(json_build_object('id', i.id, 'channel', i.channel, 'direction', i.direction,
                 'from', i.from_address, 'to', i.to_address, 'state', i.state, 'disposition', i.disposition,
                 'startedAt', i.started_at, 'notes', left(i.notes, 200)) ORDER BY i.started_at DESC, i.id DESC),
                 '[]'::json)
          FROM (SELECT i.* FROM interactions i WHERE i.customer_id = c.id AND i.id IS DISTINCT FROM $5::uuid
                ORDER BY i.started_at DESC, i.id DESC LIMIT $4) i) AS recent_interactions`;
}

function matchParams(opts: MatchOptions, params: unknown[]): unknown[] {
  return [opts.limit, opts.cases, opts.openCases, opts.interactions, opts.excludeInteractionId, ...params];
}

function runMatch(q: Queryable, kind: MatchKind, params: unknown[], opts: MatchOptions): Promise<MatchRow[]> {
  return q.query<MatchRow>(
    `WITH ${MATCH_CTE[kind]}, picked AS (
       SELECT c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.vip, c.draft, c.sort_name,
              m.case_id
       FROM m JOIN customers c ON c.id = m.id ORDER BY c.sort_name, c.id LIMIT $1
     )
     SELECT ${matchContextColumns()}
     FROM picked c ORDER BY c.sort_name, c.id`,
    matchParams(opts, params),
    { name: `customers.lookup.${kind}` },
  );
}

/** A match's own columns, from `customers c`, as `picked` carries them to matchContextColumns. */
const PICKED_COLUMNS = `c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.vip, c.draft, c.sort_name,
  NULL::uuid AS case_id`;

/**
 * Many phone lookups in one statement, both tiers: for each number, the live
 * customers who have it exactly (E.164) when there are any, else the
 * last-digits fallback (lastDigitsCandidatesSql), drafts never; then what
 * `lookupMatches` gives for a match. The answers come back in the order of
 * `keysList`.
 *
 * Why both tiers in one statement: a number nobody has (a new caller) would
 * otherwise take a second round trip after the exact tier came back empty,
 * and under load each round trip waits its turn for a connection, so those
 * callers made the lookup's slowest answers. Here the fallback's range is a
 * per-number bound of a nested loop (not a statement parameter), so the
 * statement keeps its generic plan, and it runs only for numbers that the
 * exact tier did not answer (`tail_keys`, materialised so that the anti-join
 * comes first). The exact tier is one index scan for the whole batch.
 * UNION ALL and a sort-based DISTINCT ON rather than UNION: a hashed UNION
 * sizes its table from the range's estimate (10,000 rows) on every execution,
 * even when it never runs.
 *
 * The lists go in through `(SELECT $n)` (listParam): one generic plan for a
 * batch of any size. $6: the E.164 numbers (null when the input did not
 * parse), $7: the reversed tails (null when too short), $8: each number's
 * reversed stored-number tails, comma-joined (digits only).
 */
export async function lookupMatchesByPhone(
  q: Queryable,
  keysList: PhoneKeys[],
  opts: MatchOptions,
): Promise<MatchRow[][]> {
  const rows = await q.query<MatchRow & { match_key: string }>(
    `WITH k AS (
       SELECT n::text AS match_key, e164, tail, stored
       FROM unnest(${listParam('$6', 'text')}, ${listParam('$7', 'text')}, ${listParam('$8', 'text')})
            WITH ORDINALITY AS k(e164, tail, stored, n)
     ),
     exact AS (
       SELECT k.match_key, ${PICKED_COLUMNS} FROM k
       JOIN (SELECT DISTINCT p.e164, p.customer_id FROM customer_phones p
             WHERE p.e164 = ANY(${listParam('$6', 'text')})) p ON p.e164 = k.e164
       JOIN customers c ON c.id = p.customer_id AND NOT c.draft
     ),
     tail_keys AS MATERIALIZED (
       SELECT k.* FROM k WHERE NOT EXISTS (SELECT 1 FROM exact e WHERE e.match_key = k.match_key)
     ),
     tail AS (
       SELECT DISTINCT ON (t.match_key, c.id) t.match_key, ${PICKED_COLUMNS} FROM tail_keys t
       CROSS JOIN LATERAL (${lastDigitsCandidatesSql('t.tail', "string_to_array(t.stored, ',')")}) p
       JOIN customers c ON c.id = p.customer_id AND NOT c.draft
     ),
     picked AS (
       SELECT * FROM (
         SELECT m.*, row_number() OVER (PARTITION BY m.match_key ORDER BY m.sort_name, m.id) AS n
         FROM (SELECT * FROM exact UNION ALL SELECT * FROM tail) m
       ) ranked WHERE n <= $1
     )
     SELECT c.match_key, ${matchContextColumns()}
     FROM picked c ORDER BY c.match_key, c.sort_name, c.id`,
    matchParams(opts, [
      keysList.map((k) => k.e164),
      keysList.map((k) => k.suffixRev),
      keysList.map((k) => k.storedRevs.join(',')),
    ]),
    { name: 'customers.lookup.phoneMany' },
  );
  const byKey = groupByMatchKey(rows);
  return keysList.map((_, i) => (byKey.get(String(i + 1)) ?? []) as MatchRow[]);
}
