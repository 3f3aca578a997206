import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { makeCase, makeCustomer, walk, type CaseJson } from './fixtures.test-helpers.js';

/** Filters and pagination: every list returns exactly the matching cases, each once, in order. */
describe('case lists (K4)', () => {
  let t: TestApp;
  let sup: TestClient;
  let owners: (string | null)[];
  let customers: string[];
  let all: CaseJson[];
  let cutoff: CaseJson;
  let updatedMark: string;
  const WORDS = ['printer jam', 'invoice wrong', 'password reset', 'printers offline', 'refund request'];

  beforeAll(async () => {
    t = await startTestApp();
    sup = await t.user('supervisor');
    const a1 = await t.user('agent');
    const a2 = await t.user('agent');
    owners = [a1.userId, a2.userId, null];
    customers = [await makeCustomer(t, 'One'), await makeCustomer(t, 'Two')];
    // An admin-added intermediate status that counts as open.
    const settings = (await t.admin.get('/api/v1/case-settings')).json();
    const res = await t.admin.put('/api/v1/case-settings', {
      statuses: [
        { key: 'open', label: 'Open', isOpen: true },
        { key: 'waiting', label: 'Waiting for customer', isOpen: true },
        { key: 'closed', label: 'Closed', isOpen: false },
      ],
      version: settings.version,
    });
    expect(res.statusCode, res.body).toBe(200);
    const statuses = ['open', 'waiting', 'closed'];
    const priorities = ['low', 'normal', 'high', 'urgent'];
    const severities = ['minor', 'major', 'critical'];
    all = [];
    for (let i = 0; i < 36; i++) {
      const c = await makeCase(sup, customers[i % 2], {
        subject: `${WORDS[i % WORDS.length]} #${i}`,
        description: i % 4 === 0 ? 'the printer again' : 'nothing special',
        priority: priorities[i % 4],
        severity: severities[i % 3],
        visibility: i % 5 === 0 ? 'private' : 'public',
        ownerId: owners[i % 3],
      });
      const status = statuses[i % 3];
      all.push(status === 'open' ? c : (await sup.patch(`/api/v1/cases/${c.id}`, { status, version: 1 })).json());
      if (i === 17) cutoff = all[i];
    }
    // Touch a few cases late, for the updated range.
    for (const i of [1, 2, 3]) {
      const c = all[i];
      const res = await sup.patch(`/api/v1/cases/${c.id}`, { description: 'touched', version: c.version });
      all[i] = res.json();
    }
    updatedMark = all[1].updatedAt;
  });
  afterAll(async () => t?.close());

  const idsOf = (cs: CaseJson[]) => cs.map((c) => c.id);
  const newestFirst = (cs: CaseJson[]) =>
    // Created one after another: within one millisecond the case number gives the (microsecond) order.
    [...cs].sort((a, b) => b.openedAt.localeCompare(a.openedAt) || b.caseNumber - a.caseNumber);

  async function expectExactly(url: string, expected: CaseJson[], client = sup) {
    for (const limit of [1, 5, 200]) {
      const got = await walk<CaseJson>(client, url, limit);
      expect(idsOf(got), `${url} limit=${limit}`).toEqual(idsOf(newestFirst(expected)));
    }
  }

  it('filters one at a time and combined', async () => {
    const [a1] = owners;
    const checks: [string, (c: CaseJson) => boolean][] = [
      ['', () => true],
      ['status=open', (c) => c.isOpen],
      ['status=closed', (c) => !c.isOpen],
      ['status=waiting', (c) => c.status === 'waiting'],
      ['status=waiting,closed', (c) => c.status !== 'open'],
      ['priority=urgent', (c) => c.priority === 'urgent'],
      ['priority=low,high', (c) => c.priority === 'low' || c.priority === 'high'],
      ['severity=critical', (c) => c.severity === 'critical'],
      [`ownerId=${a1}`, (c) => c.ownerId === a1],
      ['ownerId=none', (c) => c.ownerId === null],
      [`customerId=${customers[1]}`, (c) => c.customerId === customers[1]],
      ['visibility=private', (c) => c.visibility === 'private'],
      ['q=printer', (c) => /printer/.test(c.subject) || /printer/.test(c.description)],
      ['q=password%20reset', (c) => c.subject.startsWith('password reset')],
      [`createdFrom=${encodeURIComponent(cutoff.openedAt)}`, (c) => c.openedAt >= cutoff.openedAt],
      [`createdTo=${encodeURIComponent(cutoff.openedAt)}`, (c) => c.openedAt < cutoff.openedAt],
      [`updatedFrom=${encodeURIComponent(updatedMark)}`, (c) => c.updatedAt >= updatedMark],
      [
        `status=open&priority=normal,urgent&customerId=${customers[1]}`,
        (c) => c.isOpen && ['normal', 'urgent'].includes(c.priority) && c.customerId === customers[1],
      ],
      [
        `ownerId=${a1}&status=open&q=printer`,
        (c) => c.ownerId === a1 && c.isOpen && /printer/.test(c.subject + c.description),
      ],
    ];
    for (const [query, match] of checks) {
      const expected = all.filter(match);
      if (query !== '') expect(expected.length, query).toBeLessThan(all.length);
      await expectExactly(`/api/v1/cases?${query}`, expected);
    }
  });

  it('"my open cases" and private cases for a user without viewPrivate', async () => {
    const a1 = owners[0]!;
    const agent = await t.user('agent');
    await expectExactly(
      '/api/v1/cases?status=open',
      all.filter((c) => c.isOpen && c.visibility === 'public'),
      agent,
    );
    // A fresh agent owns nothing.
    expect((await agent.get('/api/v1/cases?ownerId=me&status=open')).json().items).toEqual([]);
    expect(all.filter((c) => c.ownerId === a1 && c.isOpen).length).toBeGreaterThan(3);
  });

  it('sorts by opened, updated and case number, both ways, without skipping or repeating', async () => {
    const byNumber = [...all].sort((a, b) => a.caseNumber - b.caseNumber);
    for (const limit of [1, 4]) {
      const asc = await walk<CaseJson>(sup, '/api/v1/cases?sort=caseNumber', limit);
      expect(idsOf(asc)).toEqual(idsOf(byNumber));
      const desc = await walk<CaseJson>(sup, '/api/v1/cases?sort=-caseNumber', limit);
      expect(idsOf(desc)).toEqual(idsOf(byNumber).reverse());
      const opened = await walk<CaseJson>(sup, '/api/v1/cases?sort=openedAt', limit);
      expect(idsOf(opened)).toEqual(idsOf(newestFirst(all)).reverse());
      const updated = await walk<CaseJson>(sup, '/api/v1/cases?sort=-updatedAt', limit);
      expect(new Set(idsOf(updated)).size).toBe(all.length);
      expect(updated.slice(0, 3).map((c) => c.description)).toEqual(['touched', 'touched', 'touched']);
    }
  });

  it('refuses foreign or tampered cursors and bad filters with 400', async () => {
    const page = (await sup.get('/api/v1/cases?limit=2')).json();
    expect((await sup.get(`/api/v1/cases?sort=caseNumber&cursor=${page.nextCursor}`)).statusCode).toBe(400);
    expect((await sup.get('/api/v1/cases?cursor=garbage')).statusCode).toBe(400);
    for (const q of ['ownerId=someone', 'createdFrom=yesterday', 'limit=500', 'sort=subject', 'visibility=secret']) {
      const res = await sup.get(`/api/v1/cases?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().errors.length, q).toBeGreaterThan(0);
    }
    expect((await sup.get('/api/v1/cases?customerId=not-a-uuid')).json().items).toEqual([]);
  });

  it('filters on custom fields (cf.*) and searches the searchable ones with q', async () => {
    for (const body of [
      { objectType: 'case', key: 'product', label: 'Product', type: 'text', filterable: true, searchable: true },
      { objectType: 'followUp', key: 'minutes', label: 'Minutes', type: 'number' },
    ]) {
      const res = await t.admin.post('/api/v1/custom-fields', body);
      expect(res.statusCode, res.body).toBe(201);
    }
    const cust = customers[0];
    const a = await makeCase(sup, cust, { subject: 'Widget trouble', customFields: { product: 'Zorblax 3000' } });
    const b = await makeCase(sup, cust, { subject: 'Other trouble', customFields: { product: 'Quux' } });
    const bad = await sup.post('/api/v1/cases', { customerId: cust, subject: 'x', customFields: { product: 7 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('customFields.product');
    const ids = async (url: string) => ((await sup.get(url)).json().items as CaseJson[]).map((c) => c.id);
    expect(await ids('/api/v1/cases?cf.product=Quux')).toEqual([b.id]);
    expect(await ids('/api/v1/cases?q=zorblax')).toEqual([a.id]);
    expect((await sup.get('/api/v1/cases?cf.nope=1')).statusCode).toBe(400);
    const patched = await sup.patch(`/api/v1/cases/${a.id}`, { customFields: { product: 'Quux' }, version: 1 });
    expect(patched.json().customFields).toEqual({ product: 'Quux' });
    expect((await ids('/api/v1/cases?cf.product=Quux')).sort()).toEqual([a.id, b.id].sort());
    const fu = await sup.post(`/api/v1/cases/${a.id}/follow-ups`, {
      kind: 'call',
      body: 'x',
      customFields: { minutes: 12 },
    });
    expect(fu.statusCode, fu.body).toBe(201);
    expect(fu.json().customFields).toEqual({ minutes: 12 });
    const badFu = await sup.post(`/api/v1/cases/${a.id}/follow-ups`, {
      kind: 'call',
      body: 'x',
      customFields: { minutes: 'x' },
    });
    expect(badFu.statusCode).toBe(400);
    all.push(...[(await sup.get(`/api/v1/cases/${a.id}`)).json(), b]);
  });

  describe('case settings', () => {
    it('any signed-in user reads them; only an administrator changes them', async () => {
      const agent = await t.user('agent');
      const res = await agent.get('/api/v1/case-settings');
      expect(res.statusCode).toBe(200);
      const s = res.json();
      expect(s.statuses.map((x: { key: string }) => x.key)).toEqual(['open', 'waiting', 'closed']);
      expect(s.priorities.map((x: { key: string }) => x.key)).toEqual(['low', 'normal', 'high', 'urgent']);
      expect(s.priorities.find((x: { isDefault: boolean }) => x.isDefault).key).toBe('normal');
      expect(s.severities.map((x: { key: string }) => x.key)).toEqual(['minor', 'major', 'critical']);
      expect((await agent.put('/api/v1/case-settings', { reopen: { policy: 'never' } })).statusCode).toBe(403);
    });

    it("holds the New case form's default visibility, versioned and audited", async () => {
      const s = (await t.admin.get('/api/v1/case-settings')).json();
      expect(s.defaultVisibility).toBe('private');
      const bad = await t.admin.put('/api/v1/case-settings', { defaultVisibility: 'secret', version: s.version });
      expect(bad.statusCode).toBe(400);
      expect(JSON.stringify(bad.json().errors)).toContain('defaultVisibility');
      const res = await t.admin.put('/api/v1/case-settings', { defaultVisibility: 'public', version: s.version });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ defaultVisibility: 'public', version: s.version + 1 });
      expect((await t.admin.get('/api/v1/case-settings')).json().defaultVisibility).toBe('public');
      const stale = await t.admin.put('/api/v1/case-settings', { defaultVisibility: 'private', version: s.version });
      expect(stale.statusCode).toBe(409);
      const audit = await t.db.query<{ details: { changes: { field: string; from: unknown; to: unknown }[] } }>(
        `SELECT details FROM audit_log WHERE action = 'settings.changed' AND target_id = 'cases' ORDER BY id DESC LIMIT 1`,
      );
      expect(audit[0].details.changes).toContainEqual(
        expect.objectContaining({ field: 'defaultVisibility', from: 'private', to: 'public' }),
      );
      // Back to what the other tests expect.
      const back = await t.admin.put('/api/v1/case-settings', { defaultVisibility: 'private', version: s.version + 1 });
      expect(back.statusCode).toBe(200);
    });

    it('keeps keys in use (retire instead), moves cases with a status that changes category', async () => {
      const s = (await t.admin.get('/api/v1/case-settings')).json();
      const statuses = [
        { key: 'open', label: 'Open', isOpen: true },
        { key: 'closed', label: 'Closed', isOpen: false },
      ];
      const inUse = await t.admin.put('/api/v1/case-settings', { statuses, version: s.version });
      expect(inUse.statusCode).toBe(409);
      expect(inUse.json().errors[0].field).toBe('statuses');
      const stale = await t.admin.put('/api/v1/case-settings', { reopen: { policy: 'never' }, version: s.version - 1 });
      expect(stale.statusCode).toBe(409);
      for (const bad of [
        {
          statuses: [
            { key: 'open', label: 'Open', isOpen: true },
            { key: 'done', label: 'Done', isOpen: false },
          ],
        },
        { priorities: [{ key: 'a', label: 'A', isDefault: true, retired: true }] },
        { priorities: [{ key: 'Bad Key', label: 'x' }] },
      ]) {
        expect((await t.admin.put('/api/v1/case-settings', bad)).statusCode, JSON.stringify(bad)).toBe(400);
      }

      // "waiting" now counts as closed, then is retired: existing cases keep it, new writes cannot use it.
      const waiting = all.filter((c) => c.status === 'waiting');
      const res = await t.admin.put('/api/v1/case-settings', {
        statuses: [
          { key: 'open', label: 'Open', isOpen: true },
          { key: 'closed', label: 'Closed', isOpen: false },
          { key: 'waiting', label: 'Waiting', isOpen: false, retired: true },
        ],
        priorities: [
          { key: 'urgent', label: 'Urgent' },
          { key: 'high', label: 'High', isDefault: true },
          { key: 'normal', label: 'Normal' },
          { key: 'low', label: 'Low', retired: true },
        ],
        version: s.version,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().version).toBe(s.version + 1);
      const closedNow = (await walk<CaseJson>(sup, '/api/v1/cases?status=closed', 200)).map((c) => c.id);
      for (const c of waiting) expect(closedNow).toContain(c.id);
      const created = await makeCase(sup, customers[0]);
      expect(created.priority).toBe('high');
      expect(
        (await sup.post('/api/v1/cases', { customerId: customers[0], subject: 'x', priority: 'low' })).statusCode,
      ).toBe(400);
      expect((await sup.patch(`/api/v1/cases/${created.id}`, { status: 'waiting', version: 1 })).statusCode).toBe(400);
      const history = await t.db.query<{ changes: { field: string }[] }>(
        `SELECT changes FROM history WHERE record_type = 'caseSettings' ORDER BY id DESC LIMIT 1`,
      );
      expect(history[0].changes.map((c) => c.field)).toContain('statuses.waiting.isOpen');
    });
  });
});
