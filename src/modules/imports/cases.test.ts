import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers.js';

/** Importing cases (linked to customers, owners by email, times kept) and their follow-ups. */
describe('imports: cases and follow-ups', () => {
  let t: TestApp;
  let ownerEmail: string;

  async function importFile(objectType: string, body: string, settings: Record<string, unknown> = {}) {
    const up = await t.admin.request('POST', `/api/v1/imports?objectType=${objectType}&fileName=x.csv`, body, {
      'content-type': 'text/csv',
    });
    expect(up.statusCode, up.body).toBe(201);
    const id = up.json().id as string;
    const started = await t.admin.post(`/api/v1/imports/${id}/start`, settings);
    expect(started.statusCode, started.body).toBe(202);
    await t.ctx.services.jobs.runUntilIdle();
    const got = (await t.admin.get(`/api/v1/imports/${id}`)).json();
    const errors = (await t.admin.get(`/api/v1/imports/${id}/errors`)).json().items;
    return { id, up: up.json(), counts: got.run.counts as Record<string, number>, errors };
  }

  beforeAll(async () => {
    t = await startTestApp();
    const owner = await t.user('agent');
    ownerEmail = (await t.admin.get(`/api/v1/users/${owner.userId}`)).json().email;
    await t.admin.post('/api/v1/customers', { accountNumber: 'C-1', firstName: 'Case', lastName: 'One' });
    await t.admin.post('/api/v1/customers', { firstName: 'Case', lastName: 'Two', email: 'c2@example.test' });
  });
  afterAll(async () => t?.close());

  it('cases: linked by account number or email, owner by email, times and case numbers kept; bad rows are errors', async () => {
    const csv = [
      'Case Number,Account Number,Email,Subject,Description,Status,Priority,Owner,Opened At,Closed At',
      `900001,C-1,,Printer broken,"It jams\non page 2",Open,High,${ownerEmail},2023-01-05 10:00,`,
      '900002,C-1,,Refund,,Closed,,,2023-02-01T09:00:00Z,2023-02-03T12:00:00+01:00',
      ',,c2@example.test,Question,,open,normal,,,',
      '900004,NOPE,,Lost,,open,,,,',
      '900005,C-1,,Odd status,,pending-forever,,,,',
      '900006,C-1,,Bad date,,open,,,yesterday,',
      '900007,C-1,,No owner,,open,,nobody@example.test,,',
    ].join('\n');
    const up = await t.admin.request('POST', '/api/v1/imports?objectType=cases', csv, { 'content-type': 'text/csv' });
    const mapped = Object.fromEntries(
      up.json().suggestedMapping.columns.map((c: { column: string; field: string }) => [c.column, c.field]),
    );
    expect(mapped).toMatchObject({
      'Case Number': 'caseNumber',
      'Account Number': 'customer.accountNumber',
      Email: 'customer.email',
      Owner: 'owner',
      'Opened At': 'openedAt',
    });
    const res = await importFile('cases', csv, { mode: 'upsert' });
    expect(res.counts).toEqual({ read: 7, created: 3, updated: 0, unchanged: 0, failed: 4 });
    const messages = res.errors.map((e: { row: number; errors: { column: string; message: string }[] }) => [
      e.row,
      e.errors[0].column,
      e.errors[0].message,
    ]);
    expect(messages).toEqual([
      [5, 'Account Number', 'no customer has this account number'],
      [6, 'Status', expect.stringMatching(/unknown status "pending-forever"/)],
      [7, 'Opened At', expect.stringMatching(/must be a date and time/)],
      [8, 'Owner', 'no active user has this email'],
    ]);
    const c1 = (await t.admin.get('/api/v1/cases?caseNumber=900001')).json().items[0];
    expect(c1).toMatchObject({
      subject: 'Printer broken',
      description: 'It jams\non page 2',
      status: 'open',
      priority: 'high',
      openedAt: '2023-01-05T10:00:00.000Z',
      closedAt: null,
    });
    expect(c1.ownerId).toBeTruthy();
    const c2 = (await t.admin.get('/api/v1/cases?caseNumber=900002')).json().items[0];
    expect(c2).toMatchObject({ status: 'closed', isOpen: false, closedAt: '2023-02-03T11:00:00.000Z' });
    const history = (await t.admin.get(`/api/v1/cases/${c1.id}/history`)).json().items;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ channel: 'import', action: 'create' });

    const again = await importFile('cases', csv, { mode: 'upsert' });
    // Rows with a case number are matched (unchanged); the row without one is a new case.
    expect(again.counts).toMatchObject({ read: 7, created: 1, updated: 0, unchanged: 2, failed: 4 });
  });

  it('a generated case number skips one an import has taken', async () => {
    const customerId = (await t.admin.get('/api/v1/customers?accountNumber=C-1')).json().items[0].id;
    const first = (await t.admin.post('/api/v1/cases', { customerId, subject: 'Made here' })).json().caseNumber;
    const res = await importFile('cases', `Case Number,Account Number,Subject\n${first + 1},C-1,Imported\n`);
    expect(res.counts.created).toBe(1);
    const next = await t.admin.post('/api/v1/cases', { customerId, subject: 'Made after' });
    expect(next.statusCode, next.body).toBe(201);
    expect(next.json().caseNumber).toBe(first + 2);
  });

  it('follow-ups: kept times and authors; imported twice in upsert mode, nothing new', async () => {
    const csv = [
      'Case Number,Type,Direction,Visibility,Text,Author,Created At',
      '900001,call,inbound,public,"Customer called, printer still jams",Pat Caller,2023-01-06T08:00:00Z',
      '900001,note,,,Ordered a part,Sam Agent,2023-01-06 09:30',
      '900001,note,,,,Sam Agent,2023-01-06 09:31',
      '999999,note,,,Where is this case?,Sam,2023-01-07',
    ].join('\n');
    const res = await importFile('followUps', csv, { mode: 'upsert' });
    expect(res.counts).toEqual({ read: 4, created: 2, updated: 0, unchanged: 0, failed: 2 });
    expect(res.errors.map((e: { errors: { message: string }[] }) => e.errors[0].message)).toEqual([
      'must not be empty',
      'no case 999999',
    ]);
    const c1 = (await t.admin.get('/api/v1/cases?caseNumber=900001')).json().items[0];
    const fus = (await t.admin.get(`/api/v1/cases/${c1.id}/follow-ups`)).json().items;
    expect(
      fus.map((f: { kind: string; author: { name: string; type: string }; createdAt: string; channel: string }) => [
        f.kind,
        f.author.name,
        f.author.type,
        f.createdAt,
        f.channel,
      ]),
    ).toEqual([
      ['call', 'Pat Caller', 'customer', '2023-01-06T08:00:00.000Z', 'import'],
      ['note', 'Sam Agent', 'user', '2023-01-06T09:30:00.000Z', 'import'],
    ]);
    const again = await importFile('followUps', csv, { mode: 'upsert' });
    expect(again.counts).toEqual({ read: 4, created: 0, updated: 0, unchanged: 2, failed: 2 });
    const update = await t.admin.request('POST', '/api/v1/imports?objectType=followUps', csv, {
      'content-type': 'text/csv',
    });
    const refused = await t.admin.post(`/api/v1/imports/${update.json().id}/start`, { mode: 'update' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors[0].field).toBe('mode');
  });
});
