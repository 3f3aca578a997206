import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { FORMULA_CORPUS } from '../../formats/spreadsheet-cells.test.js';
import { PAGE_ROWS } from './service.js';

/**
 * Exports end to end, on whichever engine the suite runs: CSV and JSON Lines,
 * custom fields as columns, filters and chosen columns, the formula-injection
 * corpus, export → import round trip, `updatedSince` with tombstones, a
 * snapshot while 20 writers change records, background exports with gzip,
 * "My downloads" (owner only, expiry), privileges and the audit trail.
 */
describe('exports', () => {
  let t: TestApp;
  const clock = new ManualClock();
  const csvRows = (body: string) => parse(body, { columns: true, bom: true }) as Record<string, string>[];
  const jsonLines = (body: string) =>
    body
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  async function customer(body: Record<string, unknown>, who: TestClient = t.admin) {
    const res = await who.post('/api/v1/customers', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; version: number };
  }

  beforeAll(async () => {
    // The clock jumps past the file's keep time (an hour); the signed-in exporter must outlive it.
    t = await startTestApp({ clock, env: { EXPORT_KEEP_HOURS: '1', SESSION_IDLE_MINUTES: '180' } });
    for (const f of [
      {
        key: 'tier',
        label: 'Tier',
        type: 'singlePick',
        filterable: true,
        options: [
          { key: 'gold', label: 'Gold' },
          { key: 'silver', label: 'Silver' },
        ],
      },
      { key: 'nick', label: 'Nickname', type: 'text' },
    ]) {
      const res = await t.admin.post('/api/v1/custom-fields', { objectType: 'customer', ...f });
      expect(res.statusCode, res.body).toBe(201);
    }
  });
  afterAll(async () => t?.close());

  it('customers as CSV: custom fields as columns, phones by type, formula-like text neutralised', async () => {
    await customer({
      accountNumber: 'EXP-1',
      firstName: '=HYPERLINK("http://evil.example")',
      lastName: 'Müller',
      email: 'exp1@example.test',
      phones: [
        { type: 'mobile', number: '+44 20 7946 0958' },
        { type: 'voice', number: '(415) 555-0101' },
      ],
      vip: true,
      // A bare LF or CR must be quoted too, not only the CRLF that ends a record.
      notes: 'line one\nline two\rline three',
      customFields: { tier: 'gold', nick: '@handle' },
    });
    const res = await t.admin.get('/api/v1/exports/customers?accountNumber=EXP-1');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.body).toContain('\r\n');
    // Quoted in the file itself (a lenient parser would read it back either way; spreadsheets would not).
    expect(res.body).toContain('"line one\nline two\rline three"');
    const rows = csvRows(res.body);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({
      'Account number': 'EXP-1',
      'First name': `'=HYPERLINK("http://evil.example")`,
      'Last name': 'Müller',
      Mobile: `'+44 20 7946 0958`,
      Phone: '(415) 555-0101',
      VIP: 'true',
      Notes: 'line one\nline two\rline three',
      Tier: 'gold',
      Nickname: "'@handle",
    });
    const bom = await t.admin.get('/api/v1/exports/customers?accountNumber=EXP-1&bom=true');
    expect(bom.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('JSON Lines: nested addresses, phones and custom fields, values as they are (no spreadsheet quoting)', async () => {
    const res = await t.admin.get('/api/v1/exports/customers?accountNumber=EXP-1&format=jsonl');
    expect(res.statusCode, res.body).toBe(200);
    const [c] = jsonLines(res.body);
    expect(c).toMatchObject({
      accountNumber: 'EXP-1',
      firstName: '=HYPERLINK("http://evil.example")',
      phones: [
        { type: 'mobile', number: '+44 20 7946 0958', e164: '+442079460958' },
        { type: 'voice', number: '(415) 555-0101' },
      ],
      primaryAddress: { street: null, city: null },
      customFields: { tier: 'gold', nick: '@handle' },
    });
    // Times exactly as the API writes them (the database formats them for the export).
    const api = (await t.admin.get(`/api/v1/customers/${String(c.id)}`)).json() as Record<string, unknown>;
    expect([c.createdAt, c.updatedAt]).toEqual([api.createdAt, api.updatedAt]);
    expect(c.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('filters (list filters and cf.*) apply; columns come in the order asked; bad input is a 400 naming it', async () => {
    await customer({
      accountNumber: 'EXP-2',
      firstName: 'Silvia',
      lastName: 'Plain',
      customFields: { tier: 'silver' },
    });
    const silver = csvRows(
      (await t.admin.get('/api/v1/exports/customers?cf.tier=silver&columns=lastName,accountNumber')).body,
    );
    expect(silver).toEqual([{ 'Last name': 'Plain', 'Account number': 'EXP-2' }]);
    const vip = csvRows((await t.admin.get('/api/v1/exports/customers?vip=true&columns=accountNumber')).body);
    expect(vip.map((r) => r['Account number'])).toEqual(['EXP-1']);

    for (const [q, field] of [
      ['columns=nope', 'columns'],
      ['cf.nope=1', 'cf.nope'],
    ]) {
      const bad = await t.admin.get(`/api/v1/exports/customers?${q}`);
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.json().errors[0].field).toBe(field);
    }
    const badId = await t.admin.get('/api/v1/exports/cases?customerId=x');
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0]).toMatchObject({ field: 'customerId' });
  });

  it("the lists' filters (postal code; case words, number, severity, owner, visibility) and the bounded count", async () => {
    const c = await customer({
      accountNumber: 'LIST-1',
      firstName: 'Lisa',
      lastName: 'Filter',
      primaryAddress: { street: '1 Main St', city: 'Leeds', postalCode: 'ls1 4ap' },
    });
    const byPostal = csvRows(
      (await t.admin.get('/api/v1/exports/customers?postalCode=LS14AP&columns=accountNumber')).body,
    );
    expect(byPostal.map((r) => r['Account number'])).toEqual(['LIST-1']);
    const count = await t.admin.get('/api/v1/exports/customers/count?postalCode=LS1%204AP');
    expect(count.statusCode, count.body).toBe(200);
    expect(count.json()).toEqual({ rows: 1, more: false });

    const made: { caseNumber: number }[] = [];
    for (const body of [
      { subject: 'Boiler makes a rattling noise', severity: 'critical' },
      { subject: 'Invoice question', visibility: 'private' },
    ]) {
      const res = await t.admin.post('/api/v1/cases', { customerId: c.id, ...body });
      expect(res.statusCode, res.body).toBe(201);
      made.push(res.json() as { caseNumber: number });
    }
    const subjects = async (q: string) =>
      csvRows((await t.admin.get(`/api/v1/exports/cases?customerId=${c.id}&columns=subject&${q}`)).body).map(
        (r) => r.Subject,
      );
    expect(await subjects('q=rattling')).toEqual(['Boiler makes a rattling noise']);
    expect(await subjects(`caseNumber=${made[1].caseNumber}`)).toEqual(['Invoice question']);
    expect(await subjects('visibility=private')).toEqual(['Invoice question']);
    expect((await subjects('unassigned=true')).sort()).toEqual(['Boiler makes a rattling noise', 'Invoice question']);
    expect(await subjects('unassigned=false')).toEqual([]);
    const sev = await t.admin.get(`/api/v1/exports/cases/count?customerId=${c.id}&severity=critical`);
    expect(sev.json()).toEqual({ rows: 1, more: false });

    const bad = await t.admin.get('/api/v1/exports/cases/count?caseNumber=abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toContain('caseNumber');
    const agent = await t.user('agent');
    expect((await agent.get('/api/v1/exports/customers/count')).statusCode).toBe(403);
    // A background export's case number is checked before a job exists (no job is made here).
    const badJob = await t.admin.post('/api/v1/exports', { object: 'cases', filters: { caseNumber: 'abc' } });
    expect(badJob.statusCode).toBe(400);
    expect(badJob.json().errors[0]).toMatchObject({
      field: 'caseNumber',
      message: 'Case number: a whole number above 0.',
    });
  });

  it("tags: the lists' tag filter as `tags=a,b` (every one), and a Tags column", async () => {
    const c = await customer({
      accountNumber: 'TAG-1',
      firstName: 'Tina',
      lastName: 'Tagged',
      tags: ['Billing', 'vip'],
    });
    await customer({ accountNumber: 'TAG-2', firstName: 'Hal', lastName: 'Half', tags: ['billing'] });
    const rows = csvRows(
      (await t.admin.get('/api/v1/exports/customers?tags=billing,%20VIP&columns=accountNumber,tags')).body,
    );
    expect(rows).toEqual([{ 'Account number': 'TAG-1', Tags: 'billing|vip' }]);
    const res = await t.admin.post('/api/v1/cases', { customerId: c.id, subject: 'Tagged case', tags: ['refund'] });
    expect(res.statusCode, res.body).toBe(201);
    const cases = jsonLines(
      (await t.admin.get('/api/v1/exports/cases?format=jsonl&tags=refund&columns=subject,tags')).body,
    );
    expect(cases).toEqual([{ subject: 'Tagged case', tags: ['refund'] }]);
    const count = await t.admin.get('/api/v1/exports/customers/count?tags=billing');
    expect(count.json()).toEqual({ rows: 2, more: false });
  });

  it('every formula-injection corpus value is neutralised in CSV and comes back exactly through the importer', async () => {
    const ids: string[] = [];
    for (const [i, v] of FORMULA_CORPUS.entries()) {
      ids.push((await customer({ accountNumber: `FX-${i}`, firstName: 'F', lastName: 'X', notes: v })).id);
    }
    const res = await t.admin.get('/api/v1/exports/customers?columns=accountNumber,notes');
    const rows = csvRows(res.body).filter((r) => r['Account number'].startsWith('FX-'));
    for (const r of rows) expect(r.Notes).toMatch(/^'/);
    // Back in: the importer strips exactly the added quote (update by account number).
    const up = await t.admin.request('POST', '/api/v1/imports?objectType=customers&fileName=fx.csv', res.body, {
      'content-type': 'text/csv',
    });
    expect(up.statusCode, up.body).toBe(201);
    const importId = up.json().id as string;
    // Change the stored notes first, so the import has to write them back.
    await t.db.query(`UPDATE customers SET notes = 'changed' WHERE account_number LIKE 'FX-%'`);
    const started = await t.admin.post(`/api/v1/imports/${importId}/start`, {
      mode: 'upsert',
      match: ['accountNumber'],
    });
    expect(started.statusCode, started.body).toBe(202);
    await t.ctx.services.jobs.runUntilIdle();
    const back = await t.db.query<{ account_number: string; notes: string }>(
      `SELECT account_number, notes FROM customers WHERE account_number LIKE 'FX-%'`,
    );
    expect(Object.fromEntries(back.map((b) => [b.account_number, b.notes]))).toEqual(
      Object.fromEntries(FORMULA_CORPUS.map((v, i) => [`FX-${i}`, v])),
    );
  });

  it('export → import → export: equal files (E.164 numbers, custom fields, addresses survive)', async () => {
    const cols =
      'accountNumber,firstName,lastName,company,email,phones,primaryAddress,secondaryAddress,notes,vip,draft,customFields';
    await customer({
      accountNumber: 'RT-1',
      firstName: 'Round',
      lastName: 'Trip',
      company: '-Minus Ltd',
      email: 'rt1@example.test',
      phones: [{ type: 'mobile', number: '+441632960961' }],
      primaryAddress: { street: '1 High St', city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' },
      customFields: { tier: 'silver', nick: '+nick' },
    });
    const first = (await t.admin.get(`/api/v1/exports/customers?accountNumber=RT-1&columns=${cols}`)).body;
    const id = (await t.db.query<{ id: string }>(`SELECT id FROM customers WHERE account_number = 'RT-1'`))[0].id;
    expect((await t.admin.delete(`/api/v1/customers/${id}`)).statusCode).toBe(204);

    const up = await t.admin.request('POST', '/api/v1/imports?objectType=customers&fileName=rt.csv', first, {
      'content-type': 'text/csv',
    });
    expect(up.statusCode, up.body).toBe(201);
    const fields = Object.fromEntries(
      up.json().suggestedMapping.columns.map((c: { column: string; field: string }) => [c.column, c.field]),
    );
    expect(fields).toMatchObject({ Mobile: 'phone', Tier: 'customFields.tier', Nickname: 'customFields.nick' });
    const started = await t.admin.post(`/api/v1/imports/${up.json().id}/start`, {});
    expect(started.statusCode, started.body).toBe(202);
    await t.ctx.services.jobs.runUntilIdle();
    const second = (await t.admin.get(`/api/v1/exports/customers?accountNumber=RT-1&columns=${cols}`)).body;
    expect(second).toBe(first);
    expect(csvRows(second)[0].Mobile).toBe("'+441632960961");
  });

  it('updatedSince: changed records and tombstones for deleted ones, nothing older', async () => {
    const old = await customer({ accountNumber: 'INC-OLD', firstName: 'Old', lastName: 'One' });
    const gone = await customer({ accountNumber: 'INC-GONE', firstName: 'Gone', lastName: 'One' });
    const [{ now: since }] = await t.db.query<{ now: Date }>('SELECT clock_timestamp() AS now');
    const changed = await customer({ accountNumber: 'INC-NEW', firstName: 'New', lastName: 'One' });
    expect((await t.admin.delete(`/api/v1/customers/${gone.id}`)).statusCode).toBe(204);
    const q = `updatedSince=${encodeURIComponent(since.toISOString())}`;
    const lines = jsonLines((await t.admin.get(`/api/v1/exports/customers?format=jsonl&${q}`)).body);
    expect(lines.map((l) => l.id)).toContain(changed.id);
    expect(lines.map((l) => l.id)).not.toContain(old.id);
    expect(lines.find((l) => l.id === gone.id)).toMatchObject({ deleted: true });
    const csv = csvRows((await t.admin.get(`/api/v1/exports/customers?${q}`)).body);
    expect(csv.find((r) => r.Id === gone.id)).toMatchObject({ Deleted: 'true', 'Account number': '' });
    expect(csv.find((r) => r.Id === changed.id)).toMatchObject({ Deleted: 'false' });
  });

  it('privileges: data.export is needed; private cases stay out for those who may not see them', async () => {
    const agent = await t.user('agent');
    expect((await agent.get('/api/v1/exports/customers')).statusCode).toBe(403);
    const c = await customer({ accountNumber: 'PRIV-1', firstName: 'Pri', lastName: 'Vate' });
    for (const visibility of ['public', 'private']) {
      const res = await t.admin.post('/api/v1/cases', { customerId: c.id, subject: `${visibility} case`, visibility });
      expect(res.statusCode, res.body).toBe(201);
    }
    const exporter = await t.user('agent', {
      privileges: ['customers.view', 'cases.view', 'tasks.view', 'data.export'],
    });
    const seen = csvRows((await exporter.get(`/api/v1/exports/cases?customerId=${c.id}`)).body);
    expect(seen.map((r) => r.Subject)).toEqual(['public case']);
    const all = csvRows((await t.admin.get(`/api/v1/exports/cases?customerId=${c.id}`)).body);
    expect(all.map((r) => r.Subject).sort()).toEqual(['private case', 'public case']);
    // Follow-ups, tasks, interactions and history export too.
    for (const object of ['followUps', 'tasks', 'interactions', 'history']) {
      const res = await t.admin.get(`/api/v1/exports/${object}?format=jsonl`);
      expect(res.statusCode, `${object}: ${res.body}`).toBe(200);
    }
    const audit = await t.db.query<{ target_type: string; details: { rows: number; completed: boolean } }>(
      `SELECT target_type, details FROM audit_log WHERE action = 'data.exported' AND actor_id = $1`,
      [exporter.userId],
    );
    expect(audit).toEqual([{ target_type: 'cases', details: expect.objectContaining({ rows: 1, completed: true }) }]);
  });

  it('one snapshot while 20 writers change records: every row exactly once, no pair half-changed', async () => {
    const n = PAGE_ROWS * 2 + 500;
    await t.db.query(
      `INSERT INTO customers (account_number, first_name, last_name)
       SELECT 'SNAP-' || lpad(g::text, 6, '0'), 'v0', 'v0' FROM generate_series(1, $1::int) g`,
      [n],
    );
    const half = n / 2;
    let stop = false;
    // Each write changes a pair of customers far apart in key order (different pages) and adds one.
    const writer = async (w: number) => {
      for (let i = 0; i < 15 && !stop; i++) {
        const k = 1 + ((w * 97 + i * 13) % half);
        const v = `w${w}-${i}`;
        await t.db.transaction(async (tx) => {
          await tx.query(
            `UPDATE customers SET first_name = $1, last_name = $1, updated_at = now()
              WHERE account_number IN ($2, $3)`,
            [v, `SNAP-${String(k).padStart(6, '0')}`, `SNAP-${String(k + half).padStart(6, '0')}`],
          );
          await tx.query(`INSERT INTO customers (account_number, first_name, last_name) VALUES ($1, $2, $2)`, [
            `SNAP-N-${w}-${i}`,
            v,
          ]);
        });
      }
    };
    const writers = Array.from({ length: 20 }, (_, w) => writer(w));
    const res = await t.admin.get('/api/v1/exports/customers?format=jsonl&columns=id,accountNumber,firstName,lastName');
    stop = true;
    await Promise.all(writers);
    expect(res.statusCode).toBe(200);
    const rows = jsonLines(res.body).filter((r) => String(r.accountNumber).startsWith('SNAP-')) as {
      id: string;
      accountNumber: string;
      firstName: string;
      lastName: string;
    }[];
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    const base = rows.filter((r) => !r.accountNumber.startsWith('SNAP-N-'));
    expect(base).toHaveLength(n);
    const byNumber = new Map(base.map((r) => [Number(r.accountNumber.slice(5)), r]));
    for (let k = 1; k <= half; k++) {
      const a = byNumber.get(k)!;
      const b = byNumber.get(k + half)!;
      expect(a.firstName).toBe(a.lastName);
      expect(b.firstName, `pair ${k}`).toBe(a.firstName);
    }
    await t.db.query(`DELETE FROM customers WHERE account_number LIKE 'SNAP-%'`);
  });

  it('background export with gzip: progress, My downloads, owner only, expired files refused and deleted', async () => {
    const started = await t.admin.post('/api/v1/exports', {
      object: 'customers',
      format: 'csv',
      gzip: true,
      filters: { vip: true },
      columns: ['accountNumber', 'lastName'],
    });
    expect(started.statusCode, started.body).toBe(202);
    const jobId = started.json().id as string;
    await t.ctx.services.jobs.runUntilIdle();
    const job = (await t.admin.get(`/api/v1/jobs/${jobId}`)).json();
    expect(job).toMatchObject({ status: 'succeeded', kind: 'export' });

    const list = (await t.admin.get('/api/v1/exports/downloads')).json().items;
    expect(list[0]).toMatchObject({ id: jobId, objectType: 'customers', gzip: true, rows: 1 });
    const file = await t.admin.get(`/api/v1/exports/downloads/${jobId}`);
    expect(file.statusCode).toBe(200);
    expect(gunzipSync(file.rawPayload).toString('utf8')).toBe('Account number,Last name\r\nEXP-1,Müller\r\n');

    // Another exporter (even an administrator) cannot fetch it.
    const other = await t.user('admin');
    expect((await other.get(`/api/v1/exports/downloads/${jobId}`)).statusCode).toBe(404);
    expect((await other.get('/api/v1/exports/downloads')).json().items).toEqual([]);

    const bad = await t.admin.post('/api/v1/exports', { object: 'customers', filters: { nope: 'x' } });
    expect(bad.statusCode).toBe(400);

    // Past its time: refused at once, and deleted by the job runner.
    clock.advance(t.config.exportKeepMs + 1000);
    expect((await t.admin.get(`/api/v1/exports/downloads/${jobId}`)).statusCode).toBe(404);
    await t.ctx.jobs.runAll();
    const left = await t.db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM export_files) + (SELECT count(*) FROM export_file_chunks) AS n`,
    );
    expect(left[0].n).toBe(0);
  });
});
