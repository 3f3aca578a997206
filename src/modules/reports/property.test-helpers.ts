import { expect } from 'vitest';
import type { TestClient } from '../../../test/helpers.js';

/** Shared steps of the reports' property tests: random operations through the API, and recomputations. */

/** The `i`-th of `xs`, wrapping around (a random index into a list that grows and shrinks), or none. */
export const pick = <T>(xs: T[], i: number): T | undefined => (xs.length ? xs[i % xs.length] : undefined);

/** The record's current version, for an update that must name it. */
export async function versionOf(admin: TestClient, url: string): Promise<number> {
  const res = await admin.get(url);
  expect(res.statusCode, url).toBe(200);
  return (res.json() as { version: number }).version;
}

/** Merges the `from`-th customer into the `into`-th one, and takes the merged one off `customers`. */
export async function mergeCustomers(admin: TestClient, customers: string[], into: number, from: number) {
  const kept = pick(customers, into);
  const merged = pick(customers, from);
  if (!kept || !merged || kept === merged) return;
  const res = await admin.post(`/api/v1/customers/${kept}/merge`, {
    fromId: merged,
    version: await versionOf(admin, `/api/v1/customers/${kept}`),
    fromVersion: await versionOf(admin, `/api/v1/customers/${merged}`),
  });
  expect(res.statusCode, res.body).toBe(200);
  customers.splice(customers.indexOf(merged), 1);
}

/** Erases the `i`-th customer (a privacy request): it stays, as a shell. */
export async function eraseCustomer(admin: TestClient, customers: string[], i: number, reason: string) {
  const id = pick(customers, i);
  if (!id) return;
  const res = await admin.post(`/api/v1/customers/${id}/erase`, { reason });
  expect(res.statusCode, res.body).toBe(200);
}

/** Each interaction's previous inbound one of the same caller (customer or number), from the raw rows. */
export const PREVIOUS_INBOUND_FROM_SCRATCH = `
  SELECT i.id, CASE WHEN i.direction = 'inbound' THEN (
           SELECT max(j.started_at) FROM interactions j
           WHERE j.direction = 'inbound' AND j.started_at < i.started_at
             AND (j.customer_id = i.customer_id OR j.from_address = i.from_address)) END AS prev
  FROM interactions i ORDER BY i.id`;
