import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../http/actor.js';
import { PASSWORD, startTestApp, type TestApp } from '../../../test/helpers.js';
import { recordAudit } from './service.js';

/** The readable audit trail: filters, pages, CSV export, retention, and what writes to it. */
describe('audit trail, readable', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Webhooks to loopback are allowed here so an endpoint can be created, changed and removed.
    t = await startTestApp({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
  });
  afterAll(async () => t?.close());

  const list = async (query: string) => {
    const res = await t.admin.get(`/api/v1/audit?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as {
      items: { action: string; actorId: string | null; targetId: string | null; at: string; details: unknown }[];
      nextCursor: string | null;
    };
  };

  it('the sign-in audit moved into the trail', async () => {
    const tables = await t.db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'signin_audit'`);
    expect(tables).toHaveLength(0);
    const signins = await list('action=auth.signin');
    expect(signins.items.length).toBeGreaterThan(0);
  });

  it('filters by action (exact or area.*), actor and dates, newest first, in pages', async () => {
    const agent = await t.user('agent');
    await agent.post('/api/v1/api-keys', { name: 'k1' });
    await agent.post('/api/v1/api-keys', { name: 'k2' });
    const keys = await list(`action=api_key.created&actorId=${agent.userId}`);
    expect(keys.items.map((i) => (i.details as { name: string }).name)).toEqual(['k2', 'k1']);
    const page1 = await list(`action=api_key.*&actorId=${agent.userId}&limit=1`);
    expect(page1.items).toHaveLength(1);
    const page2 = await list(`action=api_key.*&actorId=${agent.userId}&limit=1&cursor=${page1.nextCursor}`);
    expect(page2.items[0].details).toMatchObject({ name: 'k1' });
    const auth = await list(`action=auth.*&actorId=${agent.userId}`);
    expect(auth.items.every((i) => i.action.startsWith('auth.'))).toBe(true);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await list(`from=${encodeURIComponent(future)}`)).items).toHaveLength(0);
    const past = new Date(Date.now() - 3600_000).toISOString();
    expect((await list(`to=${encodeURIComponent(past)}`)).items).toHaveLength(0);
    const bad = await t.admin.get(`/api/v1/audit?from=${encodeURIComponent(future)}&to=${encodeURIComponent(past)}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('to');
    expect((await t.admin.get('/api/v1/audit?actorId=nope')).json().errors[0].field).toBe('actorId');
    expect((await agent.get('/api/v1/audit')).statusCode).toBe(403);
  });

  it('records users and privileges, custom fields and settings changes', async () => {
    const created = await t.admin.post('/api/v1/users', {
      email: 'audited@example.test',
      password: PASSWORD,
      role: 'agent',
    });
    const id = created.json().id as string;
    await t.admin.patch(`/api/v1/users/${id}`, { role: 'supervisor', version: created.json().version });
    expect(
      (await list(`action=user.created`)).items.some(
        (i) => (i.details as { email: string }).email === 'audited@example.test',
      ),
    ).toBe(true);
    expect((await list(`action=user.privileges_changed`)).items[0].details).toMatchObject({
      changes: [{ field: 'role', from: 'agent', to: 'supervisor' }],
    });
    const field = await t.admin.post('/api/v1/custom-fields', {
      objectType: 'customer',
      key: 'tier',
      label: 'Tier',
      type: 'text',
    });
    expect(field.statusCode).toBe(201);
    expect((await list('action=custom_field.created')).items[0].details).toMatchObject({ key: 'tier' });
    const settings = (await t.admin.get('/api/v1/case-settings')).json();
    const put = await t.admin.put('/api/v1/case-settings', {
      reopen: { policy: 'never' },
      version: settings.version,
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(
      (await list('action=settings.changed')).items.some((i) => JSON.stringify(i.details).includes('reopen')),
    ).toBe(true);
  });

  it('records API key revocation, webhook endpoint changes and removal, and privacy archives', async () => {
    const agent = await t.user('agent');
    const key = (await agent.post('/api/v1/api-keys', { name: 'to revoke' })).json() as { id: string };
    expect((await agent.delete(`/api/v1/api-keys/${key.id}`)).statusCode).toBe(204);
    const revoked = await list(`action=api_key.revoked&actorId=${agent.userId}`);
    expect(revoked.items).toHaveLength(1);

    const hook = (
      await t.admin.post('/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['customer.created'] })
    ).json() as { id: string };
    expect((await t.admin.patch(`/api/v1/webhooks/${hook.id}`, { description: 'billing sync' })).statusCode).toBe(200);
    expect((await t.admin.delete(`/api/v1/webhooks/${hook.id}`)).statusCode).toBe(204);
    const hooks = await list('action=webhook.*');
    const ofHook = hooks.items.filter((i) => i.targetId === hook.id).map((i) => i.action);
    expect(ofHook).toEqual(['webhook.deleted', 'webhook.updated', 'webhook.created']);

    const customer = (await t.admin.post('/api/v1/customers', { firstName: 'Ada', lastName: 'Archive' })).json() as {
      id: string;
    };
    expect((await t.admin.get(`/api/v1/customers/${customer.id}/privacy-export`)).statusCode).toBe(200);
    const archives = await list('action=customer.privacy_exported');
    expect(archives.items.map((i) => i.targetId)).toContain(customer.id);
  });

  it('exports the filtered trail as CSV, spreadsheet formulas defused, and records the export', async () => {
    await t.db.transaction((tx) =>
      recordAudit(tx, systemActor(), {
        action: 'test.csv_line',
        details: { note: 'plain' },
        userAgent: '=HYPERLINK("http://evil.example")',
      }),
    );
    const res = await t.admin.get('/api/v1/audit/export?action=test.*');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = res.body.trim().split('\n');
    expect(lines[0]).toBe('at,action,actorName,actorKind,actorId,targetType,targetId,ip,userAgent,details,id');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
    expect(lines[1]).toContain('"{""note"":""plain""}"');
    expect((await list('action=audit.exported')).items[0].details).toMatchObject({ filter: { action: 'test.*' } });
    expect((await t.admin.get('/api/v1/audit/export?action=BAD')).statusCode).toBe(400);
  });

  it('keeps lines for the configured retention; the trigger still refuses every other delete', async () => {
    expect((await t.admin.get('/api/v1/audit/settings')).json()).toEqual({ retentionDays: null, version: 0 });
    const tooShort = await t.admin.put('/api/v1/audit/settings', { retentionDays: 7 });
    expect(tooShort.statusCode).toBe(400);
    expect(tooShort.json().errors[0].field).toBe('retentionDays');
    await t.db.query(
      `INSERT INTO audit_log (at, actor_name, actor_kind, action) VALUES
         (now() - interval '400 days', 'old', 'system', 'test.old'),
         (now() - interval '100 days', 'recent', 'system', 'test.recent')`,
    );
    // Nothing is pruned while retention is "for ever".
    expect(await t.ctx.services.audit.prune()).toBe(0);
    const set = await t.admin.put('/api/v1/audit/settings', { retentionDays: 365, version: 0 });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({ retentionDays: 365, version: 1 });
    const stale = await t.admin.put('/api/v1/audit/settings', { retentionDays: 400, version: 0 });
    expect(stale.statusCode).toBe(409);

    // Outside the prune, no delete passes: not a plain one, not with the flag on a line within the retention.
    await expect(t.db.query(`DELETE FROM audit_log WHERE action = 'test.old'`)).rejects.toThrow(/append-only/);
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('switchboard.audit_prune', 'on', true)`);
        await tx.query(`DELETE FROM audit_log WHERE action = 'test.recent'`);
      }),
    ).rejects.toThrow(/append-only/);
    await expect(t.db.query(`UPDATE audit_log SET actor_name = 'x' WHERE action = 'test.old'`)).rejects.toThrow(
      /append-only/,
    );

    await t.ctx.jobs.runAll();
    const left = await t.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE action LIKE 'test.%'`);
    expect(left.map((r) => r.action).sort()).toEqual(['test.csv_line', 'test.recent']);
    expect((await list('action=audit.pruned')).items[0].details).toEqual({ count: 1 });
    expect((await list('action=settings.changed')).items[0].details).toEqual({ from: null, to: 365 });
  });
});
