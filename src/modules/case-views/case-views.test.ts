import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';

interface View {
  id: string;
  name: string;
  shared: boolean;
  ownerId: string;
  filter: Record<string, unknown>;
  version: number;
}

const DAY = 86_400_000;

describe('saved case views', () => {
  let t: TestApp;
  const clock = new ManualClock();
  let agent: TestClient;
  let other: TestClient;
  let supervisor: TestClient;
  let customerId: string;

  const countsOf = async (c: TestClient): Promise<Record<string, number | null>> => {
    const r = await c.get('/api/v1/case-views/counts');
    expect(r.statusCode, r.body).toBe(200);
    return Object.fromEntries(r.json().items.map((i: { id: string; count: number | null }) => [i.id, i.count]));
  };
  const newCase = async (fields: Record<string, unknown>) => {
    const r = await t.admin.post('/api/v1/cases', { customerId, subject: 'Views case', ...fields });
    expect(r.statusCode, r.body).toBe(201);
    return r.json() as { id: string; version: number };
  };

  beforeAll(async () => {
    t = await startTestApp({ checkResponses: true, clock });
    [agent, other, supervisor] = await Promise.all([t.user('agent'), t.user('agent'), t.user('supervisor')]);
    const customer = await t.admin.post('/api/v1/customers', { firstName: 'Ada', lastName: 'Lovelace' });
    customerId = customer.json().id;
  });
  afterAll(async () => {
    expect(t?.responseMismatches).toEqual([]);
    await t?.close();
  });

  it('keeps personal views to their owner, shows shared ones to everybody, and counts them', async () => {
    await newCase({ priority: 'urgent', tags: ['views-test'] });
    await newCase({ priority: 'urgent', tags: ['views-test'], ownerId: agent.userId });
    await newCase({ priority: 'low', tags: ['views-test'] });

    const mine = await agent.post('/api/v1/case-views', {
      name: '  Unassigned   urgent ',
      filter: { ownerId: 'none', priority: 'urgent', status: 'open', tag: ['views-test'] },
    });
    expect(mine.statusCode, mine.body).toBe(201);
    expect(mine.json()).toMatchObject({
      name: 'Unassigned urgent',
      shared: false,
      ownerId: agent.userId,
      sort: '-openedAt',
      version: 1,
    });
    const shared = await supervisor.post('/api/v1/case-views', {
      name: 'All views-test',
      shared: true,
      filter: { tag: ['views-test'] },
      sort: '-updatedAt',
    });
    expect(shared.statusCode, shared.body).toBe(201);

    const list = await agent.get('/api/v1/case-views');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((v: View) => v.name)).toEqual(['Unassigned urgent', 'All views-test']);
    expect((await other.get('/api/v1/case-views')).json().items.map((v: View) => v.name)).toEqual(['All views-test']);

    const counts = await countsOf(agent);
    expect(counts).toEqual({ [mine.json().id]: 1, [shared.json().id]: 3 });
    // The count is the Cases list's own filter: the same cases the list shows.
    const listed = await agent.get('/api/v1/cases?ownerId=none&priority=urgent&status=open&tag=views-test');
    expect(listed.json().items).toHaveLength(1);

    // Someone else's personal view does not exist for them, not even for an administrator.
    for (const c of [other, supervisor, t.admin]) {
      expect((await c.get(`/api/v1/case-views/${mine.json().id}`)).statusCode).toBe(404);
      const patched = await c.patch(`/api/v1/case-views/${mine.json().id}`, { name: 'x', version: 1 });
      expect(patched.statusCode).toBe(404);
      expect(patched.headers['content-type']).toContain('application/problem+json');
      expect((await c.delete(`/api/v1/case-views/${mine.json().id}`)).statusCode).toBe(404);
    }

    // The owner renames and deletes their own.
    const renamed = await agent.patch(`/api/v1/case-views/${mine.json().id}`, { name: 'Urgent, nobody', version: 1 });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Urgent, nobody', version: 2 });
    const stale = await agent.patch(`/api/v1/case-views/${mine.json().id}`, { name: 'again', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().current.version).toBe(2);
    expect((await agent.delete(`/api/v1/case-views/${mine.json().id}`, { 'if-match': '"2"' })).statusCode).toBe(204);
    expect((await agent.get(`/api/v1/case-views/${mine.json().id}`)).statusCode).toBe(404);
  });

  it('counts private cases only for callers who may see them', async () => {
    await newCase({ visibility: 'private', tags: ['views-private'] });
    await newCase({ visibility: 'public', tags: ['views-private'] });
    const view = (
      await supervisor.post('/api/v1/case-views', {
        name: 'Private test',
        shared: true,
        filter: { tag: ['views-private'] },
      })
    ).json() as View;
    expect((await countsOf(agent))[view.id]).toBe(1);
    expect((await countsOf(supervisor))[view.id]).toBe(2);
    expect((await countsOf(t.admin))[view.id]).toBe(2);
    // Visibility as a filter narrows within what the caller may see.
    const priv = (
      await supervisor.post('/api/v1/case-views', {
        name: 'Only private',
        filter: { tag: ['views-private'], visibility: 'private' },
      })
    ).json() as View;
    expect((await countsOf(supervisor))[priv.id]).toBe(1);
  });

  it('counts a shared "mine" view for whoever looks at it', async () => {
    await newCase({ tags: ['views-me'], ownerId: agent.userId });
    await newCase({ tags: ['views-me'], ownerId: agent.userId });
    await newCase({ tags: ['views-me'], ownerId: other.userId });
    const view = (
      await supervisor.post('/api/v1/case-views', {
        name: 'My views-me',
        shared: true,
        filter: { ownerId: 'me', tag: ['views-me'] },
      })
    ).json() as View;
    expect((await countsOf(agent))[view.id]).toBe(2);
    expect((await countsOf(other))[view.id]).toBe(1);
    expect((await countsOf(supervisor))[view.id]).toBe(0);
  });

  it('needs cases.sharedViews (or admin) to write shared views', async () => {
    const refused = await agent.post('/api/v1/case-views', { name: 'Nope', shared: true, filter: {} });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    const shared = (
      await t.admin.post('/api/v1/case-views', { name: 'Everything', shared: true, filter: {} })
    ).json() as View;
    expect((await agent.patch(`/api/v1/case-views/${shared.id}`, { name: 'Hi', version: 1 })).statusCode).toBe(403);
    expect((await agent.delete(`/api/v1/case-views/${shared.id}`)).statusCode).toBe(403);
    expect((await agent.get(`/api/v1/case-views/${shared.id}`)).json().name).toBe('Everything');
    // Sharing one's own personal view needs the privilege too.
    const own = (await agent.post('/api/v1/case-views', { name: 'Mine', filter: {} })).json() as View;
    expect((await agent.patch(`/api/v1/case-views/${own.id}`, { shared: true, version: 1 })).statusCode).toBe(403);

    // A user granted the privilege explicitly; the change is audited.
    const editor = await t.user('agent', { privileges: ['cases.view', 'cases.sharedViews'] });
    const changed = await editor.patch(`/api/v1/case-views/${shared.id}`, { filter: { status: 'open' }, version: 1 });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ filter: { status: 'open' }, version: 2 });
    expect((await editor.delete(`/api/v1/case-views/${shared.id}`, { 'if-match': '"2"' })).statusCode).toBe(204);
    const audit = await t.admin.get('/api/v1/audit?action=case_view.deleted');
    expect(audit.statusCode, audit.body).toBe(200);
    expect(audit.json().items.some((e: { targetId: string }) => e.targetId === shared.id)).toBe(true);
    // A user without cases.view has no views at all.
    const blind = await t.user('agent', { privileges: ['customers.view'] });
    expect((await blind.get('/api/v1/case-views')).statusCode).toBe(403);
  });

  it('refuses bad input naming the field in plain words, and changes nothing', async () => {
    const before = (await agent.get('/api/v1/case-views')).json().items.length;
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '', filter: {} }, 'name'],
      [{ name: '   ', filter: {} }, 'name'],
      [{ name: 'x'.repeat(81), filter: {} }, 'name'],
      [{ filter: {} }, 'name'],
      [{ name: 'No filter' }, 'filter'],
      [{ name: 'T', filter: {}, extra: 1 }, 'extra'],
      [{ name: 'T', filter: { colour: 'red' } }, 'filter.colour'],
      [{ name: 'T', filter: { status: 'nonsense' } }, 'filter.status'],
      [{ name: 'T', filter: { ownerId: 'somebody' } }, 'filter.ownerId'],
      [{ name: 'T', filter: { notUpdatedForDays: 0 } }, 'filter.notUpdatedForDays'],
      [{ name: 'T', filter: { notUpdatedForDays: '3' } }, 'filter.notUpdatedForDays'],
      [{ name: 'T', filter: {}, sort: 'colour' }, 'sort'],
    ];
    for (const [body, field] of cases) {
      const r = await agent.post('/api/v1/case-views', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
      const errors = r.json().errors as { field: string; message: string }[];
      expect(
        errors.map((e) => e.field),
        JSON.stringify(body),
      ).toContain(field);
      for (const e of errors) expect(e.message, JSON.stringify(body)).toMatch(/^[A-Z].*\.$/);
    }
    const dup = await agent.post('/api/v1/case-views', { name: 'MINE', filter: {} });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().errors[0].field).toBe('name');
    expect((await agent.get('/api/v1/case-views/not-a-uuid')).statusCode).toBe(404);
    expect((await agent.get('/api/v1/case-views')).json().items.length).toBe(before);
    expect((await t.anonymous.get('/api/v1/case-views')).statusCode).toBe(401);
  });

  it('filters on custom fields (cf.<key>) as the Cases list does: checked when saved, applied and counted', async () => {
    for (const body of [
      {
        objectType: 'case',
        key: 'product',
        label: 'Product',
        type: 'singlePick',
        filterable: true,
        options: [
          { key: 'widget', label: 'Widget' },
          { key: 'gadget', label: 'Gadget' },
        ],
      },
      { objectType: 'case', key: 'units', label: 'Units', type: 'number', filterable: true },
      { objectType: 'case', key: 'internal_note', label: 'Internal note', type: 'text' },
    ]) {
      const res = await t.admin.post('/api/v1/custom-fields', body);
      expect(res.statusCode, res.body).toBe(201);
    }
    await newCase({ tags: ['views-cf'], customFields: { product: 'widget', units: 5 } });
    await newCase({ tags: ['views-cf'], customFields: { product: 'widget', units: 50 } });
    await newCase({ tags: ['views-cf'], customFields: { product: 'gadget', units: 5 } });

    const filter = { tag: ['views-cf'], 'cf.product': 'widget', 'cf.units.gte': '10' };
    const created = await agent.post('/api/v1/case-views', { name: 'Big widget orders', filter });
    expect(created.statusCode, created.body).toBe(201);
    const view = created.json() as View;
    // Kept as given, so opening the view puts the same filters on the list.
    expect(view.filter).toEqual(filter);
    expect((await agent.get(`/api/v1/case-views/${view.id}`)).json().filter).toEqual(filter);
    expect((await countsOf(agent))[view.id]).toBe(1);
    const listed = await agent.get('/api/v1/cases?tag=views-cf&cf.product=widget&cf.units.gte=10');
    expect(listed.json().items).toHaveLength(1);
    // Any of several values, as the list's repeated parameter.
    const either = await agent.post('/api/v1/case-views', {
      name: 'Widgets or gadgets',
      filter: { tag: ['views-cf'], 'cf.product': ['widget', 'gadget'] },
    });
    expect(either.statusCode, either.body).toBe(201);
    expect((await countsOf(agent))[either.json().id]).toBe(3);
    const patched = await agent.patch(`/api/v1/case-views/${view.id}`, {
      filter: { tag: ['views-cf'], 'cf.units': '5' },
      version: view.version,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await countsOf(agent))[view.id]).toBe(2);

    // Refused as the list refuses them, naming filter.cf.<key>; nothing is saved.
    const before = (await agent.get('/api/v1/case-views')).json().items.length;
    const bad: [Record<string, unknown>, string][] = [
      [{ 'cf.nope': 'x' }, 'filter.cf.nope'],
      [{ 'cf.product': 'spaceship' }, 'filter.cf.product'],
      [{ 'cf.units': 'many' }, 'filter.cf.units'],
      [{ 'cf.units.gte': 'ten' }, 'filter.cf.units.gte'],
      [{ 'cf.product.gte': 'widget' }, 'filter.cf.product.gte'],
      [{ 'cf.internal_note': 'x' }, 'filter.cf.internal_note'],
      [{ 'cf.Bad Key': 'x' }, 'filter.cf.Bad Key'],
      [{ 'cf.product': 7 }, 'filter.cf.product'],
    ];
    for (const [f, field] of bad) {
      const r = await agent.post('/api/v1/case-views', { name: 'Bad cf', filter: f });
      expect(r.statusCode, JSON.stringify(f)).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
      const errors = r.json().errors as { field: string; message: string }[];
      expect(
        errors.map((e) => e.field),
        JSON.stringify(f),
      ).toContain(field);
      // The list's own words (a value it refuses is quoted first).
      for (const e of errors) expect(e.message, JSON.stringify(f)).toMatch(/^[A-Z"]/);
    }
    const badPatch = await agent.patch(`/api/v1/case-views/${view.id}`, {
      filter: { 'cf.units': 'lots' },
      version: view.version + 1,
    });
    expect(badPatch.statusCode).toBe(400);
    expect(badPatch.json().errors[0].field).toBe('filter.cf.units');
    expect((await agent.get('/api/v1/case-views')).json().items.length).toBe(before);

    // A field that stops being filterable later: the view stays, its count says the filter no longer applies.
    const defs = (await t.admin.get('/api/v1/custom-fields?objectType=case')).json().items as {
      id: string;
      key: string;
      version: number;
    }[];
    const units = defs.find((d) => d.key === 'units')!;
    const off = await t.admin.patch(`/api/v1/custom-fields/${units.id}`, { filterable: false, version: units.version });
    expect(off.statusCode, off.body).toBe(200);
    expect((await countsOf(agent))[view.id]).toBeNull();
    expect((await countsOf(agent))[either.json().id]).toBe(3);
  });

  it('keeps "not updated for N days" relative to the clock', async () => {
    // API keys: a session would expire while the clock moves on by days.
    const [keyed, keyedAdmin] = await Promise.all([t.apiKey('agent'), t.apiKey('admin')]);
    const waiting = (
      await keyedAdmin.post('/api/v1/cases', { customerId, subject: 'Waiting for the customer', tags: ['views-stale'] })
    ).json() as { id: string; version: number };
    const created = await keyed.post('/api/v1/case-views', {
      name: 'Waiting > 3 days',
      filter: { tag: ['views-stale'], notUpdatedForDays: 3 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const view = created.json() as View;
    expect((await countsOf(keyed))[view.id]).toBe(0);
    expect((await keyed.get('/api/v1/cases?tag=views-stale&notUpdatedForDays=3')).json().items).toHaveLength(0);

    clock.set(Date.now() + 3 * DAY + 60_000);
    expect((await countsOf(keyed))[view.id]).toBe(1);
    const listed = await keyed.get('/api/v1/cases?tag=views-stale&notUpdatedForDays=3');
    expect(listed.json().items.map((c: { id: string }) => c.id)).toEqual([waiting.id]);
    expect((await keyed.get('/api/v1/cases?notUpdatedForDays=0')).statusCode).toBe(400);

    // An update makes the case recent again, so it leaves the view until three more days pass.
    clock.set(Date.now());
    const touched = await keyedAdmin.patch(`/api/v1/cases/${waiting.id}`, {
      subject: 'Touched',
      version: waiting.version,
    });
    expect(touched.statusCode, touched.body).toBe(200);
    expect((await countsOf(keyed))[view.id]).toBe(0);
    clock.set(Date.now() + 4 * DAY);
    expect((await countsOf(keyed))[view.id]).toBe(1);
  });
});
