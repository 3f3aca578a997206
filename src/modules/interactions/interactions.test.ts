import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitTestEvent } from '../../../test/events.js';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { baseUrl, json, SseClient } from '../../../test/sse-client.js';

interface InteractionWire {
  id: string;
  reference: string | null;
  customerId: string | null;
  caseId: string | null;
  agentId: string | null;
  result: 'found' | 'not_found' | 'multiple';
  matchedBy: string | null;
  state: string;
  version: number;
  notes: string | null;
  matches: { customerId: string; displayName: string; matchedCase: { id: string } | null }[];
}

describe('interactions: report, pop, associate, create-and-associate, log', () => {
  let t: TestApp;
  let url: string;
  let platform: TestClient;
  let agent: TestClient;
  let other: TestClient;
  let a: SseClient;
  let b: SseClient;
  const ids: Record<string, string> = {};
  let adaCase: { id: string; caseNumber: number };
  let markers = 0;

  const customer = async (key: string, body: Record<string, unknown>) => {
    const res = await t.admin.post('/api/v1/customers', body);
    expect(res.statusCode, res.body).toBe(201);
    ids[key] = res.json().id;
  };
  const report = async (body: Record<string, unknown>, expected = 201): Promise<InteractionWire> => {
    const res = await platform.post('/api/v1/interactions', { channel: 'phone', direction: 'inbound', ...body });
    expect(res.statusCode, res.body).toBe(expected);
    return res.json() as InteractionWire;
  };
  /** Every event emitted before the marker has reached the connected clients once they see the marker. */
  const settle = async (...cs: SseClient[]) => {
    const name = `m${++markers}`;
    await emitTestEvent(t.db, { type: 'test.marker', payload: { name } });
    for (const c of cs) await c.waitFor((e) => e.event === 'test.marker' && json(e).name === name);
  };
  const pops = (c: SseClient) => c.of('screen.pop').map((e) => json<{ interaction: InteractionWire }>(e));

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `${baseUrl(t.app.server.address())}/api/v1/events`;
    platform = await t.apiKey('agent');
    agent = await t.user('agent');
    other = await t.user('agent');
    await customer('ada', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      phones: [{ number: '(415) 555-0100' }],
    });
    await customer('grace', { firstName: 'Grace', lastName: 'Hopper', phones: [{ number: '+1 212 555 0199' }] });
    await customer('alan', {
      firstName: 'Alan',
      lastName: 'Turing',
      phones: [{ number: '212-555-0199' }],
      primaryAddress: { postalCode: 'SW1A 1AA' },
    });
    const c = await t.admin.post('/api/v1/cases', { customerId: ids.ada, subject: 'Broken laptop' });
    adaCase = c.json();
    a = await SseClient.open(url, { headers: agent.headers });
    b = await SseClient.open(url, { headers: other.headers });
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    await t?.close();
  });

  it('matches an inbound call by phone, logs it against the customer and pops it to the named agent only', async () => {
    const i = await report({ from: '+1 (415) 555-0100', to: '+1 800 555 0000', agentId: agent.userId });
    expect(i).toMatchObject({
      result: 'found',
      matchedBy: 'phone',
      customerId: ids.ada,
      caseId: null,
      state: 'active',
    });
    expect(i.matches.map((m) => m.customerId)).toEqual([ids.ada]);
    const pop = await a.waitFor((e) => e.event === 'screen.pop' && json(e).recordId === i.id);
    const data = json<{ interaction: InteractionWire; result: string; matches: { customerId: string }[] }>(pop);
    expect(data.result).toBe('found');
    expect(data.interaction).toMatchObject({ id: i.id, customerId: ids.ada, agentId: agent.userId });
    expect(data.matches.map((m) => m.customerId)).toEqual([ids.ada]);
    await settle(a, b);
    expect(pops(b)).toEqual([]);
  });

  it('pops by the agent email too, and refuses an unknown agent', async () => {
    const email = (await agent.get('/api/v1/me')).json().email as string;
    const i = await report({ from: '4155550100', agentId: email.toUpperCase() });
    expect(i.agentId).toBe(agent.userId);
    await a.waitFor((e) => e.event === 'screen.pop' && json(e).recordId === i.id);
    const bad = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '4155550100',
      agentId: '00000000-0000-4000-8000-000000000000',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('agentId');
  });

  it('a case number wins over the phone match', async () => {
    const i = await report({ from: '+12125550199', caseNumber: `#${adaCase.caseNumber}`, agentId: agent.userId });
    expect(i).toMatchObject({ result: 'found', matchedBy: 'caseNumber', customerId: ids.ada, caseId: adaCase.id });
    expect(i.matches[0].matchedCase?.id).toBe(adaCase.id);
  });

  it('matches emails and chats; outbound interactions match the number called', async () => {
    const mail = await report({ channel: 'email', from: 'ADA@example.com', to: 'support@example.com' });
    expect([mail.result, mail.customerId]).toEqual(['found', ids.ada]);
    const chat = await report({ channel: 'chat', from: 'ada@example.com' });
    expect(chat.customerId).toBe(ids.ada);
    const handle = await report({ channel: 'chat', from: 'visitor-8812' });
    expect(handle.result).toBe('not_found');
    const out = await report({ direction: 'outbound', from: '+18005550000', to: 'sip:+14155550100@pbx.example' });
    expect([out.result, out.customerId]).toEqual(['found', ids.ada]);
  });

  it('the same platform reference twice is one interaction (retries and concurrent duplicates)', async () => {
    const first = await report({ from: '4155550100', reference: 'call-42', agentId: agent.userId });
    const again = await report({ from: '4155550100', reference: 'call-42', agentId: agent.userId }, 200);
    expect(again.id).toBe(first.id);
    const racing = await Promise.all(
      Array.from({ length: 5 }, () =>
        platform.post('/api/v1/interactions', {
          channel: 'phone',
          direction: 'inbound',
          from: '4155550100',
          reference: 'call-43',
          agentId: agent.userId,
        }),
      ),
    );
    expect(racing.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(racing.map((r) => r.json().id)).size).toBe(1);
    await settle(a);
    // One pop per interaction, however often it was reported.
    expect(pops(a).filter((p) => p.interaction.reference === 'call-42')).toHaveLength(1);
    expect(pops(a).filter((p) => p.interaction.reference === 'call-43')).toHaveLength(1);
    const log = (await agent.get(`/api/v1/customers/${ids.ada}/interactions?limit=200`)).json().items as {
      reference: string | null;
    }[];
    expect(log.filter((x) => x.reference === 'call-43')).toHaveLength(1);
  });

  it('several matches: the pop offers them, the agent searches and associates', async () => {
    const i = await report({ from: '+1 212 555 0199', agentId: agent.userId, reference: 'multi-1' });
    expect(i.result).toBe('multiple');
    expect(i.customerId).toBeNull();
    expect(i.matches.map((m) => m.displayName)).toEqual(['Grace Hopper', 'Alan Turing']);
    const pop = await a.waitFor((e) => e.event === 'screen.pop' && json(e).recordId === i.id);
    expect(json<{ result: string }>(pop).result).toBe('multiple');
    // GET answers the candidates too (a console that reloads).
    const got = (await agent.get(`/api/v1/interactions/${i.id}`)).json() as InteractionWire;
    expect(got.matches.map((m) => m.customerId).sort()).toEqual([ids.alan, ids.grace].sort());

    // The caller gives a postal code: the manual search finds Alan.
    const search = await agent.get('/api/v1/customers?postalCode=sw1a1aa');
    expect(search.statusCode, search.body).toBe(200);
    const found = search.json().items as { id: string }[];
    expect(found.map((c) => c.id)).toEqual([ids.alan]);
    const res = await agent.post(`/api/v1/interactions/${i.id}/associate`, { customerId: found[0].id });
    expect(res.statusCode, res.body).toBe(200);
    const linked = res.json() as InteractionWire;
    expect(linked).toMatchObject({ customerId: ids.alan, result: 'multiple', version: i.version + 1 });
    expect(linked.matches.map((m) => m.customerId)).toEqual([ids.alan]);
    await a.waitFor((e) => e.event === 'interaction.updated' && json(e).recordId === i.id);
    const history = (await agent.get(`/api/v1/interactions/${i.id}/history`)).json().items as {
      action: string;
      changes: { field: string; from: unknown; to: unknown }[];
    }[];
    expect(history[0].action).toBe('associate');
    expect(history[0].changes).toContainEqual({ field: 'customerId', from: null, to: ids.alan });
    const alanLog = (await agent.get(`/api/v1/customers/${ids.alan}/interactions`)).json().items as { id: string }[];
    expect(alanLog.map((x) => x.id)).toEqual([i.id]);
  });

  it('associate checks the customer, the case and the version', async () => {
    const i = await report({ from: '+13125550000' });
    expect(i.result).toBe('not_found');
    const path = `/api/v1/interactions/${i.id}/associate`;
    const noCustomer = await agent.post(path, { customerId: '00000000-0000-4000-8000-000000000000' });
    expect([noCustomer.statusCode, noCustomer.json().errors[0].field]).toEqual([400, 'customerId']);
    const wrongCase = await agent.post(path, { customerId: ids.grace, caseId: adaCase.id });
    expect([wrongCase.statusCode, wrongCase.json().errors[0].field]).toEqual([400, 'caseId']);
    const stale = await agent.post(path, { customerId: ids.ada, version: i.version + 5 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().current.id).toBe(i.id);
    const ok = await agent.post(path, { customerId: ids.ada, caseId: adaCase.id, version: i.version });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ customerId: ids.ada, caseId: adaCase.id });
    expect(ok.json().matches[0].matchedCase.id).toBe(adaCase.id);
    expect((await agent.post('/api/v1/interactions/nope/associate', { customerId: ids.ada })).statusCode).toBe(404);
  });

  it('no match: creates the customer prefilled from the interaction and associates it in one step', async () => {
    const i = await report({ from: '+1 (646) 555-0142', agentId: agent.userId });
    expect(i.result).toBe('not_found');
    const res = await agent.post(`/api/v1/interactions/${i.id}/customer`, {
      firstName: 'Katherine',
      lastName: 'Johnson',
      company: 'NASA',
    });
    expect(res.statusCode, res.body).toBe(201);
    const { customer, interaction } = res.json() as {
      customer: { id: string; phones: { number: string; e164: string }[]; company: string };
      interaction: InteractionWire;
    };
    expect(customer.phones.map((p) => p.e164)).toEqual(['+16465550142']);
    expect(customer.company).toBe('NASA');
    expect(interaction.customerId).toBe(customer.id);
    expect(interaction.matches.map((m) => m.displayName)).toEqual(['Katherine Johnson']);
    // The next call from that number finds her.
    const next = await report({ from: '646-555-0142' });
    expect(next.customerId).toBe(customer.id);
    // Both histories were written.
    const ch = (await agent.get(`/api/v1/customers/${customer.id}/history`)).json().items as { action: string }[];
    expect(ch.map((h) => h.action)).toEqual(['create']);
    // Already associated: refused.
    const twice = await agent.post(`/api/v1/interactions/${i.id}/customer`, { firstName: 'K', lastName: 'J' });
    expect([twice.statusCode, twice.json().errors[0].field]).toEqual([409, 'customerId']);
  });

  it('create-and-associate is all or nothing, and prefills email addresses', async () => {
    const mail = await report({ channel: 'email', from: 'new.person@example.org', to: 'support@example.com' });
    // Invalid (no names, not a draft): nothing is written.
    const bad = await agent.post(`/api/v1/interactions/${mail.id}/customer`, {});
    expect(bad.statusCode).toBe(400);
    expect((await agent.get(`/api/v1/interactions/${mail.id}`)).json().customerId).toBeNull();
    // A draft holds this address (drafts never match): the new customer's email clashes, 409, nothing written.
    await customer('draftHolder', { draft: true, email: 'held@example.org' });
    const held = await report({ channel: 'email', from: 'held@example.org' });
    expect(held.result).toBe('not_found');
    const clash = await agent.post(`/api/v1/interactions/${held.id}/customer`, {
      firstName: 'Held',
      lastName: 'Twice',
    });
    expect([clash.statusCode, clash.json().errors[0].field]).toEqual([409, 'email']);
    expect((await agent.get(`/api/v1/interactions/${held.id}`)).json().customerId).toBeNull();
    expect((await agent.get('/api/v1/customers?q=Twice')).json().items).toEqual([]);
    const draft = await agent.post(`/api/v1/interactions/${mail.id}/customer`, { draft: true });
    expect(draft.statusCode, draft.body).toBe(201);
    expect(draft.json().customer).toMatchObject({ email: 'new.person@example.org', draft: true });
    expect(draft.json().interaction.customerId).toBe(draft.json().customer.id);
    const noCreate = await t.user('agent', { privileges: ['customers.view'] });
    const other2 = await report({ from: '+1 646 555 0199' });
    const denied = await noCreate.post(`/api/v1/interactions/${other2.id}/customer`, { firstName: 'A', lastName: 'B' });
    expect(denied.statusCode).toBe(403);
  });

  it("lists a customer's interactions newest first with keyset pagination", async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
      const res = await agent.get(`/api/v1/customers/${ids.ada}/interactions${q}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { items: { id: string; startedAt: string }[]; nextCursor: string | null };
      all.push(...page.items.map((x) => x.startedAt + ' ' + x.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort().reverse()).toEqual(all);
    expect((await agent.get('/api/v1/customers/00000000-0000-4000-8000-000000000000/interactions')).statusCode).toBe(
      404,
    );
    expect((await agent.get(`/api/v1/customers/${ids.ada}/interactions?cursor=bogus`)).statusCode).toBe(400);
    expect((await agent.get('/api/v1/interactions/not-an-id')).statusCode).toBe(404);
  });

  it('validates what the platform sends', async () => {
    const cases = [
      { channel: 'fax', direction: 'inbound' },
      { channel: 'phone', direction: 'sideways' },
      { channel: 'phone', direction: 'inbound', reference: '' },
      { channel: 'phone', direction: 'inbound', startedAt: '2999-01-01T00:00:00Z' },
      { channel: 'phone', direction: 'inbound', extra: 1 },
    ];
    for (const body of cases) {
      const res = await platform.post('/api/v1/interactions', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
  });
});
