import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ON_POSTGRES, startTestApp, type TestApp } from './helpers.js';

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

  it.runIf(ON_POSTGRES)('runs PostgreSQL sessions without JIT and with the statement timeout', async () => {
    // A cached generic plan whose estimate crossed jit_above_cost would compile on every execution.
    expect(await t.db.query('SHOW jit')).toEqual([{ jit: 'off' }]);
    expect((await t.db.query<{ statement_timeout: string }>('SHOW statement_timeout'))[0].statement_timeout).not.toBe(
      '0',
    );
  });
});
