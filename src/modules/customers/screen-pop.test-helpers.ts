import type { Queryable } from '../../db/adapter.js';
import { phoneLookupKeys } from './phones.js';
import { lookupMatches, type MatchKey, type MatchRow } from './screen-pop.js';

/**
 * The screen-pop statement for one key, as the interactions module runs it
 * (no cases, no interactions: the customers' part only), for the customers
 * module's own tests of matching by phone, email and account number.
 */
export async function screenPop(
  db: Queryable,
  query: { phone?: string; email?: string; accountNumber?: string },
  region = 'US',
): Promise<MatchRow[]> {
  let key: MatchKey;
  if (query.phone !== undefined) key = { by: 'phone', keys: phoneLookupKeys(query.phone, region) };
  else if (query.email !== undefined) key = { by: 'email', email: query.email };
  else key = { by: 'accountNumber', accountNumber: query.accountNumber ?? '' };
  return lookupMatches(db, key, {
    limit: 20,
    cases: 'none',
    openCases: 0,
    interactions: 0,
    excludeInteractionId: null,
  });
}

export const screenPopIds = async (...args: Parameters<typeof screenPop>): Promise<string[]> =>
  (await screenPop(...args)).map((r) => r.id);
