import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { systemActor } from '../../http/actor.js';
import type { CustomerImportOptions, CustomerImportRow } from './import.js';

/**
 * An import chunk worked out before its transaction (CustomerRowsAhead): the
 * transaction reuses that work only when, under the custom field lock, it reads
 * the definitions the work used; otherwise it checks the rows again.
 */
describe('customers import: work done ahead of the chunk', () => {
  let t: TestApp;
  const actor = systemActor('import');
  const opts: CustomerImportOptions = { mode: 'create', match: ['accountNumber'], region: 'US', replacePhones: false };
  const row = (n: number, account: string): CustomerImportRow => ({
    row: n,
    fields: { accountNumber: account, firstName: 'Ahead', lastName: `Row${n}`, email: `${account}@example.test` },
    phones: [{ type: 'mobile', number: '(415) 555-0142' }],
  });

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('reuses the plan made ahead when the definitions are the same, and writes it', async () => {
    const customers = t.ctx.services.customers;
    const ahead = await customers.importAhead(actor, opts);
    const rows = [row(2, 'AH-1')];
    for (const r of rows) ahead.add(r);
    const [planned] = await t.db.transaction(async (tx) => {
      const importer = await customers.importer(actor, opts, tx);
      const plans = await importer.plan(rows, ahead, tx);
      const writable = plans.filter((p) => p.outcome === 'create');
      await importer.write(writable, tx);
      return plans;
    });
    expect(planned).toMatchObject({ outcome: 'create', id: ahead.prepared[0].create?.plan?.id });
    const got = (await t.admin.get('/api/v1/customers?q=AH-1')).json().items[0];
    expect(got).toMatchObject({ accountNumber: 'AH-1', lastName: 'Row2', email: 'AH-1@example.test' });
    expect(got.phones[0]).toMatchObject({ type: 'mobile', e164: '+14155550142' });
    const history = (await t.admin.get(`/api/v1/customers/${got.id}/history`)).json().items;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ action: 'create', channel: 'import' });
  });

  it('checks the rows again when a custom field changed after the work ahead', async () => {
    const customers = t.ctx.services.customers;
    const ahead = await customers.importAhead(actor, opts);
    const rows = [row(2, 'AH-2')];
    for (const r of rows) ahead.add(r);
    expect(ahead.prepared[0].create?.plan?.outcome).toBe('create');
    const field = await t.admin.post('/api/v1/custom-fields', {
      objectType: 'customer',
      key: 'aheadRequired',
      label: 'Ahead required',
      type: 'text',
      required: true,
    });
    expect(field.statusCode, field.body).toBe(201);
    const [planned] = await t.db.transaction(async (tx) => {
      const importer = await customers.importer(actor, opts, tx);
      return importer.plan(rows, ahead, tx);
    });
    expect(planned).toMatchObject({ outcome: 'failed' });
    expect(planned.outcome === 'failed' && planned.errors.map((e) => e.field)).toEqual(['customFields.aheadRequired']);
  });
});
