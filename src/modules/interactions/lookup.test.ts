import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ON_POSTGRES, startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';

interface MatchWire {
  customerId: string;
  accountNumber: string;
  displayName: string;
  vip: boolean;
  openCasesCount: number | null;
  openCases: { id: string; caseNumber: number; subject: string; isOpen: boolean }[];
  recentInteractions: { id: string; channel: string; notes: string | null; startedAt: string }[];
  matchedCase: { id: string; caseNumber: number; isOpen: boolean } | null;
}
interface LookupWire {
  result: 'found' | 'not_found' | 'multiple';
  matchedBy: string | null;
  matches: MatchWire[];
  drafts: (MatchWire & { draft: boolean })[];
}

describe('GET /api/v1/lookup', () => {
  let t: TestApp;
  let ivr: TestClient;
  let platform: TestClient;
  const ids: Record<string, string> = {};
  let adaCase: { id: string; caseNumber: number };
  let closedCase: { id: string; caseNumber: number };
  let privateCase: { id: string; caseNumber: number };
  let draftCase: { id: string; caseNumber: number };

  const customer = async (key: string, body: Record<string, unknown>) => {
    const res = await t.admin.post('/api/v1/customers', body);
    expect(res.statusCode, res.body).toBe(201);
    ids[key] = res.json().id;
    return res.json() as { id: string; accountNumber: string };
  };
  const kase = async (customerId: string, body: Record<string, unknown> = {}) => {
    const res = await t.admin.post('/api/v1/cases', { customerId, subject: 'Printer on fire', ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; caseNumber: number; version: number };
  };
  const lookup = async (query: string, as: TestClient = ivr): Promise<LookupWire> => {
    const res = await as.get(`/api/v1/lookup?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as LookupWire;
  };

  beforeAll(async () => {
    t = await startTestApp();
    ivr = await t.apiKey('agent', 'lookup');
    platform = await t.apiKey('agent');
    await customer('ada', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'Ada@Example.com',
      vip: true,
      phones: [{ type: 'mobile', number: '(415) 555-0100' }],
    });
    await customer('grace', { firstName: 'Grace', lastName: 'Hopper', phones: [{ number: '+1 212 555 0199' }] });
    await customer('alan', { firstName: 'Alan', lastName: 'Turing', phones: [{ number: '212-555-0199' }] });
    await customer('draft', { draft: true, phones: [{ number: '+1 646 555 0123' }], email: 'draft@example.com' });
    await customer('uk', { firstName: 'Tim', lastName: 'Berners-Lee', phones: [{ number: '+44 20 7946 0958' }] });
    adaCase = await kase(ids.ada, { subject: 'Broken laptop' });
    await kase(ids.ada, { subject: 'Refund' });
    closedCase = await kase(ids.ada, { subject: 'Old question', status: 'closed' });
    privateCase = await kase(ids.ada, { subject: 'Fraud check', visibility: 'private' });
    draftCase = await kase(ids.draft, { subject: 'On a draft' });
    for (let n = 0; n < 4; n++) {
      const res = await platform.post('/api/v1/interactions', {
        channel: 'phone',
        direction: 'inbound',
        from: '+14155550100',
        reference: `earlier-${n}`,
      });
      expect(res.statusCode, res.body).toBe(201);
      const r = await platform.patch(`/api/v1/interactions/${res.json().id}`, {
        notes: `call ${n}`,
        version: res.json().version,
      });
      expect(r.statusCode, r.body).toBe(200);
    }
  });
  afterAll(async () => t?.close());

  it('finds one customer by phone with the repeat-caller context', async () => {
    const r = await lookup('phone=4155550100');
    expect(r.result).toBe('found');
    expect(r.matchedBy).toBe('phone');
    expect(r.matches).toHaveLength(1);
    const m = r.matches[0];
    expect(m).toMatchObject({ customerId: ids.ada, displayName: 'Ada Lovelace', vip: true, matchedCase: null });
    expect(m.accountNumber).toMatch(/\S/);
    // Two public open cases (the closed one and, for an agent, the private one left out), newest first.
    expect(m.openCasesCount).toBe(2);
    expect(m.openCases.map((c) => c.subject)).toEqual(['Refund', 'Broken laptop']);
    // The last three interactions, newest first.
    expect(m.recentInteractions.map((i) => i.notes)).toEqual(['call 3', 'call 2', 'call 1']);
  });

  it('matches a phone number in any format, trunk and international prefixes included', async () => {
    for (const phone of [
      '(415) 555-0100',
      '+1 415-555-0100',
      '1-415-555-0100',
      '14155550100',
      '001 415 555 0100',
      '011 1 415 555 0100',
      '+1 (415) 555-0100 ext. 12',
      '555-0100',
    ]) {
      const r = await lookup(`phone=${encodeURIComponent(phone)}`);
      expect([r.result, r.matches.map((m) => m.customerId)], phone).toEqual(['found', [ids.ada]]);
    }
    for (const phone of ['+44 20 7946 0958', '0044 20 7946 0958', '+44 (0)20 7946 0958', '011 44 20 7946 0958']) {
      const r = await lookup(`phone=${encodeURIComponent(phone)}`);
      expect([r.result, r.matches.map((m) => m.customerId)], phone).toEqual(['found', [ids.uk]]);
    }
  });

  it('answers multiple and not_found so an IVR can branch', async () => {
    const multiple = await lookup('phone=%2B12125550199');
    expect(multiple.result).toBe('multiple');
    expect(multiple.matches.map((m) => m.displayName)).toEqual(['Grace Hopper', 'Alan Turing']);
    const none = await lookup('phone=%2B13125559999');
    expect(none).toEqual({ result: 'not_found', matchedBy: null, matches: [], drafts: [] });
    expect((await lookup('phone=anonymous')).result).toBe('not_found');
  });

  it('matches email case-insensitively and account numbers exactly', async () => {
    const byEmail = await lookup('email=ADA%40example.COM');
    expect([byEmail.result, byEmail.matchedBy, byEmail.matches[0].customerId]).toEqual(['found', 'email', ids.ada]);
    const acct = (await t.admin.get(`/api/v1/customers/${ids.grace}`)).json().accountNumber as string;
    const byAccount = await lookup(`accountNumber=${acct}`);
    expect([byAccount.result, byAccount.matches[0].customerId]).toEqual(['found', ids.grace]);
    expect((await lookup('email=nobody%40example.com')).result).toBe('not_found');
  });

  it('never matches drafts', async () => {
    expect((await lookup('phone=%2B16465550123')).result).toBe('not_found');
    expect((await lookup('email=draft%40example.com')).result).toBe('not_found');
    // … nor by the last digits of its number (nobody else's ends with them).
    expect((await lookup('phone=555-0123')).result).toBe('not_found');
    expect((await lookup(`caseNumber=${draftCase.caseNumber}`)).result).toBe('not_found');
    const acct = (await t.admin.get(`/api/v1/customers/${ids.draft}`)).json().accountNumber as string;
    expect((await lookup(`accountNumber=${acct}`)).result).toBe('not_found');
  });

  it('reports a matching draft in `drafts`, never as found: by exact number, email or account number', async () => {
    const acct = (await t.admin.get(`/api/v1/customers/${ids.draft}`)).json().accountNumber as string;
    for (const q of [
      'phone=%2B16465550123',
      'phone=(646)%20555-0123',
      'email=Draft%40example.com',
      `accountNumber=${acct}`,
    ]) {
      const r = await lookup(q);
      expect([r.result, r.matchedBy, r.matches.length], q).toEqual(['not_found', null, 0]);
      expect(
        r.drafts.map((d) => [d.customerId, d.draft]),
        q,
      ).toEqual([[ids.draft, true]]);
    }
    // Only exact keys: the last digits never suggest a draft; a known caller's answer carries no drafts.
    expect((await lookup('phone=555-0123')).drafts).toEqual([]);
    expect((await lookup('phone=4155550100')).drafts).toEqual([]);
    expect((await lookup('email=nobody%40example.com')).drafts).toEqual([]);

    // Reporting the call: not matched (no customer linked), the draft offered to the agent.
    const agent = await t.user('agent');
    const reported = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+16465550123',
      agentId: agent.userId,
    });
    expect(reported.statusCode, reported.body).toBe(201);
    expect(reported.json()).toMatchObject({ result: 'not_found', customerId: null, matches: [] });
    expect(reported.json().drafts.map((d: MatchWire) => d.customerId)).toEqual([ids.draft]);
  });

  it("a case number finds the case's customer with the case marked, and wins over the phone", async () => {
    const r = await lookup(`caseNumber=${closedCase.caseNumber}&phone=%2B12125550199`);
    expect(r.result).toBe('found');
    expect(r.matchedBy).toBe('caseNumber');
    expect(r.matches[0].customerId).toBe(ids.ada);
    expect(r.matches[0].matchedCase).toMatchObject({
      id: closedCase.id,
      caseNumber: closedCase.caseNumber,
      isOpen: false,
    });
    const hashed = await lookup(`caseNumber=%23${adaCase.caseNumber}`);
    expect(hashed.matches[0].matchedCase?.id).toBe(adaCase.id);
    // An unknown case number falls back to the next key.
    const fallback = await lookup('caseNumber=999999999&phone=%2B12125550199');
    expect([fallback.result, fallback.matchedBy]).toEqual(['multiple', 'phone']);
  });

  it('private cases only for those who may see them', async () => {
    const agentView = await lookup(`caseNumber=${privateCase.caseNumber}`);
    expect(agentView.result).toBe('not_found');
    const supervisorKey = await t.apiKey('supervisor', 'lookup');
    const r = await lookup(`caseNumber=${privateCase.caseNumber}`, supervisorKey);
    expect(r.matches[0].matchedCase?.id).toBe(privateCase.id);
    expect(r.matches[0].openCasesCount).toBe(3);
    // Without cases.view: customers only, no case details.
    const noCases = await t.user('agent', { privileges: ['customers.view'] });
    const plain = await lookup('phone=4155550100', noCases);
    expect(plain.matches[0]).toMatchObject({ customerId: ids.ada, openCasesCount: null, openCases: [] });
  });

  it('asks for a key, and refuses callers without customers.view', async () => {
    const res = await ivr.get('/api/v1/lookup');
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('phone');
    expect((await ivr.get('/api/v1/lookup?colour=blue')).statusCode).toBe(400);
    const noView = await t.user('agent', { privileges: ['tasks.view'] });
    expect((await noView.get('/api/v1/lookup?phone=4155550100')).statusCode).toBe(403);
    expect((await t.anonymous.get('/api/v1/lookup?phone=4155550100')).statusCode).toBe(401);
  });

  it('a lookup-only key can look up and do nothing else', async () => {
    expect((await ivr.get('/api/v1/lookup?phone=4155550100')).statusCode).toBe(200);
    const denied = [
      await ivr.get(`/api/v1/customers/${ids.ada}`),
      await ivr.get('/api/v1/customers?q=ada'),
      await ivr.post('/api/v1/interactions', { channel: 'phone', direction: 'inbound', from: '4155550100' }),
      await ivr.get(`/api/v1/customers/${ids.ada}/interactions`),
      await ivr.get(`/api/v1/cases/${adaCase.id}`),
      await ivr.post('/api/v1/customers', { firstName: 'Eve', lastName: 'Hacker' }),
      await ivr.get('/api/v1/tasks'),
    ];
    expect(denied.map((r) => r.statusCode)).toEqual(denied.map(() => 403));
    // The whole route table: only the lookup (and `me`) admit lookup-only keys.
    const open = t.ctx.routes.filter((r) => r.scopes.includes('lookup')).map((r) => `${r.method} ${r.url}`);
    expect(open.sort()).toEqual(['GET /api/v1/lookup', 'GET /api/v1/me']);
  });

  it('answers concurrent lookups (coalesced into one statement per view of cases, both tiers) each with its own matches', async () => {
    const queries = [
      'phone=4155550100', // Ada
      'phone=%2B12125550199', // Grace and Alan
      'phone=%2B16465550123', // a draft's number: never matches
      'phone=%2B12025550143', // nobody's
      'phone=(415)%20555-0100', // Ada again, in another format
      'phone=%2B442079460958', // Tim
      // By the last digits, in the same batch as the exact ones: Ada; Grace and Alan; the draft never.
      'phone=555-0100',
      'phone=555%200199',
      'phone=555-0123',
    ];
    const oneByOne: LookupWire[] = [];
    for (const q of queries) oneByOne.push(await lookup(q));
    const together = await Promise.all(queries.map((q) => lookup(q)));
    expect(together).toEqual(oneByOne);
    expect(together.map((r) => r.result)).toEqual([
      'found',
      'multiple',
      'not_found',
      'not_found',
      'found',
      'found',
      'found',
      'multiple',
      'not_found',
    ]);
    expect(together[6].matches.map((m) => m.customerId)).toEqual([ids.ada]);
    expect(together[7].matches.map((m) => m.displayName)).toEqual(['Grace Hopper', 'Alan Turing']);
    expect(together[1].matches.map((m) => m.displayName)).toEqual(['Grace Hopper', 'Alan Turing']); // by last name
    // Callers with different views of cases in the same turn: each sees only what it may.
    const [asIvr, asAdmin] = await Promise.all([lookup('phone=4155550100'), lookup('phone=4155550100', t.admin)]);
    expect(asIvr.matches[0].openCases.map((c) => c.id)).not.toContain(privateCase.id);
    expect(asAdmin.matches[0].openCases.map((c) => c.id)).toContain(privateCase.id);
  });

  it.runIf(ON_POSTGRES)('is one indexed prepared statement per key on PostgreSQL (EXPLAIN, generic plan)', async () => {
    await t.db.exec('ANALYZE');
    const { lookupMatches } = await import('../customers/screen-pop.js');
    const { phoneLookupKeys } = await import('../customers/phones.js');
    const opts = { limit: 10, cases: 'public', openCases: 5, interactions: 3, excludeInteractionId: null } as const;
    const plans: string[] = [];
    const names: (string | undefined)[] = [];
    const spy = {
      query: async <T>(sql: string, params?: readonly unknown[], o?: { name?: string }) => {
        names.push(o?.name);
        // The plan the server reuses: the prepared statement's generic plan (no values folded in). Tiny
        // tables: forbid sequential scans so the plan shows the index path a large table takes.
        // EXECUTE takes no bind parameters: the values go in as untyped literals.
        const literal = (v: unknown): string =>
          v === null || v === undefined
            ? 'NULL'
            : `'${(Array.isArray(v) ? `{${v.map((x) => `"${String(x)}"`).join(',')}}` : String(v)).replace(/'/g, "''")}'`;
        const args = (params ?? []).map(literal).join(', ');
        const rows = await t.db.transaction(async (tx) => {
          await tx.exec(`SET LOCAL enable_seqscan = off; SET LOCAL plan_cache_mode = force_generic_plan`);
          await tx.exec(`PREPARE lookup_plan AS ${sql}`);
          const plan = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE lookup_plan(${args})`);
          await tx.exec('DEALLOCATE lookup_plan');
          return plan;
        });
        plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
        return [] as T[];
      },
      exec: async () => undefined,
    };
    // A phone is one statement for both tiers (exact, else the last digits), for one number or a batch.
    await lookupMatches(spy, { by: 'phone', keys: phoneLookupKeys('4155550100', 'US') }, opts);
    await lookupMatches(spy, { by: 'email', email: 'ada@example.com' }, opts);
    await lookupMatches(spy, { by: 'caseNumber', caseNumber: adaCase.caseNumber }, opts);
    const { lookupMatchesByPhone } = await import('../customers/screen-pop.js');
    await lookupMatchesByPhone(
      spy,
      ['+14155550100', '02079460958'].map((n) => phoneLookupKeys(n, 'US')),
      opts,
    );
    expect(names).toEqual([
      'customers.lookup.phoneMany',
      'customers.lookup.email',
      'customers.lookup.caseNumber',
      'customers.lookup.phoneMany',
    ]);
    for (const plan of plans) {
      expect(plan).not.toMatch(/Seq Scan/);
      expect(plan).toMatch(/Index/);
    }
    // Both tiers are index scans: the exact number, then (only for numbers it did not answer) the
    // reversed digits' range and the stored short numbers, per number (a nested loop's bounds).
    expect(plans[0]).toMatch(/customer_phones_e164_idx/);
    expect(plans[0]).toMatch(/customer_phones_digits_rev_idx/);
    expect(plans[1]).toMatch(/uq__customers__email/);
    expect(plans[2]).toMatch(/uq__cases__case_number/);
    expect(plans.join('\n')).toMatch(/interactions_customer_idx/);
    // A caller's open cases come from the open-cases index (count: index only), not from every case they had.
    expect(plans.join('\n')).toMatch(/cases_customer_open_idx/);
  });

  it.runIf(ON_POSTGRES)('plans a list the same whatever its size, so the generic plan is reused', async () => {
    const { lookupMatchesByPhone } = await import('../customers/screen-pop.js');
    const { listByE164Many } = await import('../customers/search.js');
    const { phoneLookupKeys } = await import('../customers/phones.js');
    const opts = { limit: 10, cases: 'public', openCases: 5, interactions: 3, excludeInteractionId: null } as const;
    const captured: { sql: string; params: readonly unknown[] }[] = [];
    const spy = {
      query: async <T>(sql: string, params?: readonly unknown[]) => {
        captured.push({ sql, params: params ?? [] });
        return [] as T[];
      },
      exec: async () => undefined,
    };
    // Statements that take a list. With a bare `= ANY($n)` a custom plan sees the list's size and, for a
    // short list (a lone call, a small batch), costs less than the generic plan, which assumes 10 items:
    // PostgreSQL then plans every call (0.5–0.8 ms at a million customers, more than running it). The list
    // goes in through `(SELECT $n)`, whose value the planner does not look into: every plan costs the same.
    await lookupMatchesByPhone(spy, [phoneLookupKeys('4155550100', 'US')], opts);
    await listByE164Many(spy, ['+14155550100'], 51);
    const withList = (params: readonly unknown[], n: number) =>
      params.map((v) => (Array.isArray(v) ? Array.from({ length: n }, (_, i) => `${String(v[0])}${i}`) : v));
    const literal = (v: unknown): string =>
      v === null || v === undefined
        ? 'NULL'
        : `'${(Array.isArray(v) ? `{${v.map((x) => `"${String(x)}"`).join(',')}}` : String(v)).replace(/'/g, "''")}'`;
    // [0]: the phone lookup (a batch of numbers, both tiers); [1]: the customers list page.
    for (const { sql, params } of captured) {
      const costs = await t.db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL plan_cache_mode = force_custom_plan; PREPARE sized AS ${sql}`);
        const cost = async (n: number) => {
          const [row] = await tx.query<{ 'QUERY PLAN': [{ Plan: { 'Total Cost': number } }] }>(
            `EXPLAIN (FORMAT JSON) EXECUTE sized(${withList(params, n).map(literal).join(', ')})`,
          );
          return row['QUERY PLAN'][0].Plan['Total Cost'];
        };
        const result = [await cost(1), await cost(40)];
        await tx.exec('DEALLOCATE sized');
        return result;
      });
      expect(costs[0], sql.slice(0, 200)).toBe(costs[1]);
    }
  });
});

describe('lookup with a trunk-prefix region (DEFAULT_PHONE_REGION=GB)', () => {
  let t: TestApp;
  // The app starts in beforeAll, under the hook timeout: a test's own budget is for the test.
  beforeAll(async () => {
    t = await startTestApp({ env: { DEFAULT_PHONE_REGION: 'GB' } });
  });
  afterAll(async () => t?.close());

  it('matches national numbers with the trunk 0, and the 00 international prefix', async () => {
    const c = await t.admin.post('/api/v1/customers', {
      firstName: 'Tim',
      lastName: 'Berners-Lee',
      phones: [{ number: '020 7946 0958' }],
    });
    expect(c.statusCode, c.body).toBe(201);
    const ivr = await t.apiKey('agent', 'lookup');
    for (const phone of [
      '020 7946 0958',
      '02079460958',
      '+44 20 7946 0958',
      '0044 20 7946 0958',
      '+44 (0)20 7946 0958',
    ]) {
      const r = (await ivr.get(`/api/v1/lookup?phone=${encodeURIComponent(phone)}`)).json() as LookupWire;
      expect([r.result, r.matches[0]?.customerId], phone).toEqual(['found', c.json().id]);
    }
  });
});
