import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER_REFERENCES, EXPORT_COLUMNS, PERSONAL_DATA } from '../src/modules/privacy/tables.js';
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

  it('every column of an exported table is either given to the customer or named as internal; generated ones are internal', async () => {
    const cols = await t.db.query<{ table_name: string; column_name: string; is_generated: string }>(
      `SELECT table_name, column_name, is_generated FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = ANY($1::text[]) ORDER BY table_name, ordinal_position`,
      [Object.keys(EXPORT_COLUMNS)],
    );
    const problems: string[] = [];
    for (const [table, { exported, internal }] of Object.entries(EXPORT_COLUMNS)) {
      const actual = cols.filter((c) => c.table_name === table);
      const listed = [...exported, ...internal] as string[];
      for (const c of actual) {
        if (!listed.includes(c.column_name)) problems.push(`${table}.${c.column_name}: neither exported nor internal`);
        if (c.is_generated === 'ALWAYS' && !(internal as readonly string[]).includes(c.column_name)) {
          problems.push(`${table}.${c.column_name}: generated (derived) but exported`);
        }
      }
      for (const name of listed) {
        if (!actual.some((c) => c.column_name === name)) problems.push(`${table}.${name}: no such column`);
      }
      for (const name of exported) {
        if ((internal as readonly string[]).includes(name))
          problems.push(`${table}.${name}: both exported and internal`);
      }
    }
    expect(problems, 'classify these columns in EXPORT_COLUMNS (src/modules/privacy/tables.ts)').toEqual([]);
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
