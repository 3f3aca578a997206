import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../test/helpers.js';
import { headerOf, startSink } from '../modules/email/email.test-helpers.js';

type Sink = Awaited<ReturnType<typeof startSink>>;

describe('notifications by email: the kinds each user chose, through the outbound path', () => {
  let t: TestApp;
  let sink: Sink;
  let alice: TestClient;
  let bob: TestClient;
  let customerId: string;

  beforeAll(async () => {
    sink = await startSink();
    t = await startTestApp({
      env: { SMTP_RELAY_URL: sink.url, MAIL_FROM: 'help@support.test', PUBLIC_URL: 'https://crm.example.test/' },
    });
    alice = await t.user('agent', { email: 'alice.notify@example.test' });
    bob = await t.user('agent', { email: 'bob.notify@example.test' });
    customerId = (await t.admin.post('/api/v1/customers', { firstName: 'Ada', lastName: 'Lovelace' })).json().id;
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });
  beforeEach(() => {
    sink.messages.length = 0;
  });

  const send = () => t.ctx.services.email.sendDue();
  const assign = (ownerId: string) =>
    t.admin.post('/api/v1/cases', { customerId, subject: 'Broken kettle', ownerId }).then((r) => {
      expect(r.statusCode, r.body).toBe(201);
      return r.json() as { id: string; caseNumber: number };
    });

  it('starts with none; a user sets their own list; unknown kinds are a 400 naming the field and change nothing', async () => {
    expect((await alice.get('/api/v1/notifications/email-preferences')).json()).toEqual({ emailKinds: [] });
    const set = await alice.put('/api/v1/notifications/email-preferences', {
      emailKinds: ['case.assigned', 'mention'],
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual({ emailKinds: ['case.assigned', 'mention'] });

    const bad = await alice.put('/api/v1/notifications/email-preferences', { emailKinds: ['mention', 'birthday'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().errors[0].field).toMatch(/^emailKinds/);
    const missing = await alice.put('/api/v1/notifications/email-preferences', {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].field).toMatch(/emailKinds/);
    const twice = await alice.put('/api/v1/notifications/email-preferences', { emailKinds: ['mention', 'mention'] });
    expect(twice.statusCode).toBe(400);
    // Each user's own: Bob still has none, Alice's list is unchanged.
    expect((await bob.get('/api/v1/notifications/email-preferences')).json()).toEqual({ emailKinds: [] });
    expect((await alice.get('/api/v1/notifications/email-preferences')).json().emailKinds).toEqual([
      'case.assigned',
      'mention',
    ]);
  });

  it('a chosen kind is emailed (kind notification, link to the console); a kind not chosen is not', async () => {
    const kase = await assign(alice.userId!);
    const other = await assign(bob.userId!); // Bob chose nothing
    expect(await send()).toBe(1);
    expect(sink.messages).toHaveLength(1);
    const m = sink.messages[0];
    expect(m.to).toEqual(['alice.notify@example.test']);
    expect(headerOf(m.raw, 'Subject')).toBe(`Case ${kase.caseNumber} assigned to you`);
    expect(headerOf(m.raw, 'Auto-Submitted')).toBe('auto-generated');
    // Quoted-printable soft line breaks taken out.
    expect(m.raw.replace(/=\r?\n/g, '')).toContain(`Open it in Switchboard: https://crm.example.test/cases/${kase.id}`);
    const rows = await t.db.query<{ kind: string; to_addresses: string[] }>(
      `SELECT kind, to_addresses FROM email_outbox WHERE kind = 'notification'`,
    );
    expect(rows).toEqual([{ kind: 'notification', to_addresses: ['alice.notify@example.test'] }]);
    // Both are in their inboxes whatever the choice.
    expect((await bob.get('/api/v1/notifications')).json().items[0].recordId).toBe(other.id);

    // A kind Alice did not choose (case.unassigned) waits in the inbox only.
    sink.messages.length = 0;
    await bob.put('/api/v1/notifications/email-preferences', { emailKinds: ['case.assigned'] });
    const got = (await t.admin.get(`/api/v1/cases/${kase.id}`)).json();
    const moved = await t.admin.patch(`/api/v1/cases/${kase.id}`, { ownerId: bob.userId, version: got.version });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(await send()).toBe(1);
    expect(sink.messages.map((x) => x.to)).toEqual([['bob.notify@example.test']]);
    expect((await alice.get('/api/v1/notifications')).json().items[0].kind).toBe('case.unassigned');

    // Choosing none again stops the mail.
    await bob.put('/api/v1/notifications/email-preferences', { emailKinds: [] });
    await assign(bob.userId!);
    expect(await send()).toBe(0);
  });
});
