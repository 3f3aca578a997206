import { expect } from 'vitest';
import type { Queryable } from '../../db/adapter.js';
import type { TestClient } from '../../../test/helpers.js';
import type { CustomField } from './schema.js';

/** Test fixtures of the custom-fields module. */

export async function defineField(client: TestClient, body: Record<string, unknown>): Promise<CustomField> {
  const res = await client.post('/api/v1/custom-fields', { objectType: 'customer', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as CustomField;
}

export async function patchField(
  client: TestClient,
  field: { id: string; version: number },
  body: Record<string, unknown>,
) {
  return client.patch(`/api/v1/custom-fields/${field.id}`, { version: field.version, ...body });
}

let seq = 0;

/**
 * A bare customer row holding `customFields` as given (no validation): for tests
 * of this module that need records with values without going through the
 * customers API (e.g. a value the rules would now refuse).
 */
export async function insertCustomerRow(q: Queryable, customFields: Record<string, unknown>): Promise<string> {
  seq += 1;
  const [row] = await q.query<{ id: string }>(
    `INSERT INTO customers (account_number, first_name, last_name, custom_fields)
     VALUES ($1, 'Test', $2, $3) RETURNING id`,
    [`CF${process.pid}-${seq}`, `Row ${seq}`, JSON.stringify(customFields)],
  );
  return row.id;
}

export async function customFieldsOf(q: Queryable, id: string): Promise<Record<string, unknown>> {
  const [row] = await q.query<{ custom_fields: Record<string, unknown> }>(
    'SELECT custom_fields FROM customers WHERE id = $1',
    [id],
  );
  return row.custom_fields;
}
