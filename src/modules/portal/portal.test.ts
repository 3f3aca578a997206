import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { headerOf, startSink } from '../email/email.test-helpers.js';
import { customerWithAccess, PortalClient } from './portal.test-helpers.js';

type Sink = Awaited<ReturnType<typeof startSink>>;

/** The quoted-printable soft breaks and escapes of a sent text body, undone (enough for our mails). */
const bodyText = (raw: string) =>
  raw
    .split(/\r?\n\r?\n/)
    .slice(1)
    .join('\n')
    .replace(/=\r?\n/g, '')
    .replace(/=3D/g, '=');

describe('Support Center accounts: access, credentials email, sign-in, sessions, password reset', () => {
  let t: TestApp;
  let sink: Sink;
  let agent: TestClient;

  beforeAll(async () => {
    sink = await startSink();
    t = await startTestApp({
      env: { SMTP_RELAY_URL: sink.url, MAIL_FROM: 'help@support.test', PUBLIC_URL: 'https://crm.example.test' },
    });
    agent = await t.user('agent');
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });
  beforeEach(() => {
    sink.messages.length = 0;
  });

  it('an agent enables access with a generated password; the credentials are emailed once, then not kept', async () => {
    const c = (
      await agent.post('/api/v1/customers', { firstName: 'Paula', lastName: 'Portal', email: 'paula@cust.test' })
    ).json();
    const before = (await agent.get(`/api/v1/customers/${c.id}/portal-access`)).json();
    expect(before).toMatchObject({ enabled: false, hasPassword: false, version: 0 });

    const res = await agent.put(`/api/v1/customers/${c.id}/portal-access`, { enabled: true, generatePassword: true });
    expect(res.statusCode).toBe(200);
    const saved = res.json();
    expect(saved).toMatchObject({ enabled: true, hasPassword: true, credentialsSent: true, version: 1 });
    expect(saved.generatedPassword).toMatch(/^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/);

    await t.ctx.services.email.sendDue();
    expect(sink.messages).toHaveLength(1);
    const mail = sink.messages[0];
    expect(mail.to).toEqual(['paula@cust.test']);
    expect(headerOf(mail.raw, 'Subject')).toBe('Your Support Center sign-in');
    const text = bodyText(mail.raw);
    expect(text).toContain(saved.generatedPassword);
    expect(text).toContain(c.accountNumber);
    expect(text).toContain('https://crm.example.test/portal');
    const rows = await t.db.query<{ body: string; status: string }>(
      `SELECT body, status FROM email_outbox WHERE kind = 'credentials' AND $1 = ANY(to_addresses)`,
      ['paula@cust.test'],
    );
    expect(rows).toEqual([{ body: '(sent; not kept)', status: 'sent' }]);

    // The customer signs in with the account number, and with the email in any case.
    await PortalClient.signIn(t, c.accountNumber, saved.generatedPassword);
    await PortalClient.signIn(t, 'PAULA@cust.test', saved.generatedPassword);
    // The history of the customer says who opened access (never the password).
    const history = (await agent.get(`/api/v1/customers/${c.id}/history`)).json().items;
    const change = history.find((h: { changes: { field: string }[] }) =>
      h.changes.some((x) => x.field === 'portalAccess'),
    );
    expect(JSON.stringify(change)).not.toContain(saved.generatedPassword);
  });

  it('validates: a password is needed, an address to send to, privileges, stale versions', async () => {
    const noMail = (await agent.post('/api/v1/customers', { firstName: 'No', lastName: 'Mail' })).json();
    const a = await agent.put(`/api/v1/customers/${noMail.id}/portal-access`, { enabled: true });
    expect(a.statusCode).toBe(400);
    expect(a.json().errors[0].field).toBe('password');
    const b = await agent.put(`/api/v1/customers/${noMail.id}/portal-access`, {
      enabled: true,
      password: 'long enough 1',
    });
    expect(b.json().errors[0].field).toBe('sendCredentials');
    const ok = await agent.put(`/api/v1/customers/${noMail.id}/portal-access`, {
      enabled: true,
      password: 'long enough 1',
      sendCredentials: false,
    });
    expect(ok.json()).toMatchObject({ enabled: true, credentialsSent: false });
    const stale = await agent.put(`/api/v1/customers/${noMail.id}/portal-access`, { enabled: false, version: 0 });
    expect(stale.statusCode).toBe(409);
    const short = await agent.put(`/api/v1/customers/${noMail.id}/portal-access`, { enabled: true, password: 'short' });
    expect(short.statusCode).toBe(400);
    const viewer = await t.user('agent', { privileges: ['customers.view'] });
    expect((await viewer.get(`/api/v1/customers/${noMail.id}/portal-access`)).statusCode).toBe(200);
    expect((await viewer.put(`/api/v1/customers/${noMail.id}/portal-access`, { enabled: false })).statusCode).toBe(403);
    expect((await agent.get('/api/v1/customers/00000000-0000-0000-0000-000000000000/portal-access')).statusCode).toBe(
      404,
    );
  });

  it('sign-in throttling counts before verifying: concurrent wrong passwords get only the allowed tries', async () => {
    const c = await customerWithAccess(t, {
      firstName: 'Conc',
      lastName: 'Urrent',
      email: 'conc@cust.test',
      password: 'conc password 1',
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.app.inject({
          method: 'POST',
          url: '/api/portal/login',
          payload: { login: c.accountNumber, password: 'wrong guess 1' },
          remoteAddress: '10.0.9.1',
        }),
      ),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((s) => s === 401)).toHaveLength(5);
    expect(codes.filter((s) => s === 429)).toHaveLength(15);
  });

  it('sign-in: one answer for unknown account, wrong password and no access; throttled; sessions end on disable', async () => {
    const c = await customerWithAccess(t, {
      firstName: 'Sam',
      lastName: 'Signin',
      email: 'sam@cust.test',
      password: 'sam password 1',
    });
    const login = (body: object, ip = '10.0.0.1') =>
      t.app.inject({ method: 'POST', url: '/api/portal/login', payload: body, remoteAddress: ip });
    const unknown = await login({ login: '99999999', password: 'whatever 1' });
    const wrong = await login({ login: c.accountNumber, password: 'not it at all' });
    const noAccess = (
      await agent.post('/api/v1/customers', { firstName: 'No', lastName: 'Access', email: 'na@c.test' })
    ).json();
    const none = await login({ login: 'na@c.test', password: 'whatever 1' });
    for (const r of [unknown, wrong, none]) {
      expect(r.statusCode).toBe(401);
      expect(r.json().detail).toBe('Account or password is not right');
    }
    expect(noAccess.id).toBeTruthy();

    // Five failures for this account from this address: the sixth try waits, even with the right password.
    for (let i = 0; i < 4; i++) await login({ login: c.accountNumber, password: 'wrong again 1' }, '10.0.0.2');
    await login({ login: c.accountNumber, password: 'wrong again 1' }, '10.0.0.2');
    const throttled = await login({ login: c.accountNumber, password: 'sam password 1' }, '10.0.0.2');
    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers['retry-after']).toBeTruthy();
    // Another address is not locked out by the first one.
    expect((await login({ login: c.accountNumber, password: 'sam password 1' }, '10.0.0.3')).statusCode).toBe(200);

    const sam = await PortalClient.signIn(t, c.email, 'sam password 1');
    expect((await sam.get('/api/portal/me')).json().customer).toMatchObject({ accountNumber: c.accountNumber });
    // Writes need the CSRF token.
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/portal/cases',
      headers: { cookie: sam.headers.cookie },
      payload: { subject: 'x', body: 'y' },
    });
    expect(noCsrf.statusCode).toBe(403);
    // Disabling access ends the session at once.
    await agent.put(`/api/v1/customers/${c.id}/portal-access`, { enabled: false });
    expect((await sam.get('/api/portal/me')).statusCode).toBe(401);
    expect((await login({ login: c.email, password: 'sam password 1' }, '10.0.0.4')).statusCode).toBe(401);
  });

  it('password reset by email: a single-use link that expires, the same answer for unknown accounts', async () => {
    const c = await customerWithAccess(t, {
      firstName: 'Rosa',
      lastName: 'Reset',
      email: 'rosa@cust.test',
      password: 'rosa password 1',
    });
    const old = await PortalClient.signIn(t, c.accountNumber, 'rosa password 1');
    const ask = (login: string) =>
      t.app.inject({ method: 'POST', url: '/api/portal/password-reset', payload: { login } });
    expect((await ask('nobody@nowhere.test')).statusCode).toBe(202);
    expect((await ask(c.accountNumber)).statusCode).toBe(202);
    await t.ctx.services.email.sendDue();
    expect(sink.messages).toHaveLength(1);
    const text = bodyText(sink.messages[0].raw);
    const token = /reset#token=([A-Za-z0-9_-]+)/.exec(text)![1];
    expect(text).toContain('https://crm.example.test/portal/reset#token=');

    const confirm = (tok: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/api/portal/password-reset/confirm', payload: { token: tok, password } });
    expect((await confirm('x'.repeat(43), 'new password 22')).statusCode).toBe(400);
    expect((await confirm(token, 'new password 22')).statusCode).toBe(204);
    expect((await confirm(token, 'another password 3')).statusCode).toBe(400);
    // Sessions from before the reset are over; the new password works, the old one not.
    expect((await old.get('/api/portal/me')).statusCode).toBe(401);
    await PortalClient.signIn(t, c.accountNumber, 'new password 22');
    await expect(PortalClient.signIn(t, c.accountNumber, 'rosa password 1')).rejects.toThrow(/401/);

    // An expired link does nothing.
    await ask(c.email);
    await t.ctx.services.email.sendDue();
    const token2 = /reset#token=([A-Za-z0-9_-]+)/.exec(bodyText(sink.messages[1].raw))![1];
    await t.db.query(`UPDATE portal_reset_tokens SET expires_at = now() - interval '1 minute' WHERE used_at IS NULL`);
    expect((await confirm(token2, 'expired password 4')).statusCode).toBe(400);
  });

  it('a customer changes their own password (signed out everywhere)', async () => {
    const c = await customerWithAccess(t, {
      firstName: 'Carl',
      lastName: 'Change',
      email: 'carl@cust.test',
      password: 'carl password 1',
    });
    const carl = await PortalClient.signIn(t, c.email, 'carl password 1');
    const bad = await carl.post('/api/portal/password', { currentPassword: 'nope', newPassword: 'carl password 2' });
    expect(bad.statusCode).toBe(400);
    const ok = await carl.post('/api/portal/password', {
      currentPassword: 'carl password 1',
      newPassword: 'carl password 2',
    });
    expect(ok.statusCode).toBe(204);
    expect((await carl.get('/api/portal/me')).statusCode).toBe(401);
    await PortalClient.signIn(t, c.email, 'carl password 2');
    const out = await (await PortalClient.signIn(t, c.email, 'carl password 2')).post('/api/portal/logout');
    expect(out.statusCode).toBe(204);
  });
});
