import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { Invalid } from '../../http/errors.js';
import { defineField, insertCustomerRow, patchField } from './cf.test-helpers.js';
import { customFieldConditions, customFieldSearchCondition } from './filters.js';

/**
 * The list-filter helper on its own: the conditions it builds select exactly the
 * matching rows (checked against rows written straight into the table), and use
 * the field's index. The customers/cases/tasks lists embed it (integration tests).
 */
describe('customFieldConditions', () => {
  let t: TestApp;
  const ids: Record<string, string> = {};

  const match = async (query: Record<string, unknown>): Promise<string[]> => {
    const cond = await customFieldConditions(t.db, 'customer', query, { firstParam: 2, alias: 'c' });
    const rows = await t.db.query<{ id: string }>(
      `SELECT c.id FROM customers c WHERE c.last_name LIKE $1 AND ${cond.sql || 'true'} ORDER BY c.last_name`,
      ['flt-%', ...cond.params],
    );
    const names = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
    return rows.map((r) => names[r.id]);
  };
  const refusal = async (query: Record<string, unknown>) => {
    try {
      await customFieldConditions(t.db, 'customer', query);
    } catch (err) {
      if (err instanceof Invalid) return err.errors[0];
      throw err;
    }
    throw new Error('accepted');
  };

  beforeAll(async () => {
    t = await startTestApp();
    const common = { filterable: true };
    await defineField(t.admin, {
      key: 'tier',
      label: 'Tier',
      type: 'singlePick',
      ...common,
      options: [
        { key: 'gold', label: 'Gold' },
        { key: 'silver', label: 'Silver' },
        { key: 'old', label: 'Old', retired: true },
      ],
    });
    await defineField(t.admin, {
      key: 'tags',
      label: 'Tags',
      type: 'multiPick',
      ...common,
      options: [
        { key: 'a', label: 'A' },
        { key: 'b', label: 'B' },
        { key: 'c', label: 'C' },
      ],
    });
    await defineField(t.admin, { key: 'seats', label: 'Seats', type: 'number', ...common });
    await defineField(t.admin, { key: 'mrr', label: 'MRR', type: 'decimal', ...common });
    await defineField(t.admin, { key: 'renewal', label: 'Renewal', type: 'date', ...common });
    await defineField(t.admin, { key: 'lastCall', label: 'Last call', type: 'dateTime', ...common });
    await defineField(t.admin, { key: 'active', label: 'Active', type: 'boolean', ...common });
    await defineField(t.admin, { key: 'hotline', label: 'Hotline', type: 'phone', ...common });
    await defineField(t.admin, { key: 'billing', label: 'Billing', type: 'email', ...common, searchable: true });
    await defineField(t.admin, { key: 'ref', label: 'Ref', type: 'text', ...common, searchable: true });
    await defineField(t.admin, { key: 'memo', label: 'Memo', type: 'longText', searchable: true });
    await defineField(t.admin, { key: 'hidden', label: 'Hidden', type: 'text' });

    const rows: Record<string, Record<string, unknown>> = {
      r1: {
        tier: 'gold',
        tags: ['a', 'b'],
        seats: 5,
        mrr: 99.5,
        renewal: '2025-01-31',
        lastCall: '2025-01-31T23:00:00.000Z',
        active: true,
        hotline: '+14155550100',
        billing: 'ap@acme.test',
        ref: 'ACME-1',
        memo: 'Prefers email',
      },
      r2: {
        tier: 'silver',
        tags: ['b'],
        seats: 50,
        mrr: 1000,
        renewal: '2025-02-01',
        lastCall: '2025-02-01T00:00:00.000Z',
        active: false,
        ref: 'acme-2',
      },
      r3: { tier: 'old', tags: ['c'], seats: -3, mrr: 0.25, renewal: '2024-12-31', active: true },
      r4: {},
    };
    for (const [name, cf] of Object.entries(rows)) {
      ids[name] = await insertCustomerRow(t.db, cf);
      await t.db.query('UPDATE customers SET last_name = $2 WHERE id = $1', [ids[name], `flt-${name}`]);
    }
  });
  afterAll(async () => t?.close());

  it('equality, per type, matches exactly', async () => {
    expect(await match({})).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(await match({ 'cf.tier': 'gold' })).toEqual(['r1']);
    expect(await match({ 'cf.tier': 'old' })).toEqual(['r3']); // a retired option still finds its records
    expect(await match({ 'cf.tier': ['gold', 'silver'] })).toEqual(['r1', 'r2']);
    expect(await match({ 'cf.tags': 'b' })).toEqual(['r1', 'r2']);
    expect(await match({ 'cf.tags': ['a', 'c'] })).toEqual(['r1', 'r3']);
    expect(await match({ 'cf.seats': '50' })).toEqual(['r2']);
    expect(await match({ 'cf.mrr': '99.50' })).toEqual(['r1']);
    expect(await match({ 'cf.renewal': '2025-02-01' })).toEqual(['r2']);
    expect(await match({ 'cf.lastCall': '2025-02-01T01:00:00+01:00' })).toEqual(['r2']);
    expect(await match({ 'cf.active': 'true' })).toEqual(['r1', 'r3']);
    expect(await match({ 'cf.active': 'false' })).toEqual(['r2']);
    expect(await match({ 'cf.hotline': '(415) 555-0100' })).toEqual(['r1']);
    expect(await match({ 'cf.billing': 'AP@Acme.test' })).toEqual(['r1']);
    expect(await match({ 'cf.ref': 'ACME-1' })).toEqual(['r1']);
    expect(await match({ 'cf.ref': 'acme-1' })).toEqual([]);
    expect(await match({ 'cf.tier': 'gold', 'cf.seats': '5' })).toEqual(['r1']);
    expect(await match({ 'cf.tier': 'gold', 'cf.seats': '50' })).toEqual([]);
  });

  it('ranges for number, decimal, date and dateTime', async () => {
    expect(await match({ 'cf.seats.gte': '5' })).toEqual(['r1', 'r2']);
    expect(await match({ 'cf.seats.gt': '5' })).toEqual(['r2']);
    expect(await match({ 'cf.seats.lt': '5' })).toEqual(['r3']);
    expect(await match({ 'cf.seats.gte': '-3', 'cf.seats.lte': '5' })).toEqual(['r1', 'r3']);
    expect(await match({ 'cf.mrr.lte': '99.5' })).toEqual(['r1', 'r3']);
    expect(await match({ 'cf.renewal.gte': '2025-01-01', 'cf.renewal.lt': '2025-02-01' })).toEqual(['r1']);
    expect(await match({ 'cf.renewal.lte': '2025-01-31' })).toEqual(['r1', 'r3']);
    expect(await match({ 'cf.lastCall.gte': '2025-02-01' })).toEqual(['r2']);
    expect(await match({ 'cf.lastCall.lt': '2025-02-01T00:00:00Z' })).toEqual(['r1']);
  });

  it('refuses unknown, unfilterable, retired and malformed filters naming the parameter', async () => {
    expect(await refusal({ 'cf.nope': 'x' })).toMatchObject({ field: 'cf.nope' });
    expect(await refusal({ 'cf.hidden': 'x' })).toMatchObject({
      field: 'cf.hidden',
      message: expect.stringMatching(/not filterable/),
    });
    expect(await refusal({ 'cf.memo': 'x' })).toMatchObject({ field: 'cf.memo' });
    expect(await refusal({ 'cf.tier.gte': 'gold' })).toMatchObject({ field: 'cf.tier.gte' });
    expect(await refusal({ 'cf.seats': 'five' })).toMatchObject({ field: 'cf.seats' });
    expect(await refusal({ 'cf.seats.gte': ['1', '2'] })).toMatchObject({ field: 'cf.seats.gte' });
    expect(await refusal({ 'cf.renewal': '2025-02-30' })).toMatchObject({ field: 'cf.renewal' });
    expect(await refusal({ 'cf.tier': 'platinum' })).toMatchObject({ field: 'cf.tier' });
    expect(await refusal({ 'cf.ref': '' })).toMatchObject({ field: 'cf.ref' });
    expect(await refusal({ 'cf.seats.between': '1' })).toMatchObject({ field: 'cf.seats.between' });
    const list = (await t.admin.get('/api/v1/custom-fields?objectType=customer')).json().items as {
      key: string;
      id: string;
      version: number;
    }[];
    await patchField(
      t.admin,
      list.find((f) => f.key === 'active')!,
      { retired: true },
    );
    expect(await refusal({ 'cf.active': 'true' })).toMatchObject({ field: 'cf.active' });
  });

  it('uses the field index (PostgreSQL planner, seq scans off)', async () => {
    const cond = await customFieldConditions(t.db, 'customer', { 'cf.seats.gte': '10' }, { alias: 'c' });
    const plan = await t.db.transaction(async (tx) => {
      await tx.query(`SELECT set_config('enable_seqscan', 'off', true)`);
      const rows = await tx.query<Record<string, string>>(
        `EXPLAIN SELECT c.id FROM customers c WHERE ${cond.sql}`,
        cond.params,
      );
      return rows.map((r) => Object.values(r)[0]).join('\n');
    });
    expect(plan).toContain('cf__customers__seats');
  });

  it('search: searchable fields contain the term, case-insensitively', async () => {
    const s = await customFieldSearchCondition(t.db, 'customer', 'ACME', { firstParam: 2, alias: 'c' });
    const rows = await t.db.query<{ last_name: string }>(
      `SELECT c.last_name FROM customers c WHERE c.last_name LIKE $1 AND ${s!.sql} ORDER BY 1`,
      ['flt-%', ...s!.params],
    );
    expect(rows.map((r) => r.last_name)).toEqual(['flt-r1', 'flt-r2']);
    const memo = await customFieldSearchCondition(t.db, 'customer', 'prefers', { alias: 'c' });
    expect((await t.db.query(`SELECT 1 FROM customers c WHERE ${memo!.sql}`, memo!.params)).length).toBe(1);
    const pct = await customFieldSearchCondition(t.db, 'customer', '100%', { alias: 'c' });
    expect((await t.db.query(`SELECT 1 FROM customers c WHERE ${pct!.sql}`, pct!.params)).length).toBe(0);
    expect(await customFieldSearchCondition(t.db, 'task', 'acme')).toBeNull();
  });
});
