import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { defineField, patchField } from './cf.test-helpers.js';

/**
 * Custom fields on real records, through the customers, cases and tasks APIs:
 * validation on every write, defaults, history, retire/restore, type changes,
 * list filters, and a unique field under concurrent writes.
 */
describe('custom fields on records', () => {
  let t: TestApp;
  const newCustomer = async (body: Record<string, unknown> = {}) => {
    const res = await t.admin.post('/api/v1/customers', { firstName: 'Ada', lastName: 'Lovelace', ...body });
    return res;
  };

  beforeAll(async () => {
    t = await startTestApp();
    await defineField(t.admin, {
      key: 'tier',
      label: 'Tier',
      type: 'singlePick',
      required: true,
      default: 'std',
      filterable: true,
      options: [
        { key: 'std', label: 'Standard' },
        { key: 'gold', label: 'Gold' },
        { key: 'legacy', label: 'Legacy' },
      ],
    });
    await defineField(t.admin, { key: 'seats', label: 'Seats', type: 'number', filterable: true });
    await defineField(t.admin, { key: 'memberNo', label: 'Member no.', type: 'text', unique: true });
  });
  afterAll(async () => t?.close());

  it('customers: defaults on create, 400 naming customFields.<key>, unknown keys refused', async () => {
    const created = await newCustomer({ customFields: { seats: '12' } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().customFields).toEqual({ tier: 'std', seats: 12 });
    const bad = await newCustomer({ customFields: { seats: 'lots', nope: 1, tier: 'platinum' } });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['customFields.nope', 'customFields.seats', 'customFields.tier']);
    const cleared = await newCustomer({ customFields: { tier: null } });
    expect(cleared.statusCode).toBe(400);
    expect(cleared.json().errors).toEqual([{ field: 'customFields.tier', message: 'Tier is required.' }]);
    // A draft may leave required fields empty.
    const draft = await t.admin.post('/api/v1/customers', { draft: true, customFields: { tier: null } });
    expect(draft.statusCode, draft.body).toBe(201);
  });

  it('customers: value changes appear in the history as customFields.<key>', async () => {
    const c = (await newCustomer({ customFields: { seats: 3 } })).json();
    const res = await t.admin.patch(`/api/v1/customers/${c.id}`, {
      version: c.version,
      customFields: { seats: 4, tier: 'gold' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().customFields).toEqual({ tier: 'gold', seats: 4 });
    const history = (await t.admin.get(`/api/v1/customers/${c.id}/history`)).json().items;
    const update = history.find((h: { action: string }) => h.action === 'update');
    expect(update.changes).toEqual(
      expect.arrayContaining([
        { field: 'customFields.seats', from: 3, to: 4 },
        { field: 'customFields.tier', from: 'std', to: 'gold' },
      ]),
    );
    const create = history.find((h: { action: string }) => h.action === 'create');
    expect(create.changes).toEqual(expect.arrayContaining([{ field: 'customFields.seats', from: null, to: 3 }]));
  });

  it('retire and restore lose nothing; a retired option stays on the record', async () => {
    const c = (await newCustomer({ customFields: { tier: 'legacy', seats: 9 } })).json();
    const fields = (await t.admin.get('/api/v1/custom-fields?objectType=customer')).json().items;
    const seats = fields.find((f: { key: string }) => f.key === 'seats');
    const tier = fields.find((f: { key: string }) => f.key === 'tier');
    const retired = (await patchField(t.admin, seats, { retired: true })).json();
    await patchField(t.admin, tier, {
      options: [
        { key: 'std', label: 'Standard' },
        { key: 'gold', label: 'Gold' },
        { key: 'legacy', label: 'Legacy', retired: true },
      ],
    });
    // An unrelated edit keeps both values; the retired option is kept as held.
    const edited = await t.admin.patch(`/api/v1/customers/${c.id}`, { version: c.version, company: 'Analytical' });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json().customFields).toEqual({ tier: 'legacy', seats: 9 });
    const same = await t.admin.patch(`/api/v1/customers/${c.id}`, {
      version: edited.json().version,
      customFields: { tier: 'legacy', seats: 9 },
    });
    expect(same.statusCode, same.body).toBe(200);
    const newValue = await t.admin.patch(`/api/v1/customers/${c.id}`, {
      version: same.json().version,
      customFields: { seats: 10 },
    });
    expect(newValue.statusCode).toBe(400);
    expect(newValue.json().errors[0].field).toBe('customFields.seats');
    expect((await newCustomer({ customFields: { tier: 'legacy' } })).statusCode).toBe(400);
    await patchField(t.admin, retired, { retired: false });
    const after = (await t.admin.get(`/api/v1/customers/${c.id}`)).json();
    expect(after.customFields).toEqual({ tier: 'legacy', seats: 9 });
  });

  it('a type change is refused once a record holds a value', async () => {
    const f = await defineField(t.admin, { key: 'since', label: 'Since', type: 'text' });
    expect((await newCustomer({ customFields: { since: '2001' } })).statusCode).toBe(201);
    const res = await patchField(t.admin, f, { type: 'date' });
    expect(res.statusCode).toBe(409);
    expect(res.json().errors[0].field).toBe('type');
  });

  it('a unique field under 20 concurrent writes: exactly one wins, the rest 409 naming the field', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.admin.post('/api/v1/customers', {
          firstName: 'Same',
          lastName: `Member ${i}`,
          customFields: { memberNo: 'M-0001' },
        }),
      ),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(19);
    for (const r of results.filter((x) => x.statusCode === 409)) {
      expect(r.json().errors[0].field).toBe('customFields.memberNo');
    }
    // Updates are checked too.
    const other = (await newCustomer({ customFields: { memberNo: 'M-0002' } })).json();
    const clash = await t.admin.patch(`/api/v1/customers/${other.id}`, {
      version: other.version,
      customFields: { memberNo: 'M-0001' },
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().errors[0].field).toBe('customFields.memberNo');
  });

  it('tasks: cf.* list filters return exactly the matching records (equality and ranges)', async () => {
    await defineField(t.admin, {
      objectType: 'task',
      key: 'effort',
      label: 'Effort',
      type: 'number',
      filterable: true,
    });
    await defineField(t.admin, {
      objectType: 'task',
      key: 'topic',
      label: 'Topic',
      type: 'singlePick',
      filterable: true,
      options: [
        { key: 'billing', label: 'Billing' },
        { key: 'tech', label: 'Tech' },
      ],
    });
    const customer = (await newCustomer()).json();
    const made: Record<string, string> = {};
    for (const [name, cf] of Object.entries({
      a: { effort: 1, topic: 'billing' },
      b: { effort: 5, topic: 'tech' },
      c: { effort: 8, topic: 'billing' },
      d: {},
    })) {
      const res = await t.admin.post('/api/v1/tasks', {
        type: 'call',
        subject: `cf task ${name}`,
        customerId: customer.id,
        customFields: cf,
      });
      expect(res.statusCode, res.body).toBe(201);
      made[res.json().id] = name;
    }
    const names = async (qs: string) => {
      const res = await t.admin.get(`/api/v1/tasks?customerId=${customer.id}&${qs}`);
      expect(res.statusCode, res.body).toBe(200);
      return res
        .json()
        .items.map((i: { id: string }) => made[i.id])
        .sort();
    };
    expect(await names('cf.topic=billing')).toEqual(['a', 'c']);
    expect(await names('cf.effort.gte=5')).toEqual(['b', 'c']);
    expect(await names('cf.effort.gt=1&cf.effort.lte=5')).toEqual(['b']);
    expect(await names('cf.topic=billing&cf.effort.gte=5')).toEqual(['c']);
    expect(await names('cf.topic=tech&cf.topic=billing')).toEqual(['a', 'b', 'c']);
    const bad = await t.admin.get(`/api/v1/tasks?cf.nothing=1`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('cf.nothing');
  });

  it('cases and follow-ups validate their custom fields; the case history shows changes', async () => {
    await defineField(t.admin, { objectType: 'case', key: 'product', label: 'Product', type: 'text', required: true });
    await defineField(t.admin, { objectType: 'followUp', key: 'minutes', label: 'Minutes', type: 'number' });
    const customer = (await newCustomer()).json();
    const missing = await t.admin.post('/api/v1/cases', { customerId: customer.id, subject: 'Printer' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].field).toBe('customFields.product');
    const created = await t.admin.post('/api/v1/cases', {
      customerId: customer.id,
      subject: 'Printer',
      customFields: { product: 'LaserJet' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const c = created.json();
    const patched = await t.admin.patch(`/api/v1/cases/${c.id}`, {
      version: c.version,
      customFields: { product: 'DeskJet' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const history = (await t.admin.get(`/api/v1/cases/${c.id}/history`)).json().items;
    expect(history.flatMap((h: { changes: unknown[] }) => h.changes)).toContainEqual({
      field: 'customFields.product',
      from: 'LaserJet',
      to: 'DeskJet',
    });
    // cf.* filters on the case list.
    await defineField(t.admin, {
      objectType: 'case',
      key: 'units',
      label: 'Units',
      type: 'decimal',
      filterable: true,
    });
    const other = await t.admin.post('/api/v1/cases', {
      customerId: customer.id,
      subject: 'Scanner',
      customFields: { product: 'ScanJet', units: 2.5 },
    });
    expect(other.statusCode, other.body).toBe(201);
    const list = async (qs: string) =>
      (await t.admin.get(`/api/v1/cases?customerId=${customer.id}&${qs}`))
        .json()
        .items.map((i: { subject: string }) => i.subject);
    expect(await list('cf.units.gte=2')).toEqual(['Scanner']);
    expect(await list('cf.units.lt=2')).toEqual([]);
    const fu = await t.admin.post(`/api/v1/cases/${c.id}/follow-ups`, {
      kind: 'call',
      body: 'Called back',
      customFields: { minutes: 'ten' },
    });
    expect(fu.statusCode).toBe(400);
    expect(fu.json().errors[0].field).toBe('customFields.minutes');
  });
  it('customers: cf.* filters and searchable fields in q return exactly the matching customers', async () => {
    await defineField(t.admin, { key: 'renewal', label: 'Renewal', type: 'date', filterable: true });
    await defineField(t.admin, { key: 'accountRef', label: 'Account ref', type: 'text', searchable: true });
    const made: Record<string, string> = {};
    for (const [name, cf] of Object.entries({
      a: { renewal: '2025-01-10', accountRef: 'ZEBRA-7731', tier: 'gold' },
      b: { renewal: '2025-02-10', accountRef: 'zebra-8842' },
      c: { renewal: '2025-03-10', tier: 'gold' },
    })) {
      const res = await newCustomer({ lastName: `Filtered ${name}`, customFields: cf });
      expect(res.statusCode, res.body).toBe(201);
      made[res.json().id] = name;
    }
    const names = async (qs: string) => {
      const res = await t.admin.get(`/api/v1/customers?${qs}`);
      expect(res.statusCode, res.body).toBe(200);
      return res
        .json()
        .items.map((i: { id: string }) => made[i.id])
        .filter(Boolean)
        .sort();
    };
    expect(await names('cf.renewal.gte=2025-02-01')).toEqual(['b', 'c']);
    expect(await names('cf.renewal.gte=2025-01-01&cf.renewal.lt=2025-03-01')).toEqual(['a', 'b']);
    expect(await names('cf.renewal=2025-03-10&cf.tier=gold')).toEqual(['c']);
    expect(await names('cf.renewal=2025-03-10&cf.tier=std')).toEqual([]);
    expect(await names('q=zebra')).toEqual(['a', 'b']);
    expect(await names('q=8842')).toEqual(['b']);
    const bad = await t.admin.get('/api/v1/customers?cf.accountRef=ZEBRA-7731');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('cf.accountRef');
    expect((await t.admin.get('/api/v1/customers?cf.renewal=soon')).json().errors[0].field).toBe('cf.renewal');
  });
  it('customers: a draft may miss a required field; completing it needs the value', async () => {
    const f = await defineField(t.admin, { key: 'contractNo', label: 'Contract no.', type: 'text', required: true });
    const draft = await t.admin.post('/api/v1/customers', { draft: true, firstName: 'Dee' });
    expect(draft.statusCode, draft.body).toBe(201);
    const d = draft.json();
    const complete = await t.admin.patch(`/api/v1/customers/${d.id}`, {
      version: d.version,
      draft: false,
      lastName: 'Raft',
    });
    expect(complete.statusCode).toBe(400);
    expect(complete.json().errors).toContainEqual({
      field: 'customFields.contractNo',
      message: 'Contract no is required.',
    });
    const done = await t.admin.patch(`/api/v1/customers/${d.id}`, {
      version: d.version,
      draft: false,
      lastName: 'Raft',
      customFields: { contractNo: 'C-1' },
    });
    expect(done.statusCode, done.body).toBe(200);
    await patchField(t.admin, f, { retired: true });
  });
});
