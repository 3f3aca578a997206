import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { CaseRetention } from './retention.js';

const DAY = 86_400_000;

/**
 * Retention of closed cases: the administrator's setting (validated, versioned,
 * audited) and the job that erases closed cases past it — with their follow-ups,
 * emails and attachments — leaving open and recent cases alone, never twice.
 */
describe('retention of closed cases', () => {
  let t: TestApp;
  // The job's own clock: moving the app's clock would end the administrator's session.
  const clock = new ManualClock('2026-01-10T09:00:00Z');
  let retention: CaseRetention;
  let oldCase: { id: string; caseNumber: number };
  let recentCase: { id: string };
  let openCase: { id: string };

  const newCase = async (subject: string) => {
    const c = await t.admin.post('/api/v1/cases', { customerId, subject, description: `About ${subject}` });
    expect(c.statusCode, c.body).toBe(201);
    const body = c.json() as { id: string; caseNumber: number; version: number };
    const fu = await t.admin.post(`/api/v1/cases/${body.id}/follow-ups`, { kind: 'note', body: `Notes on ${subject}` });
    expect(fu.statusCode, fu.body).toBe(201);
    return body;
  };
  const close = async (c: { id: string }, at: string) => {
    const current = (await t.admin.get(`/api/v1/cases/${c.id}`)).json() as { version: number };
    const r = await t.admin.patch(`/api/v1/cases/${c.id}`, { status: 'closed', version: current.version });
    expect(r.statusCode, r.body).toBe(200);
    await t.db.query('UPDATE cases SET closed_at = $2 WHERE id = $1', [c.id, at]);
  };
  let customerId: string;

  beforeAll(async () => {
    t = await startTestApp();
    retention = new CaseRetention(t.db, clock);
    customerId = (await t.admin.post('/api/v1/customers', { firstName: 'Rita', lastName: 'Tension' })).json().id;
    oldCase = await newCase('Broken kettle of 2025');
    recentCase = await newCase('Broken toaster');
    openCase = await newCase('Broken fridge');
    await close(oldCase, '2025-09-01T12:00:00Z');
    await close(recentCase, '2025-12-20T12:00:00Z');
    const [msg] = await t.db.query<{ id: string }>(
      `INSERT INTO email_messages (direction, dedupe_key, case_id, from_address, subject, text_body, raw, envelope)
       VALUES ('inbound', 'ret-1', $1, 'rita@example.test', 'Kettle', 'The kettle leaks', $2, '{}') RETURNING id`,
      [oldCase.id, Buffer.from('From: rita@example.test\r\n\r\nThe kettle leaks')],
    );
    await t.db.query(
      `INSERT INTO email_attachments (message_id, position, filename, content_type, size, content)
       VALUES ($1, 0, 'kettle.jpg', 'image/jpeg', 4, $2)`,
      [msg.id, Buffer.from('jpeg')],
    );
  });
  afterAll(async () => t?.close());

  it('is kept for ever until an administrator sets it; bad values are refused naming the field', async () => {
    expect((await t.admin.get('/api/v1/privacy/retention')).json()).toEqual({ closedCaseMonths: null, version: 1 });
    expect(await retention.apply()).toBe(0);
    for (const closedCaseMonths of [0, 1201, 2.5, 'three']) {
      const r = await t.admin.put('/api/v1/privacy/retention', { closedCaseMonths });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.body).toContain('closedCaseMonths');
    }
    const agent = await t.user('agent');
    expect((await agent.put('/api/v1/privacy/retention', { closedCaseMonths: 3 })).statusCode).toBe(403);
    expect((await agent.get('/api/v1/privacy/retention')).statusCode).toBe(403);
    const set = await t.admin.put('/api/v1/privacy/retention', { closedCaseMonths: 3, version: 1 });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual({ closedCaseMonths: 3, version: 2 });
    expect((await t.admin.put('/api/v1/privacy/retention', { closedCaseMonths: 4, version: 1 })).statusCode).toBe(409);
    const audit = await t.db.query(`SELECT details FROM audit_log WHERE target_id = 'privacy.closedCaseMonths'`);
    expect(audit.map((a) => a.details)).toContainEqual({ from: null, to: 3 });
  });

  it('erases closed cases past the retention with their follow-ups and emails, and nothing else', async () => {
    clock.set(new Date(Date.parse('2026-01-10T09:00:00Z') + 2 * DAY));
    expect(await retention.apply()).toBe(1);

    const erased = (await t.admin.get(`/api/v1/cases/${oldCase.id}`)).json();
    expect(erased).toMatchObject({ subject: '[erased]', description: '', status: 'closed', customerId });
    const followUps = (await t.admin.get(`/api/v1/cases/${oldCase.id}/follow-ups`)).json().items as {
      body: string;
    }[];
    expect(followUps.length).toBeGreaterThan(0);
    for (const f of followUps) expect(f.body).toBe('[erased]');
    const [msg] = await t.db.query(
      `SELECT from_address, text_body, raw FROM email_messages WHERE dedupe_key = 'ret-1'`,
    );
    expect(msg).toEqual({ from_address: null, text_body: null, raw: null });
    expect(await t.db.query(`SELECT 1 FROM email_attachments WHERE filename = 'kettle.jpg'`)).toHaveLength(0);
    const history = await t.db.query<{ changes: unknown[] }>('SELECT changes FROM history WHERE record_id = $1', [
      oldCase.id,
    ]);
    for (const h of history) expect(h.changes).toEqual([]);

    for (const kept of [recentCase, openCase]) {
      const c = (await t.admin.get(`/api/v1/cases/${kept.id}`)).json();
      expect(c.subject).toMatch(/^Broken /);
      const fus = (await t.admin.get(`/api/v1/cases/${kept.id}/follow-ups`)).json().items as { body: string }[];
      expect(fus.some((f) => f.body.startsWith('Notes on'))).toBe(true);
    }
    const [line] = await t.db.query<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_log WHERE action = 'cases.retention_erased'`,
    );
    expect(line.details).toMatchObject({ months: 3, cases: 1, caseNumbers: [oldCase.caseNumber] });
    // The append-only guards hold again after the job's transaction.
    await expect(t.db.query(`UPDATE case_follow_ups SET body = 'x'`)).rejects.toThrow(/append-only/);
  });

  it('never erases a case twice, and stops when the retention is switched off', async () => {
    expect(await retention.apply()).toBe(0);
    clock.set('2026-04-01T09:00:00Z'); // the recent case is now past three months too
    const current = (await t.admin.get('/api/v1/privacy/retention')).json();
    expect(
      (await t.admin.put('/api/v1/privacy/retention', { closedCaseMonths: null, version: current.version })).statusCode,
    ).toBe(200);
    expect(await retention.apply()).toBe(0);
    expect((await t.admin.get(`/api/v1/cases/${recentCase.id}`)).json().subject).toBe('Broken toaster');
    expect(await t.db.query(`SELECT case_id FROM privacy_case_erasures`)).toEqual([{ case_id: oldCase.id }]);
  });
});
