import type { Queryable } from '../../db/adapter.js';
import { listParam, maybeOne, one } from '../../db/adapter.js';
import { groupByMatchKey } from '../../db/coalesce.js';
import type { PhoneKeys } from './phones.js';
import { dictionaryRows, nameTerms } from './terms.js';
import type { Address, Customer, CustomerSummary, Phone } from './schema.js';

/**
 * The customers module's SQL: the only code that touches `customers`,
 * `customer_phones` (and, in preferences.ts, `user_preferences`).
 */

/** What a write stores (the service has validated and normalised it). */
export interface CustomerValues {
  accountNumber: string;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  email: string | null;
  notes: string | null;
  vip: boolean;
  draft: boolean;
  primaryAddress: Address | null;
  secondaryAddress: Address | null;
  customFields: Record<string, unknown>;
}

export interface PhoneRow extends Phone {
  digits: string;
}

export interface CustomerRow {
  id: string;
  account_number: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  email: string | null;
  notes: string | null;
  vip: boolean;
  draft: boolean;
  primary_address: Address | null;
  secondary_address: Address | null;
  custom_fields: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
  phones: Phone[];
}

/** Phones as a JSON array in position order: one statement reads a customer with its phones. */
const PHONES_JSON = `(SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164,
    'extension', p.extension, 'valid', p.valid) ORDER BY p.position), '[]'::json)
  FROM customer_phones p WHERE p.customer_id = c.id)`;

export const CUSTOMER_COLUMNS = `c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.notes, c.vip,
  c.draft, c.primary_address, c.secondary_address, c.custom_fields, c.version, c.created_at, c.updated_at,
  ${PHONES_JSON} AS phones`;

export function displayNameOf(r: {
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  email: string | null;
  account_number: string;
}): string {
  const name = [r.first_name, r.last_name].filter(Boolean).join(' ');
  return name || r.company || r.email || r.account_number;
}

/** An address as stored, with every part present (null when absent). */
function addressOf(a: Partial<Address> | null): Address | null {
  if (!a) return null;
  const part = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    street: part(a.street),
    city: part(a.city),
    region: part(a.region),
    postalCode: part(a.postalCode),
    country: part(a.country),
  };
}

export function toCustomer(r: CustomerRow): Customer {
  return {
    id: r.id,
    accountNumber: r.account_number,
    firstName: r.first_name,
    lastName: r.last_name,
    displayName: displayNameOf(r),
    company: r.company,
    email: r.email,
    phones: r.phones,
    primaryAddress: addressOf(r.primary_address),
    secondaryAddress: addressOf(r.secondary_address),
    notes: r.notes,
    vip: r.vip,
    draft: r.draft,
    customFields: r.custom_fields,
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function getRow(q: Queryable, id: string, forUpdate = false): Promise<CustomerRow | null> {
  if (forUpdate) {
    // Lock first (FOR UPDATE cannot sit beside the aggregate subquery's own rows), then read.
    const locked = await maybeOne(q, 'SELECT id FROM customers WHERE id = $1 FOR UPDATE', [id]);
    if (!locked) return null;
  }
  return maybeOne<CustomerRow>(q, `SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1`, [id]);
}

/** The customer with this email (case-insensitively), drafts included. */
export async function getRowByEmail(q: Queryable, email: string): Promise<CustomerRow | null> {
  return maybeOne<CustomerRow>(q, `SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.email_key = lower($1)`, [
    email.trim(),
  ]);
}

/** The customer with this account number, drafts included. */
export async function getRowByAccountNumber(q: Queryable, accountNumber: string): Promise<CustomerRow | null> {
  return maybeOne<CustomerRow>(q, `SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.account_number = $1`, [
    accountNumber.trim(),
  ]);
}

function valueParams(v: CustomerValues): unknown[] {
  return [
    nameTerms(v.firstName, v.lastName, v.company),
    v.firstName,
    v.lastName,
    v.company,
    v.email,
    v.notes,
    v.vip,
    v.draft,
    v.primaryAddress === null ? null : JSON.stringify(v.primaryAddress),
    v.secondaryAddress === null ? null : JSON.stringify(v.secondaryAddress),
    JSON.stringify(v.customFields),
  ];
}

/** Inserts a customer; an empty account number takes the next generated one. Returns the id. */
export async function insertCustomer(
  tx: Queryable,
  v: CustomerValues,
  userId: string | null,
): Promise<{ id: string; accountNumber: string }> {
  const row = await one<{ id: string; account_number: string }>(
    tx,
    `INSERT INTO customers (name_terms, first_name, last_name, company, email, notes, vip, draft, primary_address,
       secondary_address, custom_fields, account_number, created_by, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, coalesce(nullif($12, ''), sb_next_account_number()), $13, $13)
     RETURNING id, account_number`,
    [...valueParams(v), v.accountNumber, userId],
  );
  await addTerms(tx, nameTerms(v.firstName, v.lastName, v.company));
  return { id: row.id, accountNumber: row.account_number };
}

export async function updateCustomer(tx: Queryable, id: string, v: CustomerValues, userId: string | null) {
  await tx.query(
    `UPDATE customers SET name_terms = $1, first_name = $2, last_name = $3, company = $4, email = $5, notes = $6,
       vip = $7, draft = $8, primary_address = $9, secondary_address = $10, custom_fields = $11,
       version = version + 1, updated_at = now(), updated_by = $13
     WHERE id = $12`,
    [...valueParams(v), id, userId],
  );
  await addTerms(tx, nameTerms(v.firstName, v.lastName, v.company));
}

/** Adds words to the search dictionary (in sorted order: concurrent writers take their locks in one order). */
export async function addTerms(tx: Queryable, terms: string[]): Promise<void> {
  const rows = dictionaryRows(terms);
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO customer_terms (variant, term)
     SELECT v, t FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(v, t, n) ORDER BY n
     ON CONFLICT DO NOTHING`,
    [rows.map((r) => r[0]), rows.map((r) => r[1])],
  );
}

export async function deleteCustomer(tx: Queryable, id: string): Promise<void> {
  await tx.query('DELETE FROM customers WHERE id = $1', [id]);
}

/** Replaces a customer's phones with these, in order (one multi-row insert). */
export async function replacePhones(tx: Queryable, customerId: string, phones: PhoneRow[]): Promise<void> {
  await tx.query('DELETE FROM customer_phones WHERE customer_id = $1', [customerId]);
  if (phones.length === 0) return;
  await tx.query(
    `INSERT INTO customer_phones (customer_id, position, type, raw, e164, extension, digits, valid)
     SELECT $1, t.ord - 1, t.type, t.raw, t.e164, t.ext, t.digits, t.valid
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[])
       WITH ORDINALITY AS t(type, raw, e164, ext, digits, valid, ord)`,
    [
      customerId,
      phones.map((p) => p.type),
      phones.map((p) => p.number),
      phones.map((p) => p.e164),
      phones.map((p) => p.extension),
      phones.map((p) => p.digits),
      phones.map((p) => p.valid),
    ],
  );
}

// ------------------------------------------------------------------ lookups

interface SummaryRow {
  id: string;
  account_number: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  email: string | null;
  vip: boolean;
  phones: { type: string; number: string; e164: string | null }[];
}

const SUMMARY_COLUMNS = `c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.vip,
  (SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164)
     ORDER BY p.position), '[]'::json) FROM customer_phones p WHERE p.customer_id = c.id) AS phones`;

function toSummary(r: SummaryRow): CustomerSummary {
  return {
    id: r.id,
    accountNumber: r.account_number,
    displayName: displayNameOf(r),
    vip: r.vip,
    email: r.email,
    phones: r.phones,
  };
}

/** Digits sort before ':' in the "C" collation of digits_rev, so [tail, tail + ':') is "starts with tail". */
const DIGITS_UPPER_BOUND = ':';

/**
 * Customers with this phone number, drafts excluded: exact E.164 matches when
 * there are any, else the last-digits fallback (stored digits ending with the
 * national number, or a stored short number the caller id ends with): the
 * screen-pop lookup's two tiers (lookupMatchesByPhone has them in one
 * statement), here as three small prepared statements, the second and third
 * only when the first finds no one.
 */
export async function summariesByPhone(q: Queryable, keys: PhoneKeys, limit: number): Promise<CustomerSummary[]> {
  if (keys.e164) {
    const exact = await q.query<SummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM customers c
       WHERE c.id IN (SELECT p.customer_id FROM customer_phones p WHERE p.e164 = $1) AND NOT c.draft
       ORDER BY c.sort_name, c.id LIMIT $2`,
      [keys.e164, limit],
      { name: 'customers.summariesByE164' },
    );
    if (exact.length > 0) return exact.map(toSummary);
  }
  if (keys.suffixRev === null && keys.storedRevs.length === 0) return [];
  const candidates = await phoneTailCandidates(q, keys.suffixRev, keys.storedRevs);
  if (candidates.length === 0) return [];
  const rows = await q.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM customers c WHERE c.id = ANY(${listParam('$1', 'uuid')}) AND NOT c.draft
     ORDER BY c.sort_name, c.id LIMIT $2`,
    [candidates, limit],
    { name: 'customers.summariesByIds' },
  );
  return rows.map(toSummary);
}

export async function summariesByEmail(q: Queryable, email: string, limit: number): Promise<CustomerSummary[]> {
  const rows = await q.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM customers c WHERE c.email_key = lower($1) AND NOT c.draft LIMIT $2`,
    [email.trim(), limit],
  );
  return rows.map(toSummary);
}

export async function summariesByAccountNumber(
  q: Queryable,
  accountNumber: string,
  limit: number,
): Promise<CustomerSummary[]> {
  const rows = await q.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM customers c WHERE c.account_number = $1 AND NOT c.draft LIMIT $2`,
    [accountNumber.trim(), limit],
  );
  return rows.map(toSummary);
}

export async function summariesByIds(q: Queryable, ids: string[]): Promise<CustomerSummary[]> {
  if (ids.length === 0) return [];
  const rows = await q.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM customers c WHERE c.id = ANY($1::uuid[])`, [
    ids,
  ]);
  return rows.map(toSummary);
}

// ------------------------------------------------------- screen-pop matches

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

export interface MatchInteractionJson {
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

/**
 * The last-digits tier's candidates (for summariesByPhone), in a statement of
 * its own, one table: the planner's generic estimate for a range of parameters
 * is a fixed share of the table (10,000 of 2M phones), so a prepared statement
 * holding it is planned again on every call, never generically, and planning
 * this one is cheap. (lookupMatchesByPhone keeps the range in its one
 * statement by taking the bounds from each number's row.)
 */
async function phoneTailCandidates(q: Queryable, suffixRev: string | null, storedRevs: string[]): Promise<string[]> {
  const rows = await q.query<{ customer_id: string }>(
    `SELECT DISTINCT customer_id FROM (${lastDigitsCandidatesSql('$1::text', listParam('$2', 'text'))}) t`,
    [suffixRev, storedRevs],
    { name: 'customers.phoneTailCandidates' },
  );
  return rows.map((r) => r.customer_id);
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
