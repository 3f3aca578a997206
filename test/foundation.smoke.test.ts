import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers.js';

describe('foundation smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('answers healthz, me, openapi', async () => {
    expect((await t.anonymous.get('/healthz')).statusCode).toBe(200);
    const me = await t.admin.get('/api/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json().role).toBe('admin');
    const doc = await t.anonymous.get('/api/openapi.json');
    expect(doc.json().openapi).toBe('3.1.0');
    expect((await t.anonymous.get('/api/v1/me')).statusCode).toBe(401);
  });
});
