import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER_REFERENCES, PERSONAL_DATA } from '../src/modules/privacy/tables.js';
import { createTestDb, type TestDb } from './helpers.js';

/**
 * The privacy walk is complete: every table is classified (src/modules/privacy/tables.ts
 * says whether it holds a customer's personal data and what an erasure does with it),
 * and every foreign key to customers or cases is one the walk follows. A new table
 * or a new reference fails here until it is classified and handled.
 */
describe('privacy coverage', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => t?.drop());

  it('every table is classified', async () => {
    const tables = await t.db.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const missing = tables.map((r) => r.name).filter((n) => !(n in PERSONAL_DATA));
    expect(missing, 'classify these tables in src/modules/privacy/tables.ts').toEqual([]);
  });

  it('every foreign key to customers or cases is walked', async () => {
    const refs = await t.db.query<{ ref: string }>(
      `SELECT c.conrelid::regclass::text || '.' || a.attname AS ref
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'f' AND c.confrelid IN ('customers'::regclass, 'cases'::regclass)
        ORDER BY 1`,
    );
    const missing = refs.map((r) => r.ref).filter((r) => !CUSTOMER_REFERENCES.includes(r));
    expect(missing, 'add these to CUSTOMER_REFERENCES and handle them in the privacy flow').toEqual([]);
  });
});
