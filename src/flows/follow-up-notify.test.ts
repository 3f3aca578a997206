import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../test/helpers.js';
import { headerOf, startSink } from '../modules/email/email.test-helpers.js';

type Sink = Awaited<ReturnType<typeof startSink>>;

/** The message's text with quoted-printable soft line breaks taken out. */
const text = (raw: string) => raw.replace(/=\r?\n/g, '');

describe('the Notify option: a follow-up emailed to the addresses the agent lists', () => {
  let t: TestApp;
  let sink: Sink;
  let agent: TestClient;
  let colleague: TestClient;
  let kase: { id: string; caseNumber: number };

  beforeAll(async () => {
    sink = await startSink();
    t = await startTestApp({
      env: { SMTP_RELAY_URL: sink.url, MAIL_FROM: 'help@support.test', PUBLIC_URL: 'https://crm.example.test' },
    });
    agent = await t.user('agent');
    colleague = await t.user('agent', { email: 'colleague.notify@example.test' });
    const cust = (
      await t.admin.post('/api/v1/customers', { firstName: 'Rita', lastName: 'Notify', email: 'rita@customer.test' })
    ).json();
    kase = (await t.admin.post('/api/v1/cases', { customerId: cust.id, subject: 'Printer jams' })).json();
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });
  beforeEach(() => {
    sink.messages.length = 0;
  });

  const send = () => t.ctx.services.email.sendDue();
  const counts = async () => {
    const [f] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM case_follow_ups WHERE case_id = $1', [
      kase.id,
    ]);
    const [o] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM email_outbox');
    return { followUps: f.n, outbox: o.n };
  };

  it('a public follow-up goes to the customer, a contact and a colleague, one message each; it records whom', async () => {
    const res = await agent.post(`/api/v1/cases/${kase.id}/follow-ups`, {
      kind: 'note',
      visibility: 'public',
      body: 'A technician comes on Monday.',
      notify: ['rita@customer.test', 'boss@customer.test', 'colleague.notify@example.test', 'RITA@customer.test'],
    });
    expect(res.statusCode, res.body).toBe(201);
    const fu = res.json();
    expect(fu.notified).toEqual(['rita@customer.test', 'boss@customer.test', 'colleague.notify@example.test']);
    // Read back, in the timeline too.
    expect((await agent.get(`/api/v1/cases/${kase.id}/follow-ups/${fu.id}`)).json().notified).toEqual(fu.notified);
    const timeline = (await agent.get(`/api/v1/cases/${kase.id}/follow-ups`)).json().items;
    expect(timeline.find((x: { id: string }) => x.id === fu.id).notified).toHaveLength(3);

    expect(await send()).toBe(3);
    const byTo = new Map(sink.messages.map((m) => [m.to.join(), m]));
    expect([...byTo.keys()].sort()).toEqual(
      ['boss@customer.test', 'colleague.notify@example.test', 'rita@customer.test'].sort(),
    );
    const toRita = byTo.get('rita@customer.test')!;
    expect(headerOf(toRita.raw, 'Subject')).toBe(`Printer jams [#${kase.caseNumber}]`);
    expect(headerOf(toRita.raw, 'To')).toBe('rita@customer.test');
    expect(text(toRita.raw)).toContain('A technician comes on Monday.');
    // The console link goes to staff only.
    expect(text(toRita.raw)).not.toContain('crm.example.test');
    expect(text(byTo.get('colleague.notify@example.test')!.raw)).toContain(`https://crm.example.test/cases/${kase.id}`);
    const rows = await t.db.query<{ kind: string; follow_up_id: string }>(
      'SELECT kind, follow_up_id FROM email_outbox WHERE follow_up_id = $1',
      [fu.id],
    );
    expect(rows.map((r) => r.kind)).toEqual(['notification', 'notification', 'notification']);
  });

  it('an internal follow-up goes to staff only: a customer address is a 400 naming notify, and nothing is written', async () => {
    const before = await counts();
    const res = await agent.post(`/api/v1/cases/${kase.id}/follow-ups`, {
      kind: 'note',
      body: 'Customer is difficult.',
      notify: ['colleague.notify@example.test', 'rita@customer.test'],
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors[0].field).toBe('notify');
    expect(res.json().errors[0].message).toContain('rita@customer.test');
    expect(await counts()).toEqual(before);

    const ok = await agent.post(`/api/v1/cases/${kase.id}/follow-ups`, {
      kind: 'note',
      body: 'Can you take this one?',
      notify: ['Colleague.Notify@example.test'],
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ visibility: 'internal', notified: ['Colleague.Notify@example.test'] });
    expect(await send()).toBe(1);
    expect(sink.messages[0].to.map((a) => a.toLowerCase())).toEqual(['colleague.notify@example.test']);
    expect(headerOf(sink.messages[0].raw, 'Subject')).toBe(
      `Internal note on case ${kase.caseNumber}: Printer jams [#${kase.caseNumber}]`,
    );
    expect(text(sink.messages[0].raw)).toContain('do not forward it to the customer');
  });

  it('bad addresses and too many are a 400 naming notify; an empty list sends nothing', async () => {
    const before = await counts();
    const bad = await agent.post(`/api/v1/cases/${kase.id}/follow-ups`, {
      kind: 'note',
      visibility: 'public',
      body: 'x',
      notify: ['not an address'],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toMatch(/^notify/);
    const many = await agent.post(`/api/v1/cases/${kase.id}/follow-ups`, {
      kind: 'note',
      visibility: 'public',
      body: 'x',
      notify: Array.from({ length: 21 }, (_, i) => `p${i}@customer.test`),
    });
    expect(many.statusCode).toBe(400);
    expect(many.json().errors[0].field).toMatch(/^notify/);
    expect(await counts()).toEqual(before);

    const none = await agent.post(`/api/v1/cases/${kase.id}/follow-ups`, { kind: 'note', body: 'quiet', notify: [] });
    expect(none.statusCode, none.body).toBe(201);
    expect(none.json().notified).toEqual([]);
    expect(await send()).toBe(0);
    // Colleague is not mentioned or notified by the Notify option through the inbox: it is mail only.
    expect((await colleague.get('/api/v1/notifications')).json().items).toEqual([]);
  });

  it('a privacy erasure of the customer clears the addresses a follow-up was sent to', async () => {
    const cust = (
      await t.admin.post('/api/v1/customers', { firstName: 'Eve', lastName: 'Erased', email: 'eve@customer.test' })
    ).json();
    const k = (await t.admin.post('/api/v1/cases', { customerId: cust.id, subject: 'Forget me' })).json();
    const fu = await agent.post(`/api/v1/cases/${k.id}/follow-ups`, {
      kind: 'note',
      visibility: 'public',
      body: 'Done.',
      notify: ['eve@customer.test'],
    });
    expect(fu.json().notified).toEqual(['eve@customer.test']);
    const erased = await t.admin.post(`/api/v1/customers/${cust.id}/erase`, { reason: 'request 42' });
    expect(erased.statusCode, erased.body).toBe(200);
    const after = await t.admin.get(`/api/v1/cases/${k.id}/follow-ups/${fu.json().id}`);
    expect(after.json().notified).toEqual([]);
  });
});
