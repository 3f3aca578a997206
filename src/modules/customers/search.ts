import type { Db, Queryable } from '../../db/adapter.js';
import { Invalid } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, encodeCursor } from '../../http/pagination.js';
import { phoneLookupKeys, reverse } from './phones.js';
import type { Sort } from './schema.js';
import { CUSTOMER_COLUMNS, type CustomerRow } from './store.js';

/**
 * The customers list and search: one statement, keyset-paginated on an index,
 * bounded (no count). Part of the module's store: only this module's tables.
 *
 * `q` gathers candidates from index scans and ranks them:
 * - account number prefix, email prefix, last-name prefix ("smi", "smith jo"),
 *   phone digits (≥ 4, matched as the number's last digits): score 1;
 * - fuzzy first/last name and company (pg_trgm word similarity ≥ FUZZY_THRESHOLD
 *   on a GIN index): score = the similarity.
 * Each kind contributes at most CANDIDATE_CAP rows (taken in index order, so
 * pages agree with each other): a q search is a search, not an export.
 */
export const FUZZY_THRESHOLD = 0.5;
export const CANDIDATE_CAP = 2000;

export interface ListOptions {
  q?: string;
  email?: string;
  phone?: string;
  accountNumber?: string;
  postalCode?: string;
  draft?: boolean;
  vip?: boolean;
  sort?: Sort;
  limit: number;
  cursor?: string;
}

export function postalKey(postalCode: string): string {
  return postalCode.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
}

const likePrefix = (s: string) => `${s.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

interface ListRow extends CustomerRow {
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
function qCandidates(q: string, region: string, p: Params): { ctes: string[]; fuzzy: boolean } {
  const text = q.trim();
  const lower = text.toLowerCase();
  const branches: string[] = [];
  const cap = p.add(CANDIDATE_CAP);
  if (/^[A-Za-z0-9._-]+$/.test(text)) {
    branches.push(
      `(SELECT id, 1::float8 AS score FROM customers WHERE account_number LIKE ${p.add(likePrefix(text))}
        ORDER BY account_number LIMIT ${cap})`,
    );
  }
  if (!/\s/.test(lower) && lower.length >= 2) {
    branches.push(
      `(SELECT id, 1::float8 FROM customers WHERE email_key LIKE ${p.add(likePrefix(lower))}
        ORDER BY email_key LIMIT ${cap})`,
    );
  }
  const phoneLike = /^[\d\s()+.\-/]+$/.test(text);
  const digits = text.replace(/\D/g, '');
  if (phoneLike && digits.length >= 4) {
    const keys = phoneLookupKeys(text, region);
    const rev = keys.suffixRev ?? reverse(digits);
    branches.push(
      `(SELECT customer_id, 1::float8 FROM customer_phones WHERE digits_rev LIKE ${p.add(`${rev}%`)}
        ORDER BY digits_rev LIMIT ${cap})`,
    );
  }
  let fuzzy = false;
  if (!phoneLike && lower.length >= 2) {
    const sortName = lower.replace(/\s+/g, ' ').replace(/,/g, '');
    branches.push(
      `(SELECT id, 1::float8 FROM customers WHERE sort_name LIKE ${p.add(likePrefix(sortName))}
        ORDER BY sort_name, id LIMIT ${cap})`,
    );
  }
  if (!phoneLike && lower.length >= 3 && !lower.includes('@')) {
    fuzzy = true;
    const ql = p.add(lower);
    branches.push(
      `(SELECT id, word_similarity(${ql}, search_name)::float8 FROM customers WHERE ${ql} <% search_name
        LIMIT ${cap})`,
    );
  }
  if (branches.length === 0) return { ctes: [], fuzzy };
  return {
    ctes: [
      `qm(id, score) AS (${branches.join('\n UNION ALL ')})`,
      'qb AS (SELECT id, max(score) AS score FROM qm GROUP BY id)',
    ],
    fuzzy,
  };
}

/** Lists or searches customers; see the module comment above. */
export async function listCustomers(
  db: Db,
  opts: ListOptions,
  region: string,
): Promise<{ rows: CustomerRow[]; nextCursor: string | null }> {
  const p = new Params();
  const ctes: string[] = [];
  const where: string[] = [];
  let fuzzy = false;
  let joinQ = false;

  if (opts.q !== undefined) {
    const c = qCandidates(opts.q, region, p);
    fuzzy = c.fuzzy;
    if (c.ctes.length === 0) return { rows: [], nextCursor: null };
    ctes.push(...c.ctes);
    joinQ = true;
  }
  if (opts.phone !== undefined) {
    const keys = phoneLookupKeys(opts.phone, region);
    ctes.push(
      `ph AS (SELECT customer_id, 1 AS tier FROM customer_phones WHERE e164 = ${p.add(keys.e164)}
        UNION ALL SELECT customer_id, 2 FROM customer_phones
        WHERE digits_rev LIKE ${p.add(keys.suffixRev === null ? null : `${keys.suffixRev}%`)}
           OR digits_rev = ANY(${p.add(keys.storedRevs)}::text[]))`,
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

  const sort: Sort = opts.sort ?? (joinQ ? 'relevance' : 'name');
  if (sort === 'relevance' && !joinQ) throw new Invalid([{ field: 'sort', message: 'relevance needs q' }]);
  const desc = sort.startsWith('-');
  const base = sort.replace(/^-/, '');
  const keyExpr =
    base === 'name'
      ? 'c.sort_name'
      : base === 'relevance'
        ? 'qb.score'
        : `to_char(c.${base === 'created' ? 'created_at' : 'updated_at'} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  const col = base === 'created' ? 'c.created_at' : base === 'updated' ? 'c.updated_at' : 'c.sort_name';

  if (opts.cursor) {
    const kind = base === 'relevance' ? 'number' : base === 'name' ? 'string' : 'date';
    const [s, key, name, id] = decodeCursor(opts.cursor, ['string', kind, 'string', 'string']) as string[];
    if (s !== sort || !isUuid(id)) throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
    if (base === 'relevance') {
      const ks = p.add(key);
      where.push(
        `(qb.score < ${ks} OR (qb.score = ${ks} AND (c.sort_name, c.id) > (${p.add(name)}, ${p.add(id)}::uuid)))`,
      );
    } else {
      const cast = base === 'name' ? '' : '::timestamptz';
      where.push(`(${col}, c.id) ${desc ? '<' : '>'} (${p.add(key)}${cast}, ${p.add(id)}::uuid)`);
    }
  }
  const order = (k: string, name: string, id: string) =>
    base === 'relevance' ? `${k} DESC, ${name}, ${id}` : desc ? `${k} DESC, ${id} DESC` : `${k}, ${id}`;
  const limit = p.add(opts.limit + 1);
  // The page's ids first (an index-ordered scan that stops at the limit), then their full rows.
  const inner = `SELECT c.id, ${keyExpr} AS sort_key, c.sort_name FROM customers c
    ${joinQ ? 'JOIN qb ON qb.id = c.id' : ''}
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${order(base === 'relevance' ? 'qb.score' : col, 'c.sort_name', 'c.id')} LIMIT ${limit}`;
  const sql = `${ctes.length ? `WITH ${ctes.join(',\n')}` : ''}
    SELECT ${CUSTOMER_COLUMNS}, k.sort_key, k.sort_name FROM (${inner}) k JOIN customers c ON c.id = k.id
    ORDER BY ${order('k.sort_key', 'k.sort_name', 'k.id')}`;

  const run = async (q: Queryable) => q.query<ListRow>(sql, p.values);
  const rows = fuzzy
    ? await db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)`, [String(FUZZY_THRESHOLD)]);
        return run(tx);
      })
    : await run(db);

  const more = rows.length > opts.limit;
  const page = rows.slice(0, opts.limit);
  const last = page[page.length - 1];
  return {
    rows: page,
    nextCursor: more && last ? encodeCursor([sort, last.sort_key, last.sort_name, last.id]) : null,
  };
}
