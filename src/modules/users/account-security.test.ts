import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { PASSWORD, startTestApp, TestClient, type TestApp } from '../../../test/helpers.js';
import { baseUrl, SseClient } from '../../../test/sse-client.js';
import { base32Decode, totpCode, totpFromBase32 } from '../../../test/totp-reference.js';
import { THROTTLE } from './auth-service.js';

/**
 * Staff account protections: session lifetimes (on a ManualClock), throttling
 * under concurrency, API key last use, rows without secrets, two-factor
 * sign-in checked against an independent TOTP, password reset, sessions and
 * the audit lines they write.
 */
describe('staff account security', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.now());
  let url: string;
  let n = 0;
  /** An administrator's API key: sessions expire as the clock moves, keys do not. */
  let admin: TestClient;

  beforeAll(async () => {
    t = await startTestApp({ clock, env: { SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '8' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = baseUrl(t.app.server.address());
    admin = await t.apiKey('admin');
  });
  afterAll(async () => t?.close());

  async function newUser(role: 'agent' | 'supervisor' | 'admin' = 'agent') {
    const email = `acct${++n}.${Math.random().toString(36).slice(2, 8)}@example.test`;
    const res = await admin.post('/api/v1/users', {
      email,
      password: PASSWORD,
      role,
      firstName: 'Sam',
      lastName: 'Sec',
    });
    expect(res.statusCode).toBe(201);
    return { email, id: res.json().id as string };
  }

  const login = (
    email: string,
    password: string,
    ip = '10.9.0.1',
    ua = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0',
  ) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password },
      remoteAddress: ip,
      headers: { 'user-agent': ua },
    });

  const auditOf = (action: string, targetId?: string) =>
    t.db.query<{ action: string; ip: string | null; user_agent: string | null; details: Record<string, unknown> }>(
      `SELECT action, ip, user_agent, details FROM audit_log WHERE action = $1 AND ($2::text IS NULL OR target_id = $2)
       ORDER BY id`,
      [action, targetId ?? null],
    );

  describe('defect 3: an open console times out', () => {
    it("the event stream's re-check does not slide the idle expiry", async () => {
      const u = await newUser();
      const c = await TestClient.signIn(t.app, u.email, PASSWORD);
      const stream = await SseClient.open(`${url}/api/v1/events`, { headers: c.headers });
      try {
        // 20 minutes of an open, unattended console: the stream re-checks its credential.
        clock.advance(20 * 60_000);
        await t.ctx.hub.recheckAll();
        expect(stream.ended).toBe(false);
        clock.advance(11 * 60_000); // 31 minutes since the last real activity
        await t.ctx.hub.recheckAll();
        await stream.waitForEnd(5000);
        expect((await c.get('/api/v1/me')).statusCode).toBe(401);
      } finally {
        stream.close();
      }
    });

    it('activity keeps a session alive, but never past its absolute lifetime', async () => {
      const u = await newUser();
      const c = await TestClient.signIn(t.app, u.email, PASSWORD);
      // Active every 25 minutes (within the 30-minute idle limit) for 7.5 hours: still signed in.
      for (let i = 0; i < 18; i++) {
        clock.advance(25 * 60_000);
        expect((await c.get('/api/v1/me')).statusCode, `after ${(i + 1) * 25} minutes`).toBe(200);
      }
      clock.advance(31 * 60_000); // 8 h 1 min after sign-in
      expect((await c.get('/api/v1/me')).statusCode).toBe(401);
    });

    it('reopening the event stream is not activity either', async () => {
      const u = await newUser();
      const c = await TestClient.signIn(t.app, u.email, PASSWORD);
      clock.advance(20 * 60_000);
      const stream = await SseClient.open(`${url}/api/v1/events`, { headers: c.headers });
      stream.close();
      clock.advance(11 * 60_000);
      expect((await c.get('/api/v1/me')).statusCode).toBe(401);
    });
  });

  describe('defect 5: throttling counts before verifying', () => {
    it('many concurrent wrong passwords get exactly the allowed number of verifications', async () => {
      const u = await newUser();
      const results = await Promise.all(
        Array.from({ length: 25 }, () => login(u.email, 'not the password at all', '10.5.5.5')),
      );
      const codes = results.map((r) => r.statusCode);
      expect(codes.filter((s) => s === 401)).toHaveLength(THROTTLE.perAccountAndAddress);
      expect(codes.filter((s) => s === 429)).toHaveLength(25 - THROTTLE.perAccountAndAddress);
      expect(Number(results.find((r) => r.statusCode === 429)!.headers['retry-after'])).toBeGreaterThan(0);
      // The right password from that address waits too; from elsewhere it works.
      expect((await login(u.email, PASSWORD, '10.5.5.5')).statusCode).toBe(429);
      expect((await login(u.email, PASSWORD, '10.5.5.6')).statusCode).toBe(200);
      expect(await auditOf('auth.signin_throttled')).not.toHaveLength(0);
    });

    it('a success takes its attempt back (an address signing many people in is not throttled)', async () => {
      const ip = '10.5.6.1';
      for (let i = 0; i < 3; i++) {
        const u = await newUser();
        expect((await login(u.email, PASSWORD, ip)).statusCode).toBe(200);
      }
      const rows = await t.db.query<{ failures: number }>('SELECT failures FROM auth_throttle WHERE key = $1', [
        `ip:${ip}`,
      ]);
      expect(rows[0].failures).toBe(0);
    });
  });

  describe('defect 6: API key last use', () => {
    it('is written on use, at most once a minute per key', async () => {
      const created = (await admin.post('/api/v1/api-keys', { name: 'ivr', scope: 'lookup' })).json();
      const key = { authorization: `Bearer ${created.key}` };
      const lastUsed = async () =>
        (await admin.get('/api/v1/api-keys')).json().items.find((k: { id: string }) => k.id === created.id)
          .lastUsedAt as string | null;
      expect(await lastUsed()).toBeNull();
      const first = clock.now().toISOString();
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: key, remoteAddress: '10.6.0.1' });
      expect(res.statusCode).toBe(200);
      expect(await lastUsed()).toBe(first);
      clock.advance(30_000);
      await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: key });
      expect(await lastUsed()).toBe(first);
      clock.advance(31_000);
      const later = clock.now().toISOString();
      await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: key, remoteAddress: '10.6.0.2' });
      expect(await lastUsed()).toBe(later);
      const listed = (await admin.get('/api/v1/api-keys'))
        .json()
        .items.find((k: { id: string }) => k.id === created.id);
      expect(listed.lastUsedIp).toBe('10.6.0.2');
    });
  });

  describe('defect 9: no secrets across module boundaries', () => {
    it('UsersService rows carry no password hash', async () => {
      const u = await newUser();
      const byId = await t.ctx.services.users.findRowById(u.id);
      const byEmail = await t.ctx.services.users.findRowByEmail(u.email);
      for (const row of [byId, byEmail]) {
        expect(row).not.toBeNull();
        expect(Object.keys(row!).filter((k) => /hash|secret|password|totp|recovery/i.test(k))).toEqual([]);
        expect(JSON.stringify(row)).not.toContain('$argon2');
      }
    });
  });

  describe('two-factor sign-in', () => {
    const enrol = async (c: TestClient) => {
      const setup = await c.post('/api/v1/me/two-factor/setup');
      expect(setup.statusCode).toBe(200);
      const { secret, otpauthUri, qrCode } = setup.json() as { secret: string; otpauthUri: string; qrCode: string };
      expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Switchboard:/);
      expect(new URL(otpauthUri).searchParams.get('secret')).toBe(secret);
      expect(qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
      expect(Buffer.from(qrCode.split(',')[1], 'base64').toString()).toContain('<svg');
      expect(base32Decode(secret)).toHaveLength(20);
      const confirm = await c.post('/api/v1/me/two-factor/confirm', {
        code: totpFromBase32(secret, clock.now().getTime()),
      });
      expect(confirm.statusCode).toBe(200);
      const codes = confirm.json().recoveryCodes as string[];
      expect(codes).toHaveLength(10);
      return { secret, codes };
    };

    const secondStep = (cookie: string, body: Record<string, string>, ip = '10.7.0.1') =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login/second-factor',
        payload: body,
        headers: { cookie },
        remoteAddress: ip,
      });

    const passwordStep = async (email: string, ip = '10.7.0.1') => {
      const res = await login(email, PASSWORD, ip);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ secondFactorRequired: true, methods: ['totp', 'recoveryCode'] });
      expect(res.cookies.find((c) => c.name === 'sb_session')).toBeUndefined();
      const challenge = res.cookies.find((c) => c.name === 'sb_signin')!;
      expect(challenge.httpOnly).toBe(true);
      return `sb_signin=${challenge.value}`;
    };

    it('the reference TOTP matches RFC 6238 (test vector, SHA-1, T=59 s)', () => {
      expect(totpCode(Buffer.from('12345678901234567890'), 59_000, 8)).toBe('94287082');
      expect(totpCode(Buffer.from('12345678901234567890'), 1111111109_000, 8)).toBe('07081804');
    });

    it('enrols with a code, then signs in with the code of the moment, never the same code twice', async () => {
      const u = await newUser();
      const c = await TestClient.signIn(t.app, u.email, PASSWORD);
      const wrong = await c.post('/api/v1/me/two-factor/setup');
      const badConfirm = await c.post('/api/v1/me/two-factor/confirm', { code: '000000' });
      expect(badConfirm.statusCode).toBe(400);
      expect(badConfirm.json().errors[0].field).toBe('code');
      expect(wrong.statusCode).toBe(200);
      const { secret } = await enrol(c);
      expect((await c.get('/api/v1/me')).json().twoFactorEnabled).toBe(true);
      expect((await c.post('/api/v1/me/two-factor/setup')).statusCode).toBe(409);

      clock.advance(60_000);
      const cookie = await passwordStep(u.email);
      const stale = await secondStep(cookie, { code: totpFromBase32(secret, clock.now().getTime() - 120_000) });
      expect(stale.statusCode).toBe(400);
      const code = totpFromBase32(secret, clock.now().getTime());
      const ok = await secondStep(cookie, { code });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().csrfToken).toBeTruthy();
      expect(ok.cookies.find((k) => k.name === 'sb_session')).toBeDefined();
      // The challenge is spent; a new sign-in cannot reuse that same code (replay).
      expect((await secondStep(cookie, { code })).statusCode).toBe(401);
      const again = await passwordStep(u.email);
      expect((await secondStep(again, { code })).statusCode).toBe(400);
      // One step later the next code works; a code one step old is still accepted (clock drift).
      clock.advance(30_000);
      expect((await secondStep(again, { code: totpFromBase32(secret, clock.now().getTime()) })).statusCode).toBe(200);
      const audit = await auditOf('auth.signin', u.id);
      expect(audit.at(-1)!.details).toMatchObject({ secondFactor: 'totp' });
      expect(audit.at(-1)!.ip).toBe('10.7.0.1');
      expect(await auditOf('auth.two_factor_enabled', u.id)).toHaveLength(1);
    });

    it('a recovery code works once; codes are stored hashed', async () => {
      const u = await newUser();
      const c = await TestClient.signIn(t.app, u.email, PASSWORD);
      const { codes } = await enrol(c);
      const stored = await t.db.query<{ code_hash: string }>(
        'SELECT code_hash FROM user_recovery_codes WHERE user_id = $1',
        [u.id],
      );
      expect(stored).toHaveLength(10);
      for (const s of stored) for (const code of codes) expect(s.code_hash).not.toContain(code.replace(/-/g, ''));
      const first = await secondStep(await passwordStep(u.email), { recoveryCode: codes[3].toUpperCase() });
      expect(first.statusCode).toBe(200);
      const reused = await secondStep(await passwordStep(u.email), { recoveryCode: codes[3] });
      expect(reused.statusCode).toBe(400);
      expect(reused.json().errors[0].field).toBe('recoveryCode');
      expect((await auditOf('auth.signin', u.id)).at(-1)!.details).toMatchObject({
        secondFactor: 'recoveryCode',
        recoveryCodesLeft: 9,
      });
    });

    it('a challenge takes 5 codes, and wrong codes are counted per user across challenges', async () => {
      const u = await newUser();
      const c = await TestClient.signIn(t.app, u.email, PASSWORD);
      const { secret } = await enrol(c);
      clock.advance(60_000);
      const cookie = await passwordStep(u.email);
      for (let i = 0; i < 5; i++) expect((await secondStep(cookie, { code: '123456' })).statusCode).toBe(400);
      const spent = await secondStep(cookie, { code: totpFromBase32(secret, clock.now().getTime()) });
      expect(spent.statusCode).toBe(401);
      const next = await passwordStep(u.email);
      for (let i = 0; i < 5; i++) expect((await secondStep(next, { code: '123456' })).statusCode).toBe(400);
      const third = await passwordStep(u.email);
      const blocked = await secondStep(third, { code: totpFromBase32(secret, clock.now().getTime()) });
      expect(blocked.statusCode).toBe(429);
      expect(await auditOf('auth.second_factor_failed', u.id)).toHaveLength(10);
    });

    it('a challenge expires after 5 minutes', async () => {
      const u = await newUser();
      const c = await TestClient.signIn(t.app, u.email, PASSWORD);
      const { secret } = await enrol(c);
      clock.advance(60_000);
      const cookie = await passwordStep(u.email);
      clock.advance(5 * 60_000 + 1000);
      expect((await secondStep(cookie, { code: totpFromBase32(secret, clock.now().getTime()) })).statusCode).toBe(401);
    });

    it('a role that requires it leaves a user without it nothing but the set-up', async () => {
      const roles = (await admin.get('/api/v1/roles')).json().items as {
        role: string;
        privileges: string[];
        version: number;
        requireTwoFactor: boolean;
      }[];
      const sup = roles.find((r) => r.role === 'supervisor')!;
      expect(sup.requireTwoFactor).toBe(false);
      const u = await newUser('supervisor');
      const c = await TestClient.signIn(t.app, u.email, PASSWORD);
      const put = await admin.put('/api/v1/roles/supervisor', {
        privileges: sup.privileges,
        requireTwoFactor: true,
        version: sup.version,
      });
      expect(put.statusCode).toBe(200);
      expect(put.json().requireTwoFactor).toBe(true);
      try {
        const me = (await c.get('/api/v1/me')).json();
        expect(me.twoFactorEnrolmentRequired).toBe(true);
        const refused = await c.get('/api/v1/customers');
        expect(refused.statusCode).toBe(403);
        expect(refused.json().twoFactorEnrolmentRequired).toBe(true);
        await enrol(c);
        expect((await c.get('/api/v1/customers')).statusCode).toBe(200);
        expect((await c.get('/api/v1/me')).json().twoFactorEnrolmentRequired).toBe(false);
        const audit = await auditOf('role.changed', 'supervisor');
        expect(audit.at(-1)!.details).toMatchObject({ requireTwoFactor: { from: false, to: true } });
      } finally {
        const now = (await admin.get('/api/v1/roles'))
          .json()
          .items.find((r: { role: string }) => r.role === 'supervisor');
        await admin.put('/api/v1/roles/supervisor', {
          privileges: sup.privileges,
          requireTwoFactor: false,
          version: now.version,
        });
      }
    });

    it('turning it off needs the password; an administrator can remove a lost authenticator', async () => {
      const u = await newUser();
      const c = await TestClient.signIn(t.app, u.email, PASSWORD);
      await enrol(c);
      const noPw = await c.post('/api/v1/me/two-factor/disable', { password: 'not my password' });
      expect(noPw.statusCode).toBe(400);
      expect(noPw.json().errors[0].field).toBe('password');
      expect((await c.post('/api/v1/me/two-factor/disable', { password: PASSWORD })).statusCode).toBe(204);
      expect((await login(u.email, PASSWORD)).json().csrfToken).toBeTruthy();
      const c2 = await TestClient.signIn(t.app, u.email, PASSWORD);
      await enrol(c2);
      expect((await admin.delete(`/api/v1/users/${u.id}/two-factor`)).statusCode).toBe(204);
      expect((await c2.get('/api/v1/me')).statusCode).toBe(401);
      expect((await login(u.email, PASSWORD)).json().csrfToken).toBeTruthy();
      expect(await auditOf('auth.two_factor_disabled', u.id)).toHaveLength(1);
      expect(await auditOf('auth.two_factor_reset', u.id)).toHaveLength(1);
    });

    it('API keys cannot touch a person’s second factor or sessions', async () => {
      const key = await t.apiKey('agent');
      expect((await key.post('/api/v1/me/two-factor/setup')).statusCode).toBe(403);
      expect((await key.get('/api/v1/me/sessions')).statusCode).toBe(403);
    });
  });

  describe('password reset by email', () => {
    const resetMail = async (to: string) => {
      const rows = await t.db.query<{ body: string; kind: string; sensitive: boolean }>(
        `SELECT body, kind, sensitive FROM email_outbox WHERE $1 = ANY(to_addresses) ORDER BY created_at DESC, id DESC`,
        [to],
      );
      return rows;
    };
    const tokenOf = (body: string) => /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(body)![1];
    const request = (email: string, ip = '10.8.0.1') =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email }, remoteAddress: ip });
    const confirm = (token: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { token, password } });

    it('answers the same for a known and an unknown address, and mails a single-use link', async () => {
      const u = await newUser();
      const a = await TestClient.signIn(t.app, u.email, PASSWORD);
      const b = await TestClient.signIn(t.app, u.email, PASSWORD);
      const known = await request(u.email);
      const unknown = await request('nobody.here@example.test');
      expect(known.statusCode).toBe(202);
      expect(unknown.statusCode).toBe(202);
      expect(unknown.body).toBe(known.body);
      const mails = await resetMail(u.email);
      expect(mails).toHaveLength(1);
      expect(mails[0]).toMatchObject({ kind: 'passwordReset', sensitive: true });
      expect(await resetMail('nobody.here@example.test')).toHaveLength(0);
      const token = tokenOf(mails[0].body);
      // Stored hashed.
      const stored = await t.db.query<{ token_hash: string }>(
        'SELECT token_hash FROM staff_password_resets WHERE user_id = $1',
        [u.id],
      );
      expect(stored[0].token_hash).not.toBe(token);
      // A weak password is refused without using the link.
      const weak = await confirm(token, 'password123');
      expect(weak.statusCode).toBe(400);
      expect(weak.json().errors[0].field).toBe('password');
      expect((await confirm(token, 'a fresh and long passphrase')).statusCode).toBe(204);
      expect((await confirm(token, 'another fresh passphrase')).statusCode).toBe(400);
      // Every session ended; the new password works, the old does not.
      expect((await a.get('/api/v1/me')).statusCode).toBe(401);
      expect((await b.get('/api/v1/me')).statusCode).toBe(401);
      expect((await login(u.email, PASSWORD, '10.8.1.1')).statusCode).toBe(401);
      expect((await login(u.email, 'a fresh and long passphrase', '10.8.1.1')).statusCode).toBe(200);
      expect(await auditOf('auth.password_reset', u.id)).toHaveLength(1);
      const requested = await auditOf('auth.password_reset_requested');
      expect(requested.map((r) => r.details.sent)).toEqual(expect.arrayContaining([true, false]));
    });

    it('a link works for 30 minutes only', async () => {
      const u = await newUser();
      await request(u.email, '10.8.2.1');
      const token = tokenOf((await resetMail(u.email))[0].body);
      clock.advance(30 * 60_000 + 1000);
      const late = await confirm(token, 'a fresh and long passphrase');
      expect(late.statusCode).toBe(400);
      expect(late.json().errors[0].field).toBe('token');
    });

    it('requests are throttled silently (still 202, no more mail)', async () => {
      const u = await newUser();
      for (let i = 0; i < 8; i++) expect((await request(u.email, '10.8.3.1')).statusCode).toBe(202);
      expect(await resetMail(u.email)).toHaveLength(5);
    });
  });

  describe('passwords', () => {
    it('are 8 to 128 characters and not common or easily guessed, named in the error', async () => {
      const u = await newUser();
      const c = await TestClient.signIn(t.app, u.email, PASSWORD);
      for (const [pw, pattern] of [
        ['password123', /too easy to guess/],
        ['Summer2024', /too easy to guess/],
        ['x'.repeat(129), /128/],
        ['short', /8/],
      ] as const) {
        const res = await c.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: pw });
        expect(res.statusCode, pw).toBe(400);
        expect(res.json().errors[0].field).toBe('newPassword');
        expect(res.json().errors[0].message).toMatch(pattern);
      }
      const weak = await admin.post('/api/v1/users', {
        email: `weak${n}@example.test`,
        password: 'iloveyou2',
        role: 'agent',
      });
      expect(weak.statusCode).toBe(400);
      expect(weak.json().errors[0].field).toBe('password');
      expect(
        (await c.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: 'quiet lantern orbit 42' }))
          .statusCode,
      ).toBe(204);
      expect(await auditOf('auth.password_changed', u.id)).toHaveLength(1);
    });
  });

  describe('sessions', () => {
    it('lists my sessions with device, address and last seen; revokes one, or all but this one', async () => {
      const u = await newUser();
      const phone = await login(
        u.email,
        PASSWORD,
        '10.10.0.2',
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari/604.1',
      );
      expect(phone.statusCode).toBe(200);
      const desk = await TestClient.signIn(t.app, u.email, PASSWORD);
      const laptop = await TestClient.signIn(t.app, u.email, PASSWORD);
      const list = (await desk.get('/api/v1/me/sessions')).json().items as {
        id: string;
        device: string;
        ip: string;
        current: boolean;
        lastSeenAt: string;
      }[];
      expect(list).toHaveLength(3);
      expect(list.filter((s) => s.current)).toHaveLength(1);
      const iphone = list.find((s) => s.ip === '10.10.0.2')!;
      expect(iphone.device).toBe('Safari on iOS');
      expect((await desk.delete(`/api/v1/me/sessions/${iphone.id}`)).statusCode).toBe(204);
      expect((await desk.delete(`/api/v1/me/sessions/${iphone.id}`)).statusCode).toBe(404);
      expect((await desk.get('/api/v1/me/sessions')).json().items).toHaveLength(2);
      const others = await desk.post('/api/v1/me/sessions/revoke-others');
      expect(others.json()).toEqual({ revoked: 1 });
      expect((await laptop.get('/api/v1/me')).statusCode).toBe(401);
      expect((await desk.get('/api/v1/me')).statusCode).toBe(200);
      // Someone else's session id is not mine to end.
      const other = await newUser();
      const oc = await TestClient.signIn(t.app, other.email, PASSWORD);
      const theirs = (await oc.get('/api/v1/me/sessions')).json().items[0].id as string;
      expect((await desk.delete(`/api/v1/me/sessions/${theirs}`)).statusCode).toBe(404);
      expect(await auditOf('auth.session_revoked', u.id)).toHaveLength(1);
    });

    it('an administrator sees and ends a user’s sessions', async () => {
      const u = await newUser();
      const c = await TestClient.signIn(t.app, u.email, PASSWORD);
      const seen = (await admin.get(`/api/v1/users/${u.id}/sessions`)).json().items;
      expect(seen).toHaveLength(1);
      expect(seen[0].current).toBe(false);
      expect((await admin.delete(`/api/v1/users/${u.id}/sessions`)).json()).toEqual({ revoked: 1 });
      expect((await c.get('/api/v1/me')).statusCode).toBe(401);
      const agent = await t.user('agent');
      expect((await agent.get(`/api/v1/users/${u.id}/sessions`)).statusCode).toBe(403);
    });

    it('sign-in, failure and sign-out are in the audit trail with address and user agent', async () => {
      const u = await newUser();
      expect((await login(u.email, 'wrong password here', '10.11.0.1', 'AuditAgent/1.0')).statusCode).toBe(401);
      const ok = await login(u.email, PASSWORD, '10.11.0.1', 'AuditAgent/1.0');
      const cookie = ok.cookies.find((c) => c.name === 'sb_session')!;
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: { cookie: `sb_session=${cookie.value}`, 'x-csrf-token': ok.json().csrfToken },
        remoteAddress: '10.11.0.1',
      });
      const failed = await auditOf('auth.signin_failed', u.id);
      expect(failed).toEqual([
        expect.objectContaining({
          ip: '10.11.0.1',
          user_agent: 'AuditAgent/1.0',
          details: expect.objectContaining({ reason: 'wrong password' }),
        }),
      ]);
      expect((await auditOf('auth.signin', u.id)).at(-1)).toMatchObject({
        ip: '10.11.0.1',
        user_agent: 'AuditAgent/1.0',
      });
      expect(await auditOf('auth.signout', u.id)).toHaveLength(1);
      expect(JSON.stringify(await auditOf('auth.signin_failed', u.id))).not.toContain('wrong password here');
    });
  });
});
