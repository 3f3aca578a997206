import { createHash } from 'node:crypto';
import { listParam, type Db, type Queryable } from '../../db/adapter.js';
import { Invalid } from '../../http/errors.js';
import type { PreparedCondition } from '../custom-fields/filters.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, keysetPage } from '../../http/pagination.js';
import { groupByMatchKey } from '../../db/coalesce.js';
import { phoneLookupKeys, reverse } from './phones.js';
import type { Sort } from './schema.js';
import { variants, words } from './terms.js';
import { CUSTOMER_COLUMNS, type CustomerRow } from './store.js';

/**
 * The customers list and search: one statement, keyset-paginated on an index,
 * bounded (no count). Part of the module's store: only this module's tables.
 *
 * `q` gathers candidates from index scans and ranks them:
 * - account number prefix, email prefix, last-name prefix ("smi", "smith jo"),
 *   phone digits (≥ 4, matched as the number's last digits): score 1;
 * - fuzzy first/last name and company: every typed word must match a word of the
 *   customer's that is the same, one slip away (a letter missing, extra, wrong,
 *   or two swapped), starts with it, or (5+ letters) is like it by pg_trgm
 *   similarity: looked up in the small dictionary `customer_terms` (see the
 *   migration), then the customers having those words through a GIN index on
 *   `name_terms`; score = pg_trgm word similarity of the query with the name and company.
 * Each kind contributes at most CANDIDATE_CAP rows (taken in index order, so
 * pages agree with each other): a q search is a search, not an export.
 */
const CANDIDATE_CAP = 200;
/** Known words tried per typed word, and typed words used. */
const TERMS_PER_WORD = 30;
const MAX_WORDS = 5;

export interface ListOptions {
  q?: string;
  email?: string;
  phone?: string;
  accountNumber?: string;
  postalCode?: string;
  draft?: boolean;
  vip?: boolean;
  /** Normalised tags: customers carrying every one of them. */
  tags?: string[];
  sort?: Sort;
  limit: number;
  cursor?: string;
  /** Custom field filters (`cf.*`, from custom-fields/filters.ts), rendered with this query's placeholders. */
  custom?: PreparedCondition | null;
  /** The searchable custom fields' part of `q`: one more candidate branch. */
  customSearch?: PreparedCondition | null;
}

function postalKey(postalCode: string): string {
  return postalCode.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
}

/**
 * The least string above every string that starts with `prefix`, in code point
 * order (the order of these COLLATE "C" columns): "smi" → "smj". Null when there
 * is none (a prefix of U+10FFFF only).
 */
export function prefixUpperBound(prefix: string): string | null {
  const chars = [...prefix];
  while (chars.length > 0) {
    const cp = chars.pop()!.codePointAt(0)!;
    // The code after cp, stepping over the surrogates (not characters of their own).
    if (cp < 0x10ffff) return chars.join('') + String.fromCodePoint(cp === 0xd7ff ? 0xe000 : cp + 1);
  }
  return null;
}

/**
 * `column` starts with `prefix`, as a range rather than `LIKE 'prefix%'`: a
 * range on a parameter keeps its index in a prepared statement's generic plan,
 * where `LIKE $1` cannot (the planner needs the pattern to find its prefix).
 * Only for COLLATE "C" columns, where the range and the prefix agree.
 */
function startsWith(column: string, prefix: string, p: Params): string {
  const upper = prefixUpperBound(prefix);
  return `${column} >= ${p.add(prefix)}${upper === null ? '' : ` AND ${column} < ${p.add(upper)}`}`;
}

export interface ListRow extends CustomerRow {
  sort_key: string | number;
  sort_name: string;
}

class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** The candidate CTEs of a q search; null when q has nothing to search with. */
function qCandidates(q: string, region: string, p: Params, customSearch?: PreparedCondition | null): string[] {
  const text = q.trim();
  const lower = text.toLowerCase();
  const branches: string[] = [];
  const cap = p.add(CANDIDATE_CAP);
  if (/^[A-Za-z0-9._-]+$/.test(text)) {
    branches.push(
      `(SELECT id, 1::float8 AS score, sort_name FROM customers WHERE ${startsWith('account_number', text, p)}
        ORDER BY account_number LIMIT ${cap})`,
    );
  }
  if (!/\s/.test(lower) && lower.length >= 2) {
    branches.push(
      `(SELECT id, 1::float8, sort_name FROM customers WHERE ${startsWith('email_key', lower, p)}
        ORDER BY email_key LIMIT ${cap})`,
    );
  }
  const phoneLike = /^[\d\s()+.\-/]+$/.test(text);
  const digits = text.replace(/\D/g, '');
  if (phoneLike && digits.length >= 4) {
    const keys = phoneLookupKeys(text, region);
    const rev = keys.suffixRev ?? reverse(digits);
    branches.push(
      `(SELECT p.customer_id, 1::float8, c.sort_name FROM customer_phones p JOIN customers c ON c.id = p.customer_id
        WHERE ${startsWith('p.digits_rev', rev, p)} ORDER BY p.digits_rev LIMIT ${cap})`,
    );
  }
  if (!phoneLike && lower.length >= 2) {
    const sortName = lower.replace(/\s+/g, ' ').replace(/,/g, '');
    branches.push(
      `(SELECT id, 1::float8, sort_name FROM customers WHERE ${startsWith('sort_name', sortName, p)}
        ORDER BY sort_name, id LIMIT ${cap})`,
    );
  }
  const typed = phoneLike || lower.includes('@') ? [] : [...new Set(words(lower))].filter((w) => w.length >= 2);
  if (typed.length > 0) {
    // Each typed word (up to MAX_WORDS) must match one of the customer's words: the same word,
    // one a slip away, one starting with it, or (5+ letters) one like it by pg_trgm similarity.
    const conditions = typed.slice(0, MAX_WORDS).map((w) => {
      const wp = p.add(w);
      const close = `ARRAY(SELECT term FROM (
          (SELECT term FROM customer_terms WHERE variant = ANY(${listParam(p.add(variants(w)), 'text')}))
          UNION (SELECT term FROM customer_terms WHERE ${startsWith('variant', w, p)} AND variant = term
                 ORDER BY variant LIMIT ${TERMS_PER_WORD})) u
        ORDER BY term = ${wp} DESC, similarity(term, ${wp}) DESC, term LIMIT ${TERMS_PER_WORD})`;
      if (w.length < 5) return `c.name_terms && ${close}`;
      // Only when no word is that close: words like it by trigram similarity (COALESCE is lazy).
      const like = `ARRAY(SELECT term FROM customer_terms WHERE variant = term AND term % ${wp}
        ORDER BY similarity(term, ${wp}) DESC, term LIMIT ${TERMS_PER_WORD})`;
      return `c.name_terms && coalesce(nullif(${close}, '{}'), ${like})`;
    });
    branches.push(
      `(SELECT c.id, word_similarity(${p.add(lower)}, c.search_name)::float8, c.sort_name FROM customers c
        WHERE ${conditions.join(' AND ')} LIMIT ${cap})`,
    );
  }
  if (customSearch) {
    branches.push(
      `(SELECT c.id, 1::float8, c.sort_name FROM customers c WHERE ${customSearch.render((v) => p.add(v))}
        LIMIT ${cap})`,
    );
  }
  if (branches.length === 0) return [];
  return [
    `qm(id, score, sort_name) AS (${branches.join('\n UNION ALL ')})`,
    'qb AS (SELECT id, max(score) AS score, min(sort_name) AS sort_name FROM qm GROUP BY id)',
  ];
}

export interface ListQuery {
  sql: string;
  params: unknown[];
  sort: Sort;
}

/** The list/search statement for these options; null when q has nothing to search with. */
export function buildListQuery(opts: ListOptions, region: string): ListQuery | null {
  const p = new Params();
  const ctes: string[] = [];
  const where: string[] = [];
  let joinQ = false;

  if (opts.q !== undefined) {
    const c = qCandidates(opts.q, region, p, opts.customSearch);
    if (c.length === 0) return null;
    ctes.push(...c);
    joinQ = true;
  }
  if (opts.phone !== undefined) {
    const keys = phoneLookupKeys(opts.phone, region);
    ctes.push(
      `ph AS (SELECT customer_id, 1 AS tier FROM customer_phones WHERE e164 = ${p.add(keys.e164)}
        UNION ALL SELECT customer_id, 2 FROM customer_phones
        WHERE (${keys.suffixRev === null ? 'false' : startsWith('digits_rev', keys.suffixRev, p)})
           OR digits_rev = ANY(${listParam(p.add(keys.storedRevs), 'text')}))`,
    );
    where.push('c.id IN (SELECT customer_id FROM ph WHERE tier = (SELECT min(tier) FROM ph))');
  }
  if (opts.email !== undefined) where.push(`c.email_key = lower(${p.add(opts.email.trim())})`);
  if (opts.accountNumber !== undefined) where.push(`c.account_number = ${p.add(opts.accountNumber.trim())}`);
  if (opts.postalCode !== undefined) {
    const k = p.add(postalKey(opts.postalCode));
    where.push(`(c.postal_key1 = ${k} OR c.postal_key2 = ${k})`);
  }
  if (opts.draft !== undefined) where.push(`c.draft = ${p.add(opts.draft)}`);
  if (opts.vip !== undefined) where.push(`c.vip = ${p.add(opts.vip)}`);
  if (opts.tags && opts.tags.length > 0) where.push(`c.tags @> ${p.add(opts.tags)}::text[]`);
  if (opts.custom) where.push(opts.custom.render((v) => p.add(v)));

  const sort: Sort = opts.sort ?? (joinQ ? 'relevance' : 'name');
  if (sort === 'relevance' && !joinQ) throw new Invalid([{ field: 'sort', message: 'relevance needs q' }]);
  const desc = sort.startsWith('-');
  const base = sort.replace(/^-/, '');
  // A q search ordered by relevance or name needs nothing from the customers table until the page
  // is known (the candidates carry their sort name); filters and time orders read the rows.
  const fromQ = joinQ && where.length === 0 && (base === 'relevance' || base === 'name');
  const t = fromQ ? 'qb' : 'c';
  const col = base === 'created' ? 'c.created_at' : base === 'updated' ? 'c.updated_at' : `${t}.sort_name`;
  const keyExpr =
    base === 'name'
      ? `${t}.sort_name`
      : base === 'relevance'
        ? 'qb.score'
        : `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

  if (opts.cursor) {
    const kind = base === 'relevance' ? 'number' : base === 'name' ? 'string' : 'date';
    const [s, key, name, id] = decodeCursor(opts.cursor, ['string', kind, 'string', 'string']) as string[];
    if (s !== sort || !isUuid(id)) throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
    if (base === 'relevance') {
      const ks = p.add(key);
      where.push(
        `(qb.score < ${ks} OR (qb.score = ${ks} AND (${t}.sort_name, ${t}.id) > (${p.add(name)}, ${p.add(id)}::uuid)))`,
      );
    } else {
      const cast = base === 'name' ? '' : '::timestamptz';
      where.push(`(${col}, ${t}.id) ${desc ? '<' : '>'} (${p.add(key)}${cast}, ${p.add(id)}::uuid)`);
    }
  }
  const order = (k: string, name: string, id: string) =>
    base === 'relevance' ? `${k} DESC, ${name}, ${id}` : desc ? `${k} DESC, ${id} DESC` : `${k}, ${id}`;
  const limit = p.add(opts.limit + 1);
  // The page's ids first (an index-ordered scan, or the ranked candidates, up to the limit), then their rows.
  const from = fromQ ? 'qb' : `customers c ${joinQ ? 'JOIN qb ON qb.id = c.id' : ''}`;
  const inner = `SELECT ${t}.id, ${keyExpr} AS sort_key, ${t}.sort_name FROM ${from}
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${order(base === 'relevance' ? 'qb.score' : col, `${t}.sort_name`, `${t}.id`)} LIMIT ${limit}`;
  const sql = `${ctes.length ? `WITH ${ctes.join(',\n')}` : ''}
    SELECT ${CUSTOMER_COLUMNS}, k.sort_key, k.sort_name FROM (${inner}) k JOIN customers c ON c.id = k.id
    ORDER BY ${order('k.sort_key', 'k.sort_name', 'k.id')}`;
  return { sql, params: p.values, sort };
}

/** Answers `phoneOnlyExact`'s statement for one number and row cap (a coalesced read, see listByE164Many). */
export type ExactPhoneList = (e164: string, rows: number) => Promise<ListRow[]>;

/**
 * The hot path of a screen pop through this list (`?phone=` alone, first page,
 * name order): the exact E.164 matches as one prepared statement, or through
 * `exactPhone` (concurrent requests coalesced). Null when it does not apply or
 * finds nothing (then the general statement runs, with the last-digits
 * fallback); its rows and cursor are those the general one gives.
 */
async function phoneOnlyExact(
  db: Db,
  opts: ListOptions,
  region: string,
  exactPhone?: ExactPhoneList,
): Promise<ListRow[] | null> {
  const { phone, limit, sort, cursor, q, email, accountNumber, postalCode, draft, vip, custom, tags } = opts;
  if (phone === undefined || cursor || (sort && sort !== 'name') || custom || tags?.length) return null;
  if ([q, email, accountNumber, postalCode, draft, vip].some((v) => v !== undefined)) return null;
  const { e164 } = phoneLookupKeys(phone, region);
  if (!e164) return null;
  const rows = exactPhone
    ? await exactPhone(e164, limit + 1)
    : await db.query<ListRow>(
        `SELECT ${CUSTOMER_COLUMNS}, c.sort_name AS sort_key, c.sort_name FROM customers c
         WHERE c.id IN (SELECT p.customer_id FROM customer_phones p WHERE p.e164 = $1)
         ORDER BY c.sort_name, c.id LIMIT $2`,
        [e164, limit + 1],
        { name: 'customers.listByE164' },
      );
  return rows.length > 0 ? rows : null;
}

/**
 * `phoneOnlyExact`'s statement for many numbers at once ($1), up to `rows`
 * customers each, in the same order: for coalescing concurrent requests
 * (db/coalesce.ts). The page is picked by id first, so only its rows are read whole.
 */
export async function listByE164Many(db: Queryable, e164s: string[], rows: number): Promise<Map<string, ListRow[]>> {
  const found = await db.query<ListRow & { match_key: string }>(
    `WITH hits AS (
       SELECT match_key, id FROM (
         SELECT p.e164 AS match_key, c.id, row_number() OVER (PARTITION BY p.e164 ORDER BY c.sort_name, c.id) AS n
         FROM (SELECT DISTINCT e164, customer_id FROM customer_phones WHERE e164 = ANY(${listParam('$1', 'text')})) p
         JOIN customers c ON c.id = p.customer_id
       ) ranked WHERE n <= $2
     )
     SELECT h.match_key, ${CUSTOMER_COLUMNS}, c.sort_name AS sort_key, c.sort_name
     FROM hits h JOIN customers c ON c.id = h.id
     ORDER BY h.match_key, c.sort_name, c.id`,
    [e164s, rows],
    { name: 'customers.listByE164Many' },
  );
  return groupByMatchKey(found);
}

/**
 * The list statement runs prepared (parsed and planned once per connection):
 * planning a q search costs about as much as running it. Its text has a bounded
 * number of shapes (which candidate kinds, how many words, which filters and
 * sort, a cursor or not). Unnamed, so planned for their values: statements with
 * `cf.*` filters, whose combinations are the user's, and searches through
 * searchable custom fields, whose `LIKE '%…%'` only a custom plan can weigh
 * (a generic plan might prefer reading the table until the page fills).
 * Every other comparison whose plan depends on its value is a range (startsWith), not `LIKE $n`.
 */
export function statementName(opts: ListOptions, query: ListQuery): string | undefined {
  if (opts.custom || opts.customSearch) return undefined;
  return `customers.list.${createHash('sha1').update(query.sql).digest('base64url').slice(0, 20)}`;
}

/** Lists or searches customers; see the module comment above. */
export async function listCustomers(
  db: Db,
  opts: ListOptions,
  region: string,
  exactPhone?: ExactPhoneList,
): Promise<{ rows: CustomerRow[]; nextCursor: string | null }> {
  const exact = await phoneOnlyExact(db, opts, region, exactPhone);
  const query = exact ? null : buildListQuery(opts, region);
  if (!exact && !query) return { rows: [], nextCursor: null };
  const sort: Sort = query?.sort ?? 'name';
  const rows = exact ?? (await db.query<ListRow>(query!.sql, query!.params, { name: statementName(opts, query!) }));
  const { items, nextCursor } = keysetPage(
    rows,
    opts.limit,
    (last) => [sort, last.sort_key, last.sort_name, last.id],
    (row) => row,
  );
  return { rows: items, nextCursor };
}
