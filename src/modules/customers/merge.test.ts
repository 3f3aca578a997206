import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import type { DuplicateCandidate } from './duplicates.js';
import type { Customer } from './schema.js';

let t: TestApp;
let sup: TestClient;
let n = 0;
const uniq = () => `${Date.now().toString(36)}${++n}`;
/** A US number of its own per call (555-01xx is reserved for fiction). */
let line = 0;
const phone = () => `(212) 555-${String(1000 + ++line).slice(-4)}`;

async function create(body: Record<string, unknown>): Promise<Customer> {
  const res = await t.admin.post('/api/v1/customers', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Customer;
}

async function duplicates(body: Record<string, unknown>, client: TestClient = t.admin): Promise<DuplicateCandidate[]> {
  const res = await client.post('/api/v1/customers/duplicates', body);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { items: DuplicateCandidate[] }).items;
}

/** Everything a merge could change, to show a refused one changed nothing. */
async function snapshot(...ids: string[]) {
  return t.db.query(
    `SELECT (SELECT json_agg(c ORDER BY c.id) FROM customers c WHERE c.id = ANY($1::uuid[])) AS customers,
            (SELECT json_agg(p ORDER BY p.id) FROM customer_phones p WHERE p.customer_id = ANY($1::uuid[])) AS phones,
            (SELECT json_agg(k.id ORDER BY k.id) FROM cases k WHERE k.customer_id = ANY($1::uuid[])) AS cases,
            (SELECT count(*) FROM history WHERE record_id = ANY($1::uuid[])) AS history`,
    [ids],
  );
}

beforeAll(async () => {
  t = await startTestApp();
  sup = await t.user('supervisor');
});
afterAll(async () => t?.close());

describe('likely duplicates (C8)', () => {
  it('finds the same phone typed in another format, the same email in another case, a misspelt name', async () => {
    const number = phone();
    const email = `grace.${uniq()}@example.test`;
    const grace = await create({ firstName: 'Grace', lastName: 'Hopperton', email, phones: [{ number }] });
    const byPhone = await duplicates({ phones: [{ number: `+1 ${number.replace(/\D/g, '')}` }] });
    expect(byPhone).toEqual([expect.objectContaining({ id: grace.id, reasons: ['samePhone'] })]);
    const byEmail = await duplicates({ email: email.toUpperCase() });
    expect(byEmail).toEqual([expect.objectContaining({ id: grace.id, reasons: ['sameEmail'] })]);
    const byName = await duplicates({ firstName: 'Grcae', lastName: 'Hoperton' });
    expect(byName.map((c) => c.id)).toContain(grace.id);
    expect(byName.find((c) => c.id === grace.id)!.reasons).toEqual(['similarName']);
    // All three at once: one candidate with every reason, first.
    const all = await duplicates({ firstName: 'Grace', lastName: 'Hopperton', email, phones: [{ number }] });
    expect(all[0]).toMatchObject({ id: grace.id, reasons: ['sameEmail', 'samePhone', 'similarName'] });
    // excludeId leaves it out; creating a duplicate is never refused.
    expect(await duplicates({ email, excludeId: grace.id })).toEqual([]);
    const again = await t.admin.post('/api/v1/customers', {
      firstName: 'Grace',
      lastName: 'Hopperton',
      phones: [{ number }],
    });
    expect(again.statusCode).toBe(201);
  });

  it('lists drafts, needs both names for a name match, and answers nothing for nothing', async () => {
    const number = phone();
    const draft = await create({ draft: true, company: `Draftco ${uniq()}`, phones: [{ number }] });
    expect((await duplicates({ phones: [{ number }] }))[0]).toMatchObject({ id: draft.id, draft: true });
    expect(await duplicates({})).toEqual([]);
    expect(await duplicates({ lastName: 'Hopperton' })).toEqual([]);
  });

  it('validates its input and needs customers.create', async () => {
    const bad = await t.admin.post('/api/v1/customers/duplicates', { phones: 'x', extra: 1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
    const viewer = await t.user('agent', { privileges: ['customers.view'] });
    expect((await viewer.post('/api/v1/customers/duplicates', {})).statusCode).toBe(403);
  });

  it('discloses no customer to a user who may create customers but not view them (issue 16, defect 2)', async () => {
    const email = `secret.${uniq()}@example.test`;
    await create({ firstName: 'Hidden', lastName: 'Person', email });
    const creator = await t.user('agent', { privileges: ['customers.create'] });
    const res = await creator.post('/api/v1/customers/duplicates', { email, firstName: 'Hidden', lastName: 'Person' });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body).not.toContain(email);
    expect(res.body).not.toContain('Hidden');
    // Creating still works for them.
    expect((await creator.post('/api/v1/customers', { firstName: 'New', lastName: 'One' })).statusCode).toBe(201);
  });
});

describe('merging customers (C8)', () => {
  it('moves cases, tasks, interactions, missing phones and the portal account; fills empty fields; writes history', async () => {
    const shared = phone();
    const own = phone();
    const email = `merge.${uniq()}@example.test`;
    const keep = await create({ firstName: 'Alan', lastName: 'Turing', phones: [{ number: shared }] });
    const gone = await create({
      firstName: 'Alan',
      lastName: 'Turnig',
      company: 'Bletchley',
      email,
      vip: true,
      phones: [
        { type: 'mobile', number: `+1${shared.replace(/\D/g, '')}` },
        { type: 'work', number: own },
      ],
    });
    const kase = (await sup.post('/api/v1/cases', { customerId: gone.id, subject: 'Enigma' })).json() as { id: string };
    const task = await sup.post('/api/v1/tasks', { type: 'call', subject: 'Call back', customerId: gone.id });
    expect(task.statusCode, task.body).toBe(201);
    const interaction = await t.admin.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: own,
    });
    expect(interaction.statusCode, interaction.body).toBe(201);
    const portal = await t.admin.put(`/api/v1/customers/${gone.id}/portal-access`, {
      enabled: true,
      password: 'a long enough password 1',
      sendCredentials: false,
    });
    expect(portal.statusCode, portal.body).toBe(200);

    const dry = await sup.post(`/api/v1/customers/${keep.id}/merge`, {
      fromId: gone.id,
      version: keep.version,
      fromVersion: gone.version,
      dryRun: true,
    });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json().moved).toEqual({ cases: 1, tasks: 1, interactions: 1, phones: 1, portalAccount: true });
    expect((await t.admin.get(`/api/v1/customers/${gone.id}`)).statusCode).toBe(200);

    const res = await sup.post(`/api/v1/customers/${keep.id}/merge`, {
      fromId: gone.id,
      version: keep.version,
      fromVersion: gone.version,
    });
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json() as { customer: Customer; merged: { accountNumber: string }; dryRun: boolean };
    expect(out.dryRun).toBe(false);
    expect(out.customer).toMatchObject({
      id: keep.id,
      accountNumber: keep.accountNumber,
      lastName: 'Turing',
      company: 'Bletchley',
      email,
      vip: true,
      version: keep.version + 1,
    });
    expect(out.customer.phones.map((p) => [p.type, p.e164])).toEqual([
      ['voice', `+1${shared.replace(/\D/g, '')}`],
      ['work', `+1${own.replace(/\D/g, '')}`],
    ]);
    expect((await t.admin.get(`/api/v1/customers/${gone.id}`)).statusCode).toBe(404);
    expect((await sup.get(`/api/v1/cases/${kase.id}`)).json().customerId).toBe(keep.id);
    // An open case screen learns that its customer changed.
    const [moved] = await t.db.query<{ payload: { customerId: string; action: string } }>(
      `SELECT payload FROM events WHERE type = 'record.changed' AND record_type = 'case' AND record_id = $1
       ORDER BY id DESC LIMIT 1`,
      [kase.id],
    );
    expect(moved.payload).toMatchObject({ action: 'update', customerId: keep.id });
    expect((await sup.get(`/api/v1/tasks/${task.json().id}`)).json().customerId).toBe(keep.id);
    const [i] = await t.db.query<{ customer_id: string }>('SELECT customer_id FROM interactions WHERE id = $1', [
      interaction.json().id,
    ]);
    expect(i.customer_id).toBe(keep.id);
    expect((await t.admin.get(`/api/v1/customers/${keep.id}/portal-access`)).json().enabled).toBe(true);

    const history = (await t.admin.get(`/api/v1/customers/${keep.id}/history`)).json().items as {
      action: string;
      changes: { field: string; from: unknown; to: unknown }[];
    }[];
    expect(history[0].action).toBe('merge');
    expect(history[0].changes[0]).toEqual({
      field: 'mergedFrom',
      from: null,
      to: { id: gone.id, accountNumber: gone.accountNumber, displayName: 'Alan Turnig' },
    });
    expect(history[0].changes).toContainEqual({ field: 'email', from: null, to: email });
    const goneHistory = (await t.admin.get(`/api/v1/customers/${gone.id}/history`)).json().items as typeof history;
    expect(goneHistory[0].action).toBe('delete');
    expect(goneHistory[0].changes[0]).toEqual({
      field: 'mergedInto',
      from: null,
      to: { id: keep.id, accountNumber: keep.accountNumber },
    });
    const caseHistory = (await sup.get(`/api/v1/cases/${kase.id}/history`)).json().items as typeof history;
    expect(caseHistory[0].changes).toContainEqual({ field: 'customerId', from: gone.id, to: keep.id });
  });

  it('takes the chosen fields from the merged customer', async () => {
    const keep = await create({ firstName: 'Ann', lastName: 'Smith', notes: 'keep me' });
    const gone = await create({ firstName: 'Anne', lastName: 'Smyth', notes: 'older' });
    const res = await sup.post(`/api/v1/customers/${keep.id}/merge`, {
      fromId: gone.id,
      version: keep.version,
      fromVersion: gone.version,
      fields: { firstName: 'merged', notes: 'survivor' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().customer).toMatchObject({ firstName: 'Anne', lastName: 'Smith', notes: 'keep me' });
  });

  it('refuses stale versions, self-merge, unknown ids and bad input, and changes nothing', async () => {
    const a = await create({ firstName: 'Stale', lastName: 'One', phones: [{ number: phone() }] });
    const b = await create({ firstName: 'Stale', lastName: 'Two', phones: [{ number: phone() }] });
    await sup.post('/api/v1/cases', { customerId: b.id, subject: 'stays' });
    const before = await snapshot(a.id, b.id);
    const merge = (id: string, body: Record<string, unknown>) => sup.post(`/api/v1/customers/${id}/merge`, body);

    const stale = await merge(a.id, { fromId: b.id, version: a.version + 5, fromVersion: b.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().errors[0].field).toBe('version');
    expect(stale.json().current.id).toBe(a.id);
    const staleFrom = await merge(a.id, { fromId: b.id, version: a.version, fromVersion: b.version + 1 });
    expect(staleFrom.statusCode).toBe(409);
    expect(staleFrom.json().errors[0].field).toBe('fromVersion');
    expect(staleFrom.json().current.id).toBe(b.id);

    const self = await merge(a.id, { fromId: a.id, version: a.version, fromVersion: a.version });
    expect(self.statusCode).toBe(400);
    expect(self.json().errors[0]).toEqual({ field: 'fromId', message: 'A customer cannot be merged into itself.' });
    const unknown = await merge(a.id, {
      fromId: '00000000-0000-4000-8000-000000000000',
      version: a.version,
      fromVersion: 1,
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors[0].field).toBe('fromId');
    const notUuid = await merge(a.id, { fromId: 'nope', version: a.version, fromVersion: 1 });
    expect(notUuid.statusCode).toBe(400);
    expect(notUuid.json().errors[0].field).toBe('fromId');
    const missing = await merge('00000000-0000-4000-8000-000000000000', {
      fromId: b.id,
      version: 1,
      fromVersion: b.version,
    });
    expect(missing.statusCode).toBe(404);
    const noFromVersion = await merge(a.id, { fromId: b.id, version: a.version });
    expect(noFromVersion.statusCode).toBe(400);
    expect(noFromVersion.json().errors[0].field).toBe('fromVersion');
    const badChoice = await merge(a.id, {
      fromId: b.id,
      version: a.version,
      fromVersion: b.version,
      fields: { vipness: 'merged' },
    });
    expect(badChoice.statusCode).toBe(400);
    expect(badChoice.json().errors[0].field).toBe('fields.vipness');
    const noVersion = await merge(a.id, { fromId: b.id, fromVersion: b.version });
    expect(noVersion.statusCode).toBe(428);
    expect(await snapshot(a.id, b.id)).toEqual(before);

    // Both with Support Center accounts: refused, naming fromId.
    for (const c of [a, b]) {
      const r = await t.admin.put(`/api/v1/customers/${c.id}/portal-access`, {
        enabled: true,
        password: 'a long enough password 2',
        sendCredentials: false,
      });
      expect(r.statusCode, r.body).toBe(200);
    }
    const mid = await snapshot(a.id, b.id);
    const both = await merge(a.id, { fromId: b.id, version: a.version, fromVersion: b.version });
    expect(both.statusCode).toBe(409);
    expect(both.json().errors[0].field).toBe('fromId');
    expect(await snapshot(a.id, b.id)).toEqual(mid);
  });

  it('two opposite merges of one pair at once: one wins, the other is a clear 4xx', async () => {
    const a = await create({ firstName: 'Race', lastName: 'One' });
    const b = await create({ firstName: 'Race', lastName: 'Two' });
    const [r1, r2] = await Promise.all([
      sup.post(`/api/v1/customers/${a.id}/merge`, { fromId: b.id, version: a.version, fromVersion: b.version }),
      sup.post(`/api/v1/customers/${b.id}/merge`, { fromId: a.id, version: b.version, fromVersion: a.version }),
    ]);
    const codes = [r1.statusCode, r2.statusCode].sort();
    expect(codes[0], `${r1.body} ${r2.body}`).toBe(200);
    expect(codes[1]).toBeGreaterThanOrEqual(400);
    expect(codes[1]).toBeLessThan(500);
    const [{ n }] = await t.db.query<{ n: number }>('SELECT count(*) AS n FROM customers WHERE id = ANY($1::uuid[])', [
      [a.id, b.id],
    ]);
    expect(n).toBe(1);
  });

  it('needs customers.edit and customers.delete (403 for an agent), and changes nothing then', async () => {
    const a = await create({ firstName: 'Priv', lastName: 'One' });
    const b = await create({ firstName: 'Priv', lastName: 'Two' });
    const before = await snapshot(a.id, b.id);
    const agent = await t.user('agent');
    const body = { fromId: b.id, version: a.version, fromVersion: b.version };
    expect((await agent.post(`/api/v1/customers/${a.id}/merge`, body)).statusCode).toBe(403);
    const noEdit = await t.user('supervisor', {
      privileges: ['customers.view', 'customers.delete', 'cases.edit', 'tasks.edit'],
    });
    const r = await noEdit.post(`/api/v1/customers/${a.id}/merge`, body);
    expect(r.statusCode).toBe(403);
    expect(r.json().detail).toMatch(/customers\.edit/);
    expect(await snapshot(a.id, b.id)).toEqual(before);
  });
});
