import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { systemActor } from '../../http/actor.js';
import type { CaseImportRow, FollowUpImportRow, FollowUpRowsAhead, LinkedCaseRow, PlannedCase } from './import.js';

/**
 * An import chunk of cases worked out before its transaction (CaseRowsAhead):
 * the transaction reuses a new case's checks only when, under its lock, it
 * reads the custom field definitions and case settings the work used;
 * otherwise it checks the rows again. Customers and owners are always linked
 * in the transaction. Follow-ups likewise (FollowUpRowsAhead), their case
 * always found in the transaction.
 */
describe('cases import: work done ahead of the chunk', () => {
  let t: TestApp;
  let customerId: string;
  const actor = systemActor('import');
  const row = (n: number, extra: Partial<CaseImportRow> = {}): CaseImportRow => ({
    row: n,
    subject: `Ahead case ${n}`,
    description: 'Worked out before the chunk',
    status: 'Open',
    priority: 'high',
    openedAt: '2024-03-01 09:30',
    ...extra,
  });

  async function plan(rows: CaseImportRow[], ahead: Awaited<ReturnType<typeof importAhead>>, write = false) {
    const cases = t.ctx.services.cases;
    return t.db.transaction(async (tx) => {
      const importer = await cases.importer(actor, 'create', [], tx);
      const linked: LinkedCaseRow[] = rows.map((input) => ({ input, customerId, ownerId: null }));
      const plans = await importer.plan(linked, ahead, tx);
      if (write) {
        await importer.write(
          plans.filter((p): p is Exclude<PlannedCase, { outcome: 'failed' }> => p.outcome !== 'failed'),
          tx,
        );
      }
      return plans;
    });
  }
  const importAhead = () => t.ctx.services.cases.importAhead(actor);

  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.admin.post('/api/v1/customers', {
      accountNumber: 'AHC-1',
      firstName: 'Ahead',
      lastName: 'Cases',
    });
    expect(res.statusCode, res.body).toBe(201);
    customerId = res.json().id;
  });
  afterAll(async () => t?.close());

  it('reuses the checks made ahead when the definitions and settings are the same, and writes the case', async () => {
    const ahead = await importAhead();
    const rows = [row(2)];
    for (const r of rows) ahead.add(r);
    const made = ahead.prepared[0].asNew;
    expect(made?.errors).toEqual([]);
    const [planned] = await plan(rows, ahead, true);
    expect(planned).toMatchObject({ outcome: 'create' });
    // The very values checked ahead, not checked again.
    expect(planned.outcome === 'create' && planned.values.customFields).toBe(
      made?.custom && 'values' in made.custom ? made.custom.values : undefined,
    );
    const list = (await t.admin.get(`/api/v1/cases?customerId=${customerId}`)).json().items;
    const got = list.find((c: { subject: string }) => c.subject === 'Ahead case 2');
    expect(got).toMatchObject({ status: 'open', priority: 'high', openedAt: '2024-03-01T09:30:00.000Z' });
    const history = (await t.admin.get(`/api/v1/cases/${got.id}/history`)).json().items;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ action: 'create', channel: 'import' });
  });

  it('checks the rows again when a custom field changed after the work ahead', async () => {
    const ahead = await importAhead();
    const rows = [row(3)];
    for (const r of rows) ahead.add(r);
    expect(ahead.prepared[0].asNew?.errors).toEqual([]);
    const field = await t.admin.post('/api/v1/custom-fields', {
      objectType: 'case',
      key: 'aheadRequired',
      label: 'Ahead required',
      type: 'text',
      required: true,
    });
    expect(field.statusCode, field.body).toBe(201);
    const [planned] = await plan(rows, ahead);
    expect(planned).toMatchObject({ outcome: 'failed' });
    expect(planned.outcome === 'failed' && planned.errors.map((e) => e.field)).toEqual(['customFields.aheadRequired']);
    const retired = await t.admin.patch(`/api/v1/custom-fields/${field.json().id}`, {
      retired: true,
      version: field.json().version,
    });
    expect(retired.statusCode, retired.body).toBe(200);
  });

  it('checks the rows again when the case settings changed after the work ahead', async () => {
    const ahead = await importAhead();
    const rows = [row(4, { status: 'Waiting for parts' })];
    for (const r of rows) ahead.add(r);
    expect(ahead.prepared[0].asNew?.errors.map((e) => e.field)).toEqual(['status']);
    const s = (await t.admin.get('/api/v1/case-settings')).json();
    const put = await t.admin.put('/api/v1/case-settings', {
      statuses: [
        ...s.statuses.map((x: { key: string; label: string; isOpen: boolean }) => ({
          key: x.key,
          label: x.label,
          isOpen: x.isOpen,
        })),
        { key: 'parts', label: 'Waiting for parts', isOpen: true },
      ],
      version: s.version,
    });
    expect(put.statusCode, put.body).toBe(200);
    const [planned] = await plan(rows, ahead);
    expect(planned).toMatchObject({ outcome: 'create', values: { status: 'parts', isOpen: true } });
  });

  it('follow-ups: reuses the work ahead with the same definitions, checks again after a change', async () => {
    const cases = t.ctx.services.cases;
    const made = await t.admin.post('/api/v1/cases', { customerId, subject: 'Follow-ups ahead' });
    expect(made.statusCode, made.body).toBe(201);
    const caseNumber = String(made.json().caseNumber);
    const fu = (n: number): FollowUpImportRow => ({ row: n, caseNumber, body: `Note ${n}`, createdAt: '2024-03-02' });
    const planFollowUps = (rows: FollowUpImportRow[], ahead: FollowUpRowsAhead) =>
      t.db.transaction(async (tx) => (await cases.followUpImporter(actor, 'create', tx)).plan(rows, ahead, tx));

    const ahead = await cases.followUpImportAhead(actor);
    const rows = [fu(2)];
    for (const r of rows) ahead.add(r);
    const [planned] = await planFollowUps(rows, ahead);
    expect(planned).toMatchObject({ outcome: 'create', values: { caseId: made.json().id, body: 'Note 2' } });
    expect(planned.outcome === 'create' && planned.values.customFields).toBe(ahead.prepared[0].fields?.customFields);

    const later = await cases.followUpImportAhead(actor);
    const again = [fu(3)];
    for (const r of again) later.add(r);
    const field = await t.admin.post('/api/v1/custom-fields', {
      objectType: 'followUp',
      key: 'aheadRequired',
      label: 'Ahead required',
      type: 'text',
      required: true,
    });
    expect(field.statusCode, field.body).toBe(201);
    const [checked] = await planFollowUps(again, later);
    expect(checked.outcome === 'failed' && checked.errors.map((e) => e.field)).toEqual(['customFields.aheadRequired']);
  });
});
