import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { mime, postInbound, uniqueId } from '../email/email.test-helpers.js';
import { customerWithAccess, PortalClient } from './portal.test-helpers.js';

interface Ids {
  customerId: string;
  publicCase: string;
  privateCase: string;
  attachment: string;
  publicFollowUp: string;
  internalFollowUp: string;
}

/**
 * S2: a customer sees only their own public cases and public follow-ups.
 * Every portal route is called with other customers' ids, private ids and
 * random ids, with staff credentials and with none.
 */
describe('Support Center isolation', () => {
  let t: TestApp;
  let key: TestClient;
  let alice: PortalClient;
  let bob: PortalClient;
  const ids: Record<'alice' | 'bob', Ids> = {} as never;

  /** A customer with a public case (an email with an attachment, a public and an internal note) and a private case. */
  const setUp = async (who: 'alice' | 'bob') => {
    const email = `${who}@iso.test`;
    const c = await customerWithAccess(t, { firstName: who, lastName: 'Iso', email, password: `${who} password 1` });
    const raw = mime(
      {
        From: `${who} Iso <${email}>`,
        To: 'support@support.test',
        Subject: `${who}'s printer`,
        'Message-ID': `<${uniqueId(who)}>`,
        'MIME-Version': '1.0',
        'Content-Type': 'multipart/mixed; boundary="b"',
      },
      [
        '--b',
        'Content-Type: text/plain',
        '',
        `${who} writes`,
        '--b',
        `Content-Type: text/plain; name="${who}.txt"`,
        `Content-Disposition: attachment; filename="${who}.txt"`,
        '',
        `${who}'s secret attachment`,
        '--b--',
        '',
      ].join('\r\n'),
    );
    const r = (await postInbound(key, raw)).json();
    expect(r).toMatchObject({ outcome: 'created', customerId: c.id });
    const pub = (
      await t.admin.post(`/api/v1/cases/${r.caseId}/follow-ups`, {
        kind: 'note',
        visibility: 'public',
        body: `public answer for ${who}`,
      })
    ).json();
    const internal = (
      await t.admin.post(`/api/v1/cases/${r.caseId}/follow-ups`, {
        kind: 'note',
        visibility: 'internal',
        body: `INTERNAL about ${who}`,
      })
    ).json();
    const priv = (
      await t.admin.post('/api/v1/cases', { customerId: c.id, subject: `${who} private`, visibility: 'private' })
    ).json();
    const details = (await t.admin.get(`/api/v1/cases/${r.caseId}/follow-ups/${r.followUpId}/email`)).json();
    ids[who] = {
      customerId: c.id,
      publicCase: r.caseId,
      privateCase: priv.id,
      attachment: details.attachments[0].id,
      publicFollowUp: pub.id,
      internalFollowUp: internal.id,
    };
    return PortalClient.signIn(t, email, `${who} password 1`);
  };

  beforeAll(async () => {
    t = await startTestApp();
    key = await t.apiKey('admin');
    alice = await setUp('alice');
    bob = await setUp('bob');
  });
  afterAll(async () => t?.close());

  it('lists only my public cases, and only their public follow-ups', async () => {
    const list = (await alice.get('/api/portal/cases')).json();
    expect(list.items.map((c: { id: string }) => c.id)).toEqual([ids.alice.publicCase]);
    const fus = (await alice.get(`/api/portal/cases/${ids.alice.publicCase}/follow-ups`)).json().items;
    expect(fus.map((f: { id: string }) => f.id)).toContain(ids.alice.publicFollowUp);
    expect(fus.map((f: { id: string }) => f.id)).not.toContain(ids.alice.internalFollowUp);
    expect(JSON.stringify(fus)).not.toContain('INTERNAL');
    const mail = fus.find((f: { kind: string }) => f.kind === 'email');
    expect(mail).toMatchObject({ fromMe: true, author: { type: 'customer' } });
    expect(mail.email.bcc).toBeUndefined();
    expect(mail.attachments).toHaveLength(1);
    const dl = await alice.get(mail.attachments[0].url);
    expect(dl.statusCode).toBe(200);
    expect(dl.body).toBe("alice's secret attachment");
  });

  it('every portal route refuses other customers ids, private cases and unknown ids', async () => {
    const routes = t.ctx.routes.filter((r) => r.url.startsWith('/api/portal/') && r.url.includes(':id'));
    expect(routes.length).toBeGreaterThanOrEqual(4);
    const foreign = [ids.bob.publicCase, ids.bob.privateCase, ids.alice.privateCase, randomUUID(), 'not-a-uuid'];
    const leaks: string[] = [];
    for (const route of routes) {
      for (const caseId of foreign) {
        const attachments = [ids.bob.attachment, ids.alice.attachment, randomUUID()];
        for (const att of route.url.includes(':attachmentId') ? attachments : [null]) {
          const url = route.url.replace(':id', caseId).replace(':attachmentId', att ?? '');
          const body = route.method === 'POST' ? { body: 'let me in' } : undefined;
          const res = await alice.request(route.method as 'GET', url, body);
          if (res.statusCode !== 404) leaks.push(`${route.method} ${url}: ${res.statusCode} ${res.body.slice(0, 100)}`);
          for (const secret of ['bob', 'INTERNAL', 'private']) {
            if (res.body.includes(secret) && res.statusCode < 400) leaks.push(`${route.method} ${url} shows ${secret}`);
          }
        }
      }
    }
    // My own case with the other customer's attachment: still nothing.
    const mixed = await alice.get(`/api/portal/cases/${ids.alice.publicCase}/attachments/${ids.bob.attachment}`);
    if (mixed.statusCode !== 404) leaks.push(`mixed attachment: ${mixed.statusCode}`);
    expect(leaks).toEqual([]);
    // Nothing was written on Bob's case.
    const bobFus = (await t.admin.get(`/api/v1/cases/${ids.bob.publicCase}/follow-ups`)).json().items;
    expect(bobFus.some((f: { body: string }) => f.body === 'let me in')).toBe(false);
  });

  it('staff credentials and no credentials open no customer route; a portal cookie opens no staff route', async () => {
    // Signing in, password resets and the FAQ (published articles: src/modules/faqs) are open to anybody.
    const customerRoutes = t.ctx.routes.filter(
      (r) => r.url.startsWith('/api/portal/') && !/login|password-reset|^\/api\/portal\/faqs/.test(r.url),
    );
    const staff = [t.admin, await t.apiKey('admin'), t.anonymous];
    for (const route of customerRoutes) {
      const url = route.url.replace(':id', ids.alice.publicCase).replace(':attachmentId', ids.alice.attachment);
      for (const who of staff) {
        const res = await who.request(route.method as 'GET', url, route.method === 'POST' ? {} : undefined);
        expect(res.statusCode, `${route.method} ${url}`).toBe(401);
      }
    }
    const staffRoute = await t.app.inject({
      method: 'GET',
      url: `/api/v1/cases/${ids.alice.publicCase}`,
      headers: alice.headers,
    });
    expect(staffRoute.statusCode).toBe(401);
  });

  it('a customer opens a case and replies: public follow-ups on the channel portal, reopening a closed case', async () => {
    const opened = await alice.post('/api/portal/cases', { subject: 'New from the portal', body: 'It broke again.' });
    expect(opened.statusCode).toBe(201);
    const c = (await t.admin.get(`/api/v1/cases/${opened.json().id}`)).json();
    expect(c).toMatchObject({ customerId: ids.alice.customerId, channel: 'portal', visibility: 'public' });

    const staffCase = (await t.admin.get(`/api/v1/cases/${ids.alice.publicCase}`)).json();
    await t.admin.patch(`/api/v1/cases/${staffCase.id}`, { status: 'closed', version: staffCase.version });
    const reply = await alice.post(`/api/portal/cases/${ids.alice.publicCase}/replies`, { body: 'Still broken.' });
    expect(reply.statusCode).toBe(201);
    expect(reply.json().case).toMatchObject({ isOpen: true });
    const fus = (await t.admin.get(`/api/v1/cases/${ids.alice.publicCase}/follow-ups?order=newest&limit=1`)).json();
    expect(fus.items[0]).toMatchObject({
      body: 'Still broken.',
      visibility: 'public',
      direction: 'inbound',
      channel: 'portal',
      author: { type: 'customer', id: ids.alice.customerId },
    });
    // A case the agent made private disappears from the portal at once.
    const now = (await t.admin.get(`/api/v1/cases/${c.id}`)).json();
    await t.admin.patch(`/api/v1/cases/${c.id}`, { visibility: 'private', version: now.version });
    expect((await alice.get(`/api/portal/cases/${c.id}`)).statusCode).toBe(404);
    const list = (await alice.get('/api/portal/cases')).json();
    expect(list.items.map((x: { id: string }) => x.id)).not.toContain(c.id);
    expect(bob).toBeTruthy();
  });
});
