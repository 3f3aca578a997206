import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { systemActor } from '../../http/actor.js';
import { CustomersService } from './service.js';
import { screenPopIds } from './screen-pop.test-helpers.js';

interface C {
  id: string;
  accountNumber: string;
  version: number;
  email: string | null;
  firstName: string | null;
  draft: boolean;
  phones: { type: string; number: string; e164: string | null; extension: string | null; valid: boolean }[];
  [k: string]: unknown;
}

let t: TestApp;
let n = 0;
const uniq = () => `${Date.now().toString(36)}${++n}`;

async function count(): Promise<number> {
  const [{ c }] = await t.db.query<{ c: number }>('SELECT count(*) AS c FROM customers');
  return c;
}

async function create(client: TestClient, body: Record<string, unknown>): Promise<C> {
  const res = await client.post('/api/v1/customers', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as C;
}

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe('customers: records', () => {
  it('creates a customer with a generated account number, typed phones and addresses', async () => {
    const res = await t.admin.post('/api/v1/customers', {
      firstName: ' Ada ',
      lastName: 'Lovelace',
      company: 'Analytical Engines',
      email: `ada.${uniq()}@Example.test`,
      phones: [
        { type: 'work', number: '(415) 555-0100 x23' },
        { type: 'mobile', number: 'not a number 12' },
      ],
      primaryAddress: { street: '1 Main St', city: 'London', postalCode: 'SW1A 1AA', country: 'GB' },
      notes: 'prefers email',
      vip: true,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    const c = res.json() as C;
    expect(c.accountNumber).toMatch(/^\d{5,}$/);
    expect(c.firstName).toBe('Ada');
    expect(c.displayName).toBe('Ada Lovelace');
    expect(c.version).toBe(1);
    expect(c.draft).toBe(false);
    // Read in the default region (US), whatever the address country; what does not parse is kept as typed.
    expect(c.phones).toEqual([
      { type: 'work', number: '(415) 555-0100 x23', e164: '+14155550100', extension: '23', valid: true },
      { type: 'mobile', number: 'not a number 12', e164: null, extension: null, valid: false },
    ]);
    const got = await t.admin.get(`/api/v1/customers/${c.id}`);
    expect(got.json()).toEqual(c);
  });

  it('reads phones in the default region when the address names no country', async () => {
    const c = await create(t.admin, {
      firstName: 'Bo',
      lastName: 'Diddley',
      phones: [{ number: '+44 20 7946 0958' }, { type: 'home', number: '415 555 0101 ext 9' }],
    });
    expect(c.phones.map((p) => [p.type, p.e164, p.extension, p.valid])).toEqual([
      ['voice', '+442079460958', null, true],
      ['home', '+14155550101', '9', true],
    ]);
  });

  it('reads numbers without a country code in the configured region (no hard-coded country)', async () => {
    const gb = new CustomersService(t.db, { ...t.config, defaultPhoneRegion: 'GB' });
    const actor = systemActor('import');
    const c = await gb.create(actor, { firstName: 'Uk', lastName: 'Caller', phones: [{ number: '020 7946 0321' }] });
    expect(c.phones[0]).toMatchObject({ e164: '+442079460321', valid: true });
    expect(await screenPopIds(t.db, { phone: '(020) 7946-0321' }, 'GB')).toEqual([c.id]);
    // The same digits in the US deployment are not a valid number: kept, flagged, still found by their digits.
    const us = await create(t.admin, { firstName: 'Us', lastName: 'Caller', phones: [{ number: '020 7946 0959' }] });
    expect(us.phones[0]).toMatchObject({ e164: null, valid: false });
    const h = (await t.admin.get(`/api/v1/customers/${c.id}/history`)).json();
    expect(h.items[0]).toMatchObject({ action: 'create', channel: 'import', actor: { id: null, name: 'system' } });
  });

  it('generates distinct, increasing account numbers and accepts a given one once', async () => {
    const a = await create(t.admin, { firstName: 'A', lastName: 'One' });
    const b = await create(t.admin, { firstName: 'B', lastName: 'Two' });
    expect(Number(b.accountNumber)).toBeGreaterThan(Number(a.accountNumber));
    const given = `IMP-${uniq()}`;
    await create(t.admin, { accountNumber: given, firstName: 'C', lastName: 'Three' });
    const clash = await t.admin.post('/api/v1/customers', { accountNumber: given, firstName: 'D', lastName: 'Four' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().errors[0].field).toBe('accountNumber');
    // The sequence skips a number an import already took.
    const next = String(Number(b.accountNumber) + 2);
    await create(t.admin, { accountNumber: next, firstName: 'E', lastName: 'Five' });
    const after = await create(t.admin, { firstName: 'F', lastName: 'Six' });
    expect(after.accountNumber).not.toBe(next);
  });

  it('refuses to change the account number', async () => {
    const c = await create(t.admin, { firstName: 'Im', lastName: 'Mutable' });
    const res = await t.admin.patch(`/api/v1/customers/${c.id}`, { version: 1, accountNumber: 'X1' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('accountNumber');
    const same = await t.admin.patch(`/api/v1/customers/${c.id}`, { version: 1, accountNumber: c.accountNumber });
    expect(same.statusCode).toBe(200);
  });

  it('answers 404 for unknown and malformed ids', async () => {
    expect((await t.admin.get('/api/v1/customers/00000000-0000-0000-0000-000000000000')).statusCode).toBe(404);
    expect((await t.admin.get('/api/v1/customers/nope')).statusCode).toBe(404);
    expect((await t.admin.patch('/api/v1/customers/nope', { version: 1 })).statusCode).toBe(404);
    expect((await t.admin.delete('/api/v1/customers/nope')).statusCode).toBe(404);
    expect((await t.admin.get('/api/v1/customers/nope/history')).statusCode).toBe(404);
  });
});

describe('customers: email uniqueness', () => {
  it('20 concurrent creates with one email in different case: one 201, the rest 409 naming email', async () => {
    const local = `race.${uniq()}`;
    const emails = Array.from({ length: 20 }, (_, i) =>
      `${local}@example.test`
        .split('')
        .map((ch, j) => ((i >> (j % 5)) & 1 ? ch.toUpperCase() : ch))
        .join(''),
    );
    const before = await count();
    const results = await Promise.all(
      emails.map((email, i) => t.admin.post('/api/v1/customers', { firstName: 'Race', lastName: `R${i}`, email })),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(19);
    for (const r of results.filter((x) => x.statusCode === 409)) expect(r.json().errors[0].field).toBe('email');
    expect(await count()).toBe(before + 1);
  });

  it('an update to a taken email (other case) is a 409 naming email', async () => {
    const email = `taken.${uniq()}@example.test`;
    await create(t.admin, { firstName: 'T', lastName: 'One', email });
    const other = await create(t.admin, { firstName: 'T', lastName: 'Two' });
    const res = await t.admin.patch(`/api/v1/customers/${other.id}`, { version: 1, email: email.toUpperCase() });
    expect(res.statusCode).toBe(409);
    expect(res.json().errors[0].field).toBe('email');
  });
});

describe('customers: bad input', () => {
  const long = (n: number) => 'x'.repeat(n);
  const cases: [name: string, body: unknown, field: string][] = [
    ['firstName not a string', { firstName: 42, lastName: 'L' }, 'firstName'],
    ['vip not a boolean', { firstName: 'F', lastName: 'L', vip: 'yes' }, 'vip'],
    ['phones not a list', { firstName: 'F', lastName: 'L', phones: '555' }, 'phones'],
    ['phone without number', { firstName: 'F', lastName: 'L', phones: [{ type: 'home' }] }, 'phones.0.number'],
    [
      'phone of unknown type',
      { firstName: 'F', lastName: 'L', phones: [{ type: 'pager', number: '1' }] },
      'phones.0.type',
    ],
    ['phone with no digits', { firstName: 'F', lastName: 'L', phones: [{ number: 'call me' }] }, 'phones.0.number'],
    ['phone too long', { firstName: 'F', lastName: 'L', phones: [{ number: '1'.repeat(65) }] }, 'phones.0.number'],
    ['first name too long', { firstName: long(101), lastName: 'L' }, 'firstName'],
    ['last name too long', { firstName: 'F', lastName: long(101) }, 'lastName'],
    ['city too long', { firstName: 'F', lastName: 'L', primaryAddress: { city: long(101) } }, 'primaryAddress.city'],
    ['email too long', { firstName: 'F', lastName: 'L', email: `${long(250)}@example.test` }, 'email'],
    ['malformed email', { firstName: 'F', lastName: 'L', email: 'not-an-email' }, 'email'],
    ['email with spaces', { firstName: 'F', lastName: 'L', email: 'a b@example.test' }, 'email'],
    ['unknown field', { firstName: 'F', lastName: 'L', nickname: 'x' }, 'nickname'],
    [
      'unknown address field',
      { firstName: 'F', lastName: 'L', primaryAddress: { planet: 'Mars' } },
      'primaryAddress.planet',
    ],
    ['empty first name', { firstName: '', lastName: 'L' }, 'firstName'],
    ['blank last name', { firstName: 'F', lastName: '   ' }, 'lastName'],
    ['no names', { company: 'Acme' }, 'firstName'],
    [
      'unknown custom field',
      { firstName: 'F', lastName: 'L', customFields: { shoeSize: 42 } },
      'customFields.shoeSize',
    ],
    ['bad account number', { accountNumber: 'has space', firstName: 'F', lastName: 'L' }, 'accountNumber'],
    ['not an object', [1, 2], 'body'],
  ];
  it.each(cases)('%s → 400 naming the field, nothing written', async (_name, body, field) => {
    const before = await count();
    const res = await t.admin.post('/api/v1/customers', body as Record<string, unknown>);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect((res.json().errors as { field: string }[]).map((e) => e.field)).toContain(field);
    expect(await count()).toBe(before);
  });

  it('a bad patch changes nothing', async () => {
    const c = await create(t.admin, { firstName: 'Keep', lastName: 'Me' });
    for (const body of [
      { version: 1, firstName: '' },
      { version: 1, email: 'nope' },
      { version: 1, lastName: long(101) },
      { version: 1, colour: 'red' },
      { version: 'one', firstName: 'X' },
    ]) {
      const res = await t.admin.patch(`/api/v1/customers/${c.id}`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    const after = (await t.admin.get(`/api/v1/customers/${c.id}`)).json() as C;
    expect(after).toEqual(c);
  });

  it('a patch without the version read is 428', async () => {
    const c = await create(t.admin, { firstName: 'No', lastName: 'Version' });
    const res = await t.admin.patch(`/api/v1/customers/${c.id}`, { firstName: 'X' });
    expect(res.statusCode).toBe(428);
  });
});

describe('customers: drafts', () => {
  it('saves an incomplete draft, then completing it applies the full rules', async () => {
    const d = await create(t.admin, { draft: true, phones: [{ number: '+1 212 555 0199' }] });
    expect(d.draft).toBe(true);
    expect(d.firstName).toBeNull();
    const incomplete = await t.admin.patch(`/api/v1/customers/${d.id}`, {
      version: 1,
      draft: false,
      firstName: 'Only',
    });
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.json().errors[0].field).toBe('lastName');
    const done = await t.admin.patch(`/api/v1/customers/${d.id}`, {
      version: 1,
      draft: false,
      firstName: 'Now',
      lastName: 'Complete',
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ draft: false, version: 2, displayName: 'Now Complete' });
  });

  it('drafts are left out of lookups until completed', async () => {
    const email = `draft.${uniq()}@example.test`;
    const d = await create(t.admin, { draft: true, email, phones: [{ number: '+1 646 555 0142' }] });
    expect(await screenPopIds(t.db, { email })).toEqual([]);
    expect(await screenPopIds(t.db, { phone: '(646) 555-0142' })).toEqual([]);
    await t.admin.patch(`/api/v1/customers/${d.id}`, { version: 1, draft: false, firstName: 'D', lastName: 'Done' });
    expect(await screenPopIds(t.db, { email: email.toUpperCase() })).toEqual([d.id]);
    expect(await screenPopIds(t.db, { phone: '6465550142' })).toEqual([d.id]);
  });
});

describe('customers: optimistic concurrency and history', () => {
  it('a stale version is a 409 with the current record, and nothing changes', async () => {
    const c = await create(t.admin, { firstName: 'Old', lastName: 'Name' });
    const first = await t.admin.patch(`/api/v1/customers/${c.id}`, { firstName: 'New' }, { 'if-match': '"1"' });
    expect(first.statusCode).toBe(200);
    expect(first.headers.etag).toBe('"2"');
    const stale = await t.admin.patch(`/api/v1/customers/${c.id}`, { version: 1, lastName: 'Other' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().current).toMatchObject({ id: c.id, version: 2, firstName: 'New', lastName: 'Name' });
    const now = (await t.admin.get(`/api/v1/customers/${c.id}`)).json() as C;
    expect(now).toMatchObject({ version: 2, lastName: 'Name' });
    const staleDelete = await t.admin.delete(`/api/v1/customers/${c.id}`, { 'if-match': '"1"' });
    expect(staleDelete.statusCode).toBe(409);
    expect((await t.admin.get(`/api/v1/customers/${c.id}`)).statusCode).toBe(200);
  });

  it('an unchanged patch writes nothing', async () => {
    const c = await create(t.admin, { firstName: 'Same', lastName: 'Same', phones: [{ number: '212 555 0100' }] });
    const res = await t.admin.patch(`/api/v1/customers/${c.id}`, {
      version: 1,
      firstName: 'Same',
      phones: [{ type: 'voice', number: '212 555 0100' }],
    });
    expect(res.json().version).toBe(1);
    const h = (await t.admin.get(`/api/v1/customers/${c.id}/history`)).json();
    expect(h.items).toHaveLength(1);
  });

  it('writes history rows for create, update and delete with from/to, who and channel', async () => {
    const agent = await t.user('agent');
    const supervisor = await t.apiKey('supervisor');
    const c = await create(agent, {
      firstName: 'Hist',
      lastName: 'Ory',
      email: `hist.${uniq()}@example.test`,
      phones: [{ type: 'home', number: '212 555 0123' }],
      primaryAddress: { city: 'Paris' },
    });
    const up = await agent.patch(`/api/v1/customers/${c.id}`, {
      version: 1,
      lastName: 'Oryx',
      primaryAddress: { city: 'Lyon', postalCode: '69001' },
      phones: [{ type: 'mobile', number: '212 555 0124' }],
      vip: true,
    });
    expect(up.statusCode, up.body).toBe(200);
    expect((await agent.delete(`/api/v1/customers/${c.id}`)).statusCode).toBe(403);
    const del = await supervisor.delete(`/api/v1/customers/${c.id}`, { 'if-match': '"2"' });
    expect(del.statusCode).toBe(204);
    expect((await t.admin.get(`/api/v1/customers/${c.id}`)).statusCode).toBe(404);

    const res = await t.admin.get(`/api/v1/customers/${c.id}/history`);
    expect(res.statusCode).toBe(200);
    const items = res.json().items as {
      action: string;
      channel: string;
      actor: { id: string | null; name: string };
      changes: { field: string; from: unknown; to: unknown }[];
    }[];
    expect(items.map((i) => i.action)).toEqual(['delete', 'update', 'create']);
    const [d, u, cr] = items;
    const byField = (e: (typeof items)[number]) =>
      Object.fromEntries(e.changes.map((ch) => [ch.field, [ch.from, ch.to]]));
    expect(byField(cr)).toMatchObject({
      firstName: [null, 'Hist'],
      lastName: [null, 'Ory'],
      accountNumber: [null, c.accountNumber],
      'primaryAddress.city': [null, 'Paris'],
      phones: [null, [{ type: 'home', number: '212 555 0123' }]],
    });
    expect(cr.actor.id).toBe(agent.userId);
    expect(cr.channel).toBe('console');
    expect(byField(u)).toEqual({
      lastName: ['Ory', 'Oryx'],
      'primaryAddress.city': ['Paris', 'Lyon'],
      'primaryAddress.postalCode': [null, '69001'],
      phones: [[{ type: 'home', number: '212 555 0123' }], [{ type: 'mobile', number: '212 555 0124' }]],
      vip: [false, true],
    });
    expect(byField(d)).toMatchObject({
      lastName: ['Oryx', null],
      vip: [true, null],
      accountNumber: [c.accountNumber, null],
    });
    expect(d.channel).toBe('api');
    expect(d.actor.id).toBe(supervisor.userId);
    // History cannot be edited.
    await expect(t.db.query(`UPDATE history SET actor_name = 'x' WHERE record_id = $1`, [c.id])).rejects.toThrow();
  });

  it('paginates history newest first', async () => {
    const c = await create(t.admin, { firstName: 'P', lastName: 'Ages' });
    for (let v = 1; v <= 4; v++) {
      const r = await t.admin.patch(`/api/v1/customers/${c.id}`, { version: v, notes: `note ${v}` });
      expect(r.statusCode).toBe(200);
    }
    const p1 = (await t.admin.get(`/api/v1/customers/${c.id}/history?limit=3`)).json();
    expect(p1.items).toHaveLength(3);
    const p2 = (await t.admin.get(`/api/v1/customers/${c.id}/history?limit=3&cursor=${p1.nextCursor}`)).json();
    expect(p2.items.map((i: { action: string }) => i.action)).toEqual(['update', 'create']);
    expect(p2.nextCursor).toBeNull();
  });
});

describe('customers: privileges and events', () => {
  it('each action needs its privilege', async () => {
    const viewer = await t.user('agent', { privileges: ['customers.view'] });
    const nobody = await t.user('agent', { privileges: [] });
    const c = await create(t.admin, { firstName: 'Priv', lastName: 'Ileges' });
    expect((await nobody.get(`/api/v1/customers/${c.id}`)).statusCode).toBe(403);
    expect((await nobody.get('/api/v1/customers')).statusCode).toBe(403);
    expect((await viewer.get(`/api/v1/customers/${c.id}`)).statusCode).toBe(200);
    expect((await viewer.post('/api/v1/customers', { firstName: 'X', lastName: 'Y' })).statusCode).toBe(403);
    expect((await viewer.patch(`/api/v1/customers/${c.id}`, { version: 1, notes: 'x' })).statusCode).toBe(403);
    expect((await viewer.delete(`/api/v1/customers/${c.id}`)).statusCode).toBe(403);
    expect((await t.anonymous.get('/api/v1/customers')).statusCode).toBe(401);
    const lookupKey = await t.apiKey('agent', 'lookup');
    expect((await lookupKey.get('/api/v1/customers')).statusCode).toBe(403);
  });

  it('an API key revoked is refused at once (its short actor cache is cleared)', async () => {
    const key = await t.apiKey('agent');
    expect((await key.get('/api/v1/customers?limit=1')).statusCode).toBe(200);
    const [row] = await t.db.query<{ id: string }>('SELECT id FROM api_keys WHERE user_id = $1', [key.userId]);
    expect((await t.admin.delete(`/api/v1/api-keys/${row.id}`)).statusCode).toBe(204);
    expect((await key.get('/api/v1/customers?limit=1')).statusCode).toBe(401);
  });

  it('writes one outbox event per command, only when it commits', async () => {
    const before = await t.db.query<{ id: number }>(`SELECT id FROM events WHERE record_type = 'customer'`);
    const c = await create(t.admin, { firstName: 'Ev', lastName: 'Ent' });
    await t.admin.post('/api/v1/customers', { firstName: 'Ev' }); // refused: no event
    await t.admin.patch(`/api/v1/customers/${c.id}`, { version: 1, vip: true });
    await t.admin.delete(`/api/v1/customers/${c.id}`);
    const rows = await t.db.query<{ type: string; record_id: string }>(
      `SELECT type, record_id FROM events WHERE record_type = 'customer' ORDER BY id`,
    );
    expect(rows.slice(before.length)).toEqual([
      { type: 'customer.created', record_id: c.id },
      { type: 'customer.updated', record_id: c.id },
      { type: 'customer.deleted', record_id: c.id },
    ]);
  });
});

describe('preferences', () => {
  it('keeps the customers list columns per user', async () => {
    const a = await t.user('agent');
    const b = await t.user('agent');
    expect((await a.get('/api/v1/me/preferences')).json()).toEqual({});
    const put = await a.put('/api/v1/me/preferences', { 'customers.columns': ['name', 'phone', 'accountNumber'] });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({ 'customers.columns': ['name', 'phone', 'accountNumber'] });
    await a.put('/api/v1/me/preferences', { 'customers.columns': ['phone', 'name'] });
    expect((await a.get('/api/v1/me/preferences')).json()).toEqual({ 'customers.columns': ['phone', 'name'] });
    expect((await b.get('/api/v1/me/preferences')).json()).toEqual({});
    const bad = await a.put('/api/v1/me/preferences', { 'customers.columns': ['name', 'shoeSize'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('customers.columns');
    expect((await a.put('/api/v1/me/preferences', { 'Bad Key': 1 })).statusCode).toBe(400);
    // A custom field is a column too: cf.<key>.
    const cf = await a.put('/api/v1/me/preferences', { 'customers.columns': ['name', 'cf.contract_tier'] });
    expect(cf.statusCode, cf.body).toBe(200);
    // Every column the console offers can be saved (Tags included).
    const tags = await a.put('/api/v1/me/preferences', { 'customers.columns': ['name', 'tags'] });
    expect(tags.statusCode, tags.body).toBe(200);
    expect((await a.put('/api/v1/me/preferences', { 'customers.columns': ['name', 'cf.Bad Key'] })).statusCode).toBe(
      400,
    );
    const removed = await a.put('/api/v1/me/preferences', { 'customers.columns': null });
    expect(removed.json()).toEqual({});
    expect((await t.anonymous.get('/api/v1/me/preferences')).statusCode).toBe(401);
  });

  it('keeps the cases list columns, custom fields included, and refuses unknown ones by name', async () => {
    const a = await t.user('agent');
    const cols = ['caseNumber', 'cf.contract_tier', 'subject', 'status', 'updatedAt'];
    const put = await a.put('/api/v1/me/preferences', { 'cases.columns': cols });
    expect(put.statusCode, put.body).toBe(200);
    expect((await a.get('/api/v1/me/preferences')).json()).toEqual({ 'cases.columns': cols });
    const bad = await a.put('/api/v1/me/preferences', { 'cases.columns': ['caseNumber', 'accountNumber'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().errors[0]).toMatchObject({
      field: 'cases.columns',
      message: expect.stringContaining('unknown column "accountNumber"'),
    });
    const twice = await a.put('/api/v1/me/preferences', { 'cases.columns': ['subject', 'subject'] });
    expect(twice.statusCode).toBe(400);
    expect(twice.json().errors[0]).toEqual({ field: 'cases.columns', message: 'Columns: a column is listed twice.' });
    expect((await a.put('/api/v1/me/preferences', { 'cases.columns': [] })).statusCode).toBe(400);
    expect((await a.put('/api/v1/me/preferences', { 'cases.columns': 'subject' })).statusCode).toBe(400);
  });
});
