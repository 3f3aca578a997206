import { execFileSync } from 'node:child_process';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../db/adapter.js';
import { ON_POSTGRES, startTestApp, type TestApp } from '../../../test/helpers.js';
import { EXPORT_COLUMNS } from './tables.js';

/** Every table row whose text, jsonb, array or bytea columns contain one of the strings (case-insensitive). */
async function findStrings(db: Queryable, needles: string[]): Promise<string[]> {
  const cols = await db.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
        AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea', 'tsvector')`,
  );
  const found: string[] = [];
  for (const c of cols) {
    const expr =
      c.data_type === 'bytea' ? `lower(encode("${c.column_name}", 'escape'))` : `lower("${c.column_name}"::text)`;
    for (const n of needles) {
      const rows = await db.query<{ n: number }>(
        `SELECT count(*) AS n FROM "${c.table_name}" WHERE strpos(${expr}, $1) > 0`,
        [n.toLowerCase()],
      );
      if (rows[0].n > 0) found.push(`${c.table_name}.${c.column_name} holds "${n}"`);
    }
  }
  return found;
}

/**
 * Privacy requests: the archive of everything about one customer, and erasure
 * everywhere (append-only tables included), proven by scanning every text,
 * jsonb, array and bytea column of the database (and, on PostgreSQL, a
 * pg_dump of it) for the person's identifying strings.
 */
describe('privacy requests', () => {
  let t: TestApp;
  let customerId: string;
  let otherId: string;
  const EMAIL = 'zelda.quuxington@example.test';
  const PHONE = '+44 20 7946 0123';
  const E164 = '+442079460123';
  const needles = [EMAIL, 'Quuxington', 'Zeldarine', E164, PHONE, 'Xyzzy Widgets'];

  beforeAll(async () => {
    t = await startTestApp();
    const c = await t.admin.post('/api/v1/customers', {
      firstName: 'Zeldarine',
      lastName: 'Quuxington',
      company: 'Xyzzy Widgets',
      email: EMAIL,
      phones: [{ type: 'mobile', number: PHONE }],
      notes: `Prefers email ${EMAIL}`,
      primaryAddress: { street: '7 Quuxington Lane', city: 'Leeds' },
      // Tags are free text too: a person's name in one must go with the rest.
      tags: ['quuxington family'],
    });
    expect(c.statusCode, c.body).toBe(201);
    customerId = c.json().id;
    const other = await t.admin.post('/api/v1/customers', { firstName: 'Other', lastName: 'Person' });
    otherId = other.json().id;
    const patch = await t.admin.patch(`/api/v1/customers/${customerId}`, { notes: 'Zeldarine called', version: 1 });
    expect(patch.statusCode, patch.body).toBe(200);
    const k = await t.admin.post('/api/v1/cases', {
      customerId,
      subject: 'Zeldarine Quuxington cannot sign in',
      description: `Write to ${EMAIL} or call ${PHONE}`,
      visibility: 'private',
      tags: ['zeldarine escalation'],
    });
    expect(k.statusCode, k.body).toBe(201);
    const caseId = k.json().id as string;
    const fu = await t.admin.post(`/api/v1/cases/${caseId}/follow-ups`, {
      kind: 'call',
      body: `Spoke to Zeldarine on ${PHONE}`,
    });
    expect(fu.statusCode, fu.body).toBe(201);
    const task = await t.admin.post('/api/v1/tasks', {
      type: 'call',
      subject: 'Call Zeldarine back',
      customerId,
      caseId,
      notes: `number ${PHONE}`,
    });
    expect(task.statusCode, task.body).toBe(201);
    const call = await t.admin.post('/api/v1/interactions', { channel: 'phone', direction: 'inbound', from: E164 });
    expect(call.statusCode, call.body).toBe(201);
    // An email on the case, with its raw message and an attachment (as the email channel stores them).
    const [msg] = await t.db.query<{ id: string }>(
      `INSERT INTO email_messages (direction, dedupe_key, case_id, from_address, subject, text_body, raw, envelope)
       VALUES ('inbound', 'zq-1', $1, $2, 'Help from Zeldarine', 'Regards, Zeldarine Quuxington', $3, $4) RETURNING id`,
      [caseId, EMAIL, Buffer.from(`From: Zeldarine Quuxington <${EMAIL}>\r\n\r\nHello`), { from: EMAIL }],
    );
    await t.db.query(
      `INSERT INTO email_attachments (message_id, position, filename, content_type, size, content)
       VALUES ($1, 0, 'quuxington-id.txt', 'text/plain', 20, $2)`,
      [msg.id, Buffer.from(`ID of Zeldarine ${EMAIL}`)],
    );
    await t.db.query(`INSERT INTO portal_accounts (customer_id, password_hash) VALUES ($1, 'x')`, [customerId]);
  });
  afterAll(async () => t?.close());

  it('the archive holds the record, cases, follow-ups, tasks, interactions, history, emails and attachments', async () => {
    const res = await t.admin.get(`/api/v1/customers/${customerId}/privacy-export`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    const files = unzipSync(new Uint8Array(res.rawPayload));
    const read = (name: string) => JSON.parse(strFromU8(files[name])) as Record<string, unknown>[];
    expect(read('customer.json')).toMatchObject({ email: EMAIL, phones: [{ e164: E164 }] });
    expect(read('cases.json')).toHaveLength(1);
    expect(read('follow-ups.json').length).toBeGreaterThanOrEqual(1);
    expect(read('tasks.json')).toHaveLength(1);
    expect(read('interactions.json')).toHaveLength(1);
    expect(read('history.json').length).toBeGreaterThanOrEqual(3);
    expect(read('emails.json')).toHaveLength(1);
    expect(Object.keys(files).some((f) => f.endsWith('.eml'))).toBe(true);
    expect(Object.keys(files).some((f) => f.endsWith('quuxington-id.txt'))).toBe(true);
    expect(read('external-ids.json')).toEqual([]);
    expect(JSON.stringify(read('support-center.json'))).not.toContain('password_hash');
  });

  it('the archive holds no internal column: no search word lists, sort or match keys', async () => {
    const res = await t.admin.get(`/api/v1/customers/${customerId}/privacy-export`);
    expect(res.statusCode, res.body).toBe(200);
    const files = unzipSync(new Uint8Array(res.rawPayload));
    const read = (name: string) => JSON.parse(strFromU8(files[name])) as unknown;
    const keysOf = (v: unknown): string[] =>
      Array.isArray(v)
        ? v.flatMap(keysOf)
        : v && typeof v === 'object'
          ? Object.entries(v).flatMap(([k, x]) => [k, ...(k === 'custom_fields' ? [] : keysOf(x))])
          : [];
    const internal = Object.values(EXPORT_COLUMNS).flatMap((c) => c.internal as readonly string[]);
    expect(internal).toContain('search');
    const archive: [string, string, number][] = [
      ['customer.json', 'customers', 1],
      ['cases.json', 'cases', 1],
      ['follow-ups.json', 'case_follow_ups', 1],
      ['tasks.json', 'tasks', 1],
      ['interactions.json', 'interactions', 1],
      ['emails.json', 'email_messages', 1],
      ['history.json', 'history', 3],
    ];
    for (const [file, table, atLeast] of archive) {
      const content = read(file);
      const rows = Array.isArray(content) ? content : [content];
      expect(rows.length, file).toBeGreaterThanOrEqual(atLeast);
      // Each row's own columns are exactly the documented ones (emails.json: without the raw message).
      const documented = EXPORT_COLUMNS[table as keyof typeof EXPORT_COLUMNS].exported.filter(
        (c) => !(table === 'email_messages' && c === 'raw'),
      );
      for (const row of rows as Record<string, unknown>[]) {
        expect(
          Object.keys(row).filter((k) => k !== 'phones'),
          file,
        ).toEqual(documented);
      }
      expect(keysOf(content).filter((k) => internal.includes(k), file)).toEqual([]);
    }
    const phones = (read('customer.json') as { phones: Record<string, unknown>[] }).phones;
    expect(Object.keys(phones[0])).toEqual(EXPORT_COLUMNS.customer_phones.exported);
  });

  it('erasure needs customers.erase; the append-only guards still refuse everyone else', async () => {
    const agent = await t.user('agent');
    const res = await agent.post(`/api/v1/customers/${customerId}/erase`, { reason: 'request 42' });
    expect(res.statusCode).toBe(403);
    await expect(t.db.query(`UPDATE history SET changes = '[]' WHERE record_id = $1`, [customerId])).rejects.toThrow(
      /append-only/,
    );
    await expect(t.db.query(`UPDATE case_follow_ups SET body = 'x'`)).rejects.toThrow(/append-only/);
    expect((await t.admin.post(`/api/v1/customers/${customerId}/erase`, {})).statusCode).toBe(400);
  });

  it('erases every trace of the person, leaves a shell and an erasure record; twice is harmless', async () => {
    expect((await findStrings(t.db, needles)).length).toBeGreaterThan(5);
    expect((await t.admin.get(`/api/v1/customers/${customerId}/erasure`)).json()).toEqual({ erasure: null });
    const res = await t.admin.post(`/api/v1/customers/${customerId}/erase`, { reason: 'privacy request 42' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ alreadyErased: false, counts: { cases: 1, phones: 1, emailAttachments: 1 } });

    expect(await findStrings(t.db, needles)).toEqual([]);
    if (ON_POSTGRES && t.dbDirectUrl) {
      // Straight to PostgreSQL: pg_dump sets session state before its transaction, which a transaction pooler drops.
      const dump = execFileSync('pg_dump', ['--data-only', t.dbDirectUrl], { maxBuffer: 256 * 1024 * 1024 }).toString();
      for (const n of needles) expect(dump.toLowerCase().includes(n.toLowerCase()), n).toBe(false);
    }

    const shell = (await t.admin.get(`/api/v1/customers/${customerId}`)).json();
    expect(shell).toMatchObject({ firstName: 'Erased', lastName: 'Customer', email: null, phones: [] });
    expect((await t.admin.get(`/api/v1/cases?customerId=${customerId}`)).json().items).toHaveLength(1);
    const other = (await t.admin.get(`/api/v1/customers/${otherId}`)).json();
    expect(other).toMatchObject({ firstName: 'Other', lastName: 'Person' });
    const audit = await t.db.query(
      `SELECT details FROM audit_log WHERE action = 'customer.erased' AND target_id = $1`,
      [customerId],
    );
    expect(audit).toHaveLength(1);
    // The erasure record (who, when, why) for the console's notice; agents may read it, nobody gets it for no customer.
    const agent = await t.user('agent');
    const record = await agent.get(`/api/v1/customers/${customerId}/erasure`);
    expect(record.statusCode, record.body).toBe(200);
    expect(record.json()).toEqual({
      erasure: { erasedAt: res.json().erasedAt, erasedBy: expect.any(String), reason: 'privacy request 42' },
    });
    expect((await agent.get('/api/v1/customers/00000000-0000-4000-8000-000000000000/erasure')).statusCode).toBe(404);
    expect((await agent.get('/api/v1/customers/not-an-id/erasure')).statusCode).toBe(404);

    const again = await t.admin.post(`/api/v1/customers/${customerId}/erase`, { reason: 'again' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ alreadyErased: true });
    // Still guarded after the erasure's transaction ended.
    await expect(t.db.query(`UPDATE history SET changes = '[]' WHERE record_id = $1`, [customerId])).rejects.toThrow(
      /append-only/,
    );
  });
});
