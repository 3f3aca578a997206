import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestApp, TestClient, type TestApp } from '../../../test/helpers.js';
import { THROTTLE } from './auth-service.js';

describe('sign-in, sessions and API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  async function newUser(role: 'agent' | 'supervisor' = 'agent') {
    const email = `u${Math.random().toString(36).slice(2)}@example.test`;
    const res = await t.admin.post('/api/v1/users', {
      email,
      password: PASSWORD,
      role,
      firstName: 'Ann',
      lastName: 'Agent',
    });
    expect(res.statusCode).toBe(201);
    return { email, id: res.json().id as string, version: res.json().version as number };
  }

  it('sets an HttpOnly, SameSite session cookie (Secure over https) and answers me with a CSRF token', async () => {
    const u = await newUser();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: u.email, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'sb_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.secure).toBeFalsy();
    expect(res.json().csrfToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(res.json()).not.toHaveProperty('passwordHash');

    const https = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: u.email, password: PASSWORD },
      headers: { 'x-forwarded-proto': 'https' },
    });
    // Behind a TLS-terminating proxy (TRUST_PROXY=true) the cookie is Secure; without trust, the header is ignored.
    expect(https.statusCode).toBe(200);
  });

  it('refuses a cookie-authenticated write without the CSRF token; bearer keys need none', async () => {
    const c = await TestClient.signIn(t.app, (await newUser()).email, PASSWORD);
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { cookie: c.headers.cookie },
      payload: {},
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.headers['content-type']).toContain('application/problem+json');
    const wrong = await c.post('/api/v1/api-keys', {}, { 'x-csrf-token': 'nope' });
    expect(wrong.statusCode).toBe(403);
    const ok = await c.post('/api/v1/api-keys', { name: 'mine' });
    expect(ok.statusCode).toBe(201);
    const key = ok.json().key as string;
    const viaKey = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { authorization: `Bearer ${key}` },
      payload: {},
    });
    expect(viaKey.statusCode).toBe(201);
    // Reads need no CSRF token.
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: c.headers.cookie } })).statusCode,
    ).toBe(200);
  });

  it('sign-out ends the session', async () => {
    const c = await TestClient.signIn(t.app, (await newUser()).email, PASSWORD);
    expect((await c.get('/api/v1/me')).statusCode).toBe(200);
    expect((await c.post('/api/v1/auth/logout')).statusCode).toBe(204);
    expect((await c.get('/api/v1/me')).statusCode).toBe(401);
  });

  it('disabling a user ends their sessions and stops their API keys', async () => {
    const u = await newUser();
    const c = await TestClient.signIn(t.app, u.email, PASSWORD);
    const key = (await c.post('/api/v1/api-keys', {})).json().key as string;
    const res = await t.admin.patch(`/api/v1/users/${u.id}`, { disabled: true, version: u.version });
    expect(res.statusCode).toBe(200);
    expect((await c.get('/api/v1/me')).statusCode).toBe(401);
    const viaKey = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(viaKey.statusCode).toBe(401);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: u.email, password: PASSWORD },
    });
    expect(again.statusCode).toBe(401);
  });

  it('a password change ends every session of the user', async () => {
    const u = await newUser();
    const a = await TestClient.signIn(t.app, u.email, PASSWORD);
    const b = await TestClient.signIn(t.app, u.email, PASSWORD);
    const res = await a.post('/api/v1/me/password', {
      currentPassword: PASSWORD,
      newPassword: 'a brand new passphrase',
    });
    expect(res.statusCode).toBe(204);
    expect((await a.get('/api/v1/me')).statusCode).toBe(401);
    expect((await b.get('/api/v1/me')).statusCode).toBe(401);
    await TestClient.signIn(t.app, u.email, 'a brand new passphrase');
    // An admin resetting the password ends sessions too.
    const c = await TestClient.signIn(t.app, u.email, 'a brand new passphrase');
    const current = (await t.admin.get(`/api/v1/users/${u.id}`)).json();
    await t.admin.patch(`/api/v1/users/${u.id}`, { password: 'reset by the admin', version: current.version });
    expect((await c.get('/api/v1/me')).statusCode).toBe(401);
  });

  it('answers an unknown email and a wrong password the same way', async () => {
    const u = await newUser();
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'nobody@example.test', password: 'whatever123' },
      remoteAddress: '10.1.0.1',
    });
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: u.email, password: 'whatever123' },
      remoteAddress: '10.1.0.2',
    });
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.body).toBe(wrong.body);
  });

  it('throttles one account from one address with 429 and Retry-After, without locking the user out elsewhere', async () => {
    const u = await newUser();
    const attempt = (password: string, ip: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: u.email, password },
        remoteAddress: ip,
      });
    for (let i = 0; i < THROTTLE.perAccountAndAddress; i++)
      expect((await attempt('wrong-password', '10.2.0.1')).statusCode).toBe(401);
    const blocked = await attempt(PASSWORD, '10.2.0.1');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // The real user, from their own address, still gets in.
    expect((await attempt(PASSWORD, '10.2.0.99')).statusCode).toBe(200);
  });

  it('throttles one address spraying many accounts', async () => {
    const ip = '10.3.0.1';
    for (let i = 0; i < THROTTLE.perAddress; i++) {
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: `spray${i}@example.test`, password: 'x'.repeat(10) },
        remoteAddress: ip,
      });
    }
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'another@example.test', password: 'x'.repeat(10) },
      remoteAddress: ip,
    });
    expect(res.statusCode).toBe(429);
  });

  it('a lookup-only API key can call nothing but lookups', async () => {
    const key = await t.apiKey('admin', 'lookup');
    expect((await key.get('/api/v1/users')).statusCode).toBe(403);
    expect((await key.post('/api/v1/api-keys', {})).statusCode).toBe(403);
    expect((await key.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('API keys are shown once, stored hashed, and revocable', async () => {
    const created = await t.admin.post('/api/v1/api-keys', { name: 'ivr', scope: 'lookup' });
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json() as { key: string; id: string };
    const stored = await t.db.query<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE id = $1', [id]);
    expect(stored[0].key_hash).not.toContain(key);
    const list = await t.admin.get('/api/v1/api-keys');
    expect(JSON.stringify(list.json())).not.toContain(key);
    expect((await t.admin.delete(`/api/v1/api-keys/${id}`)).statusCode).toBe(204);
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${key}` } });
    expect(after.statusCode).toBe(401);
  });

  it('stores passwords as argon2id hashes', async () => {
    const u = await newUser();
    const rows = await t.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [u.id]);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
  });

  it('bounds request bodies (413) and page sizes (400), and names bad fields', async () => {
    const big = await t.admin.post('/api/v1/users', {
      email: 'big@example.test',
      password: 'x'.repeat(2 * 1024 * 1024),
      role: 'agent',
    });
    expect(big.statusCode).toBe(413);
    expect(big.headers['content-type']).toContain('application/problem+json');
    const page = await t.admin.get('/api/v1/customers?limit=100000');
    expect(page.statusCode).toBe(400);
    expect(page.json().errors[0].field).toBe('limit');
    const bad = await t.admin.post('/api/v1/users', { email: 'not-an-email', password: PASSWORD, role: 'agent' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('email');
    const unknownField = await t.admin.post('/api/v1/users', {
      email: 'x@example.test',
      password: PASSWORD,
      role: 'agent',
      shoeSize: 44,
    });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().errors[0]).toEqual({
      field: 'shoeSize',
      message: 'Shoe size is not a field this accepts; remove it.',
    });
    const wrongType = await t.admin.post('/api/v1/users', {
      email: 'y@example.test',
      password: PASSWORD,
      role: 'agent',
      disabled: 'yes',
    });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().errors[0].field).toBe('disabled');
  });

  it('a duplicate user email is a 409 naming email, case-insensitively', async () => {
    const u = await newUser();
    const res = await t.admin.post('/api/v1/users', {
      email: u.email.toUpperCase(),
      password: PASSWORD,
      role: 'agent',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().errors[0].field).toBe('email');
  });

  it('stale user version → 409 with the current record', async () => {
    const u = await newUser();
    await t.admin.patch(`/api/v1/users/${u.id}`, { firstName: 'B', version: u.version });
    const stale = await t.admin.patch(`/api/v1/users/${u.id}`, { firstName: 'C', version: u.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().current.firstName).toBe('B');
  });

  it('an unknown or malformed id is 404', async () => {
    expect((await t.admin.get('/api/v1/users/not-a-uuid')).statusCode).toBe(404);
    expect((await t.admin.get('/api/v1/users/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  });
});
