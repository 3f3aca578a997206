import { randomBytes, randomUUID } from 'node:crypto';
import type { TestApp, TestClient } from '../../../test/helpers.js';

/**
 * A customer for case tests: through POST /api/v1/customers when the
 * customers module answers it, else a minimal row (id, account number, names).
 */
export async function makeCustomer(t: TestApp, name = 'Casey'): Promise<string> {
  const res = await t.admin.post('/api/v1/customers', { firstName: name, lastName: 'Customer' });
  if (res.statusCode === 201) return (res.json() as { id: string }).id;
  if (res.statusCode !== 404) throw new Error(`customer create: ${res.statusCode} ${res.body}`);
  const id = randomUUID();
  await t.db.query('INSERT INTO customers (id, account_number, first_name, last_name) VALUES ($1, $2, $3, $4)', [
    id,
    `T${randomBytes(6).toString('hex')}`,
    name,
    'Customer',
  ]);
  return id;
}

export interface CaseJson {
  id: string;
  caseNumber: number;
  customerId: string;
  subject: string;
  description: string;
  status: string;
  isOpen: boolean;
  priority: string;
  severity: string;
  visibility: 'public' | 'private';
  ownerId: string | null;
  channel: string;
  openedAt: string;
  closedAt: string | null;
  version: number;
  updatedAt: string;
}

export async function makeCase(
  client: TestClient,
  customerId: string,
  fields: Record<string, unknown> = {},
): Promise<CaseJson> {
  const res = await client.post('/api/v1/cases', { customerId, subject: 'Printer on fire', ...fields });
  if (res.statusCode !== 201) throw new Error(`case create: ${res.statusCode} ${res.body}`);
  return res.json() as CaseJson;
}

/** Every item of a list, following nextCursor page by page. */
export async function walk<T>(client: TestClient, url: string, limit: number): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const sep = url.includes('?') ? '&' : '?';
    const res = await client.get(`${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    const page = res.json() as { items: T[]; nextCursor: string | null };
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) return items;
  }
  throw new Error('too many pages');
}
