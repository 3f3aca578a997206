import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { ManualClock } from '../src/clock.js';
import type { App, AppContext } from '../src/context.js';
import { HSTS } from '../src/http/headers.js';
import { startTestApp, testConfig, type TestApp } from './helpers.js';

/**
 * API rate limits shared by two server processes (two apps on one database),
 * and the security headers of the console, the Support Center and the API.
 */
describe('API rate limits and security headers', () => {
  let t: TestApp;
  let other: { app: App; ctx: AppContext };
  const clock = new ManualClock('2030-01-07T10:00:05Z');
  const env = { RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_LOOKUP_PER_MINUTE: '8', TRUST_PROXY: 'true' };

  beforeAll(async () => {
    t = await startTestApp({ clock, env });
    // A second server process on the same database.
    other = await buildApp(t.db, testConfig(env), { runJobs: false, logger: false, clock });
    await other.app.ready();
  });
  afterAll(async () => {
    await other?.app.close();
    await t?.close();
  });

  const call = (app: App, headers: Record<string, string>, url = '/api/v1/me') =>
    app.inject({ method: 'GET', url, headers });

  it('a key over its budget gets 429 problem+json with Retry-After, counted across processes', async () => {
    const key = await t.apiKey('agent');
    const h = key.headers;
    for (let i = 0; i < 3; i++) expect((await call(t.app, h)).statusCode).toBe(200);
    await t.ctx.jobs.runAll(); // process A shares its 3
    expect((await call(other.app, h)).statusCode).toBe(200); // B: 1 of its own
    await other.ctx.jobs.runAll(); // B learns the total: 4
    expect((await call(other.app, h)).statusCode).toBe(200); // 5
    const over = await call(other.app, h);
    expect(over.statusCode).toBe(429);
    expect(over.headers['content-type']).toContain('application/problem+json');
    expect(over.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect(over.json().detail).toMatch(/5 requests a minute/);
    // 55 seconds are left in this minute's window.
    expect(over.headers['retry-after']).toBe('55');
    await other.ctx.jobs.runAll();
    await t.ctx.jobs.runAll();
    expect((await call(t.app, h)).statusCode).toBe(429);

    // Another user's budget is their own.
    const someoneElse = await t.apiKey('agent');
    expect((await call(t.app, someoneElse.headers)).statusCode).toBe(200);

    // The next window starts afresh.
    clock.advance(56_000);
    expect((await call(t.app, h)).statusCode).toBe(200);
  });

  it('lookup-only keys have their own, higher budget; sessions are limited per user', async () => {
    const ivr = await t.apiKey('agent', 'lookup');
    const codes: number[] = [];
    for (let i = 0; i < 9; i++) codes.push((await call(t.app, ivr.headers)).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429]);

    const agent = await t.user('agent');
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) seen.push((await agent.get('/api/v1/me')).statusCode);
    expect(seen).toEqual([200, 200, 200, 200, 200, 429]);
    clock.advance(60_000);
  });

  it('the console, the Support Center, the API and errors carry the security headers', async () => {
    for (const url of ['/', '/portal', '/customers', '/api/v1/me', '/api/v1/nothing-here', '/healthz', '/docs/']) {
      const res = await t.app.inject({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy']);
      expect(csp, url).toContain("script-src 'self'");
      expect(csp, url).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp, url).not.toMatch(/unsafe-eval/);
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toContain("object-src 'none'");
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['cross-origin-opener-policy'], url).toBe('same-origin');
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
    }
    // Behind a TLS-terminating proxy (trusted): HSTS.
    const https = await t.app.inject({ method: 'GET', url: '/', headers: { 'x-forwarded-proto': 'https' } });
    expect(https.headers['strict-transport-security']).toBe(HSTS);
  });

  it('the built console and Support Center pages have no inline script', async () => {
    for (const url of ['/', '/portal']) {
      const html = (await t.app.inject({ method: 'GET', url })).body;
      if (!html.includes('<script')) continue; // console not built: the placeholder page
      const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter(
        ([, attrs, body]) => !/\bsrc=/.test(attrs) || body.trim() !== '',
      );
      expect(inline, url).toEqual([]);
      expect(html, url).not.toMatch(/\son[a-z]+=/i);
    }
  });
});
