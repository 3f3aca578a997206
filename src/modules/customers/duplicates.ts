import { Type, type Static } from '@sinclair/typebox';
import type { Db } from '../../db/adapter.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { isUuid } from '../../http/ids.js';
import { normalisePhone, MIN_SUFFIX_DIGITS, reverse } from './phones.js';
import { PhoneInput } from './schema.js';
import { listCustomers } from './search.js';
import { CUSTOMER_COLUMNS, type CustomerRow, displayNameOf } from './store.js';
import { words } from './terms.js';

/**
 * Likely duplicates (docs/product.md C8): the existing customers that a customer
 * being typed probably is. Three index-backed signals, each a reason:
 * - `samePhone`: a number with the same E.164 (any format typed), or, for a
 *   number that does not parse, the same digits (7+) — customer_phones_e164_idx / digits_rev_idx;
 * - `sameEmail`: the same email in any case — uq__customers__email (email_key);
 * - `similarName`: first AND last name matched by the customers search (`q`,
 *   search.ts): each typed word the same as, one slip away from, a prefix of,
 *   or (5+ letters) trigram-like one of the customer's words.
 * Drafts are candidates too. Nothing is refused: this only warns.
 * It needs customers.view as well as customers.create: a user who may create
 * customers but not see them is answered 403, not shown who already exists.
 */
const DUPLICATES_LIMIT = 10;

const DUPLICATE_REASONS = ['sameEmail', 'samePhone', 'similarName'] as const;
type DuplicateReason = (typeof DUPLICATE_REASONS)[number];

const Text = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Null()]));

export const DuplicatesQuery = Type.Object(
  {
    firstName: Text(100),
    lastName: Text(100),
    company: Text(200),
    email: Text(254),
    phones: Type.Optional(Type.Array(PhoneInput, { maxItems: 20 })),
    excludeId: Type.Optional(
      Type.String({ description: 'a customer to leave out (the record being edited or merged into)' }),
    ),
  },
  { additionalProperties: false },
);
export type DuplicatesQuery = Static<typeof DuplicatesQuery>;

export const DuplicateCandidate = Type.Object({
  id: Type.String(),
  accountNumber: Type.String(),
  displayName: Type.String(),
  firstName: Type.Union([Type.String(), Type.Null()]),
  lastName: Type.Union([Type.String(), Type.Null()]),
  company: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  phones: Type.Array(
    Type.Object({ type: Type.String(), number: Type.String(), e164: Type.Union([Type.String(), Type.Null()]) }),
  ),
  vip: Type.Boolean(),
  draft: Type.Boolean(),
  version: Type.Integer(),
  reasons: Type.Array(Type.Unsafe<DuplicateReason>({ type: 'string', enum: [...DUPLICATE_REASONS] }), {
    description: 'why it is likely the same person: sameEmail, samePhone, similarName',
  }),
});
export type DuplicateCandidate = Static<typeof DuplicateCandidate>;

export const DuplicatesAnswer = Type.Object({ items: Type.Array(DuplicateCandidate) });

interface Hit {
  row: CustomerRow;
  reasons: Set<DuplicateReason>;
  /** Order among the name matches (search relevance), for ties. */
  nameRank: number;
}

const WEIGHT: Record<DuplicateReason, number> = { sameEmail: 4, samePhone: 2, similarName: 1 };
const score = (h: Hit) => [...h.reasons].reduce((s, r) => s + WEIGHT[r], 0);

/** Both names need a word of 2+ letters: a lone surname would list every Smith, not a duplicate. */
const hasWord = (s: string | null | undefined) => words(s ?? '').some((w) => w.length >= 2);

export async function findDuplicates(
  db: Db,
  region: string,
  actor: Actor,
  input: DuplicatesQuery,
): Promise<DuplicateCandidate[]> {
  // The candidates are customers (names, emails, phones, account numbers): only for who may see customers.
  requirePrivilege(actor, 'customers.create', 'customers.view');
  const exclude = input.excludeId && isUuid(input.excludeId) ? input.excludeId : null;
  const hits = new Map<string, Hit>();
  const add = (rows: CustomerRow[], reason: DuplicateReason) => {
    rows.forEach((row, i) => {
      if (row.id === exclude) return;
      const h = hits.get(row.id) ?? { row, reasons: new Set<DuplicateReason>(), nameRank: Number.MAX_SAFE_INTEGER };
      h.reasons.add(reason);
      if (reason === 'similarName') h.nameRank = Math.min(h.nameRank, i);
      hits.set(row.id, h);
    });
  };

  const email = input.email?.trim();
  const e164s = new Set<string>();
  const digitRevs = new Set<string>();
  for (const p of input.phones ?? []) {
    const n = normalisePhone(p.number, region);
    if (n.e164) e164s.add(n.e164);
    else if (n.digits.length >= MIN_SUFFIX_DIGITS) digitRevs.add(reverse(n.digits));
  }
  const names = hasWord(input.firstName) && hasWord(input.lastName);

  const [byEmail, byPhone, byName] = await Promise.all([
    email && email.includes('@')
      ? db.query<CustomerRow>(`SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.email_key = lower($1)`, [email])
      : Promise.resolve([]),
    e164s.size > 0 || digitRevs.size > 0
      ? db.query<CustomerRow>(
          `SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.id IN (
             SELECT customer_id FROM customer_phones WHERE e164 = ANY($1::text[])
             UNION SELECT customer_id FROM customer_phones WHERE digits_rev = ANY($2::text[]))
           ORDER BY c.sort_name, c.id LIMIT $3`,
          [[...e164s], [...digitRevs], DUPLICATES_LIMIT + 1],
        )
      : Promise.resolve([]),
    names
      ? listCustomers(
          db,
          { q: `${input.lastName!.trim()} ${input.firstName!.trim()}`, sort: 'relevance', limit: DUPLICATES_LIMIT + 1 },
          region,
        ).then((r) => r.rows)
      : Promise.resolve([]),
  ]);
  add(byEmail, 'sameEmail');
  add(byPhone, 'samePhone');
  add(byName, 'similarName');

  const company = input.company?.trim().toLowerCase() || null;
  const sameCompany = (h: Hit) => (company !== null && h.row.company?.toLowerCase() === company ? 1 : 0);
  return [...hits.values()]
    .sort((a, b) => score(b) - score(a) || sameCompany(b) - sameCompany(a) || a.nameRank - b.nameRank)
    .slice(0, DUPLICATES_LIMIT)
    .map(({ row, reasons }) => ({
      id: row.id,
      accountNumber: row.account_number,
      displayName: displayNameOf(row),
      firstName: row.first_name,
      lastName: row.last_name,
      company: row.company,
      email: row.email,
      phones: row.phones.map((p) => ({ type: p.type, number: p.number, e164: p.e164 })),
      vip: row.vip,
      draft: row.draft,
      version: row.version,
      reasons: DUPLICATE_REASONS.filter((r) => reasons.has(r)),
    }));
}
