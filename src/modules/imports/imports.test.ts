import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { JobQueue } from '../jobs/queue.js';
import { CHUNK_ROWS, importJobHandler } from './runner.js';
import { IMPORT_JOB, ImportsService } from './service.js';

/**
 * Importing customers over the API, end to end: realistic files (encodings,
 * delimiters, quoted newlines, phones in every format, custom fields of every
 * type), modes and matching, dry run = real run, the errors file re-imported,
 * and the bad-input corpus. Jobs run with runUntilIdle (no timers).
 */
describe('imports: customers', () => {
  let t: TestApp;
  const run = () => t.ctx.services.jobs.runUntilIdle();

  const upload = (who: TestClient, body: Buffer | string, query = 'objectType=customers&fileName=people.csv') =>
    who.request('POST', `/api/v1/imports?${query}`, body as string, { 'content-type': 'text/csv' });

  async function importFile(body: Buffer | string, settings: Record<string, unknown> = {}, dry = false) {
    const up = await upload(t.admin, body);
    expect(up.statusCode, up.body).toBe(201);
    const id = up.json().id as string;
    const started = await t.admin.post(`/api/v1/imports/${id}/${dry ? 'dry-run' : 'start'}`, settings);
    expect(started.statusCode, started.body).toBe(202);
    await run();
    const got = (await t.admin.get(`/api/v1/imports/${id}`)).json();
    return { id, imp: got, counts: (dry ? got.dryRun : got.run).counts as Record<string, number> };
  }

  beforeAll(async () => {
    t = await startTestApp();
    const fields: Record<string, unknown>[] = [
      {
        key: 'tier',
        label: 'Tier',
        type: 'singlePick',
        options: [
          { key: 'gold', label: 'Gold' },
          { key: 'silver', label: 'Silver' },
        ],
      },
      {
        key: 'tags',
        label: 'Tags',
        type: 'multiPick',
        options: [
          { key: 'a', label: 'Alpha' },
          { key: 'b', label: 'Beta' },
        ],
      },
      { key: 'since', label: 'Customer since', type: 'date' },
      { key: 'lastSeen', label: 'Last seen', type: 'dateTime' },
      { key: 'score', label: 'Score', type: 'number' },
      { key: 'balance', label: 'Balance', type: 'decimal' },
      { key: 'newsletter', label: 'Newsletter', type: 'boolean' },
      { key: 'altPhone', label: 'Alt phone', type: 'phone' },
      { key: 'altEmail', label: 'Alt email', type: 'email' },
      { key: 'site', label: 'Website', type: 'url' },
      { key: 'memo', label: 'Memo', type: 'longText' },
      { key: 'nick', label: 'Nickname', type: 'text' },
    ];
    for (const f of fields) {
      const res = await t.admin.post('/api/v1/custom-fields', { objectType: 'customer', ...f });
      expect(res.statusCode, res.body).toBe(201);
    }
  });
  afterAll(async () => t?.close());

  it('Windows-1252 with accented names, semicolons, quoted newlines, mixed phones, every custom field type', async () => {
    const csv =
      'Account Number;First Name;Last Name;Email;Phone;Mobile;Street;City;Notes;VIP;Tier;Tags;Customer since;Last seen;Score;Balance;Newsletter;Alt phone;Alt email;Website;Memo;Nickname\r\n' +
      'W-1;Renée;Müller;renee@example.test;(415) 555-0101;+44 20 7946 0958;"12 Rue de l\'Église";Zürich;"line one\r\nline two";yes;Gold;Alpha| Beta;2020-01-31;2024-05-01T14:30:00+02:00;42;12.50;no;415-555-0199;ALT@Example.test;https://example.test;"memo\nwith newline";Réné\r\n' +
      'W-2;José;Ñúñez;jose@example.test;001 415 555 0102;;;;;;Silver;;;;;;;;;;;\r\n';
    const bytes = iconv.encode(csv, 'windows-1252');
    const up = await upload(t.admin, bytes);
    expect(up.statusCode, up.body).toBe(201);
    const imp = up.json();
    expect(imp).toMatchObject({ encoding: 'windows-1252', delimiter: ';', totalRows: 2, status: 'uploaded' });
    const fields = Object.fromEntries(
      imp.suggestedMapping.columns.map((c: { column: string; field: string }) => [c.column, c.field]),
    );
    expect(fields).toMatchObject({
      'Account Number': 'accountNumber',
      'First Name': 'firstName',
      Email: 'email',
      Phone: 'phone',
      Mobile: 'phone',
      Tier: 'customFields.tier',
      'Customer since': 'customFields.since',
    });
    expect(imp.suggestedMapping.columns.find((c: { column: string }) => c.column === 'Mobile').phoneType).toBe(
      'mobile',
    );

    const preview = await t.admin.post(`/api/v1/imports/${imp.id}/preview`, {});
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json().rows.map((r: { outcome: string; errors: unknown }) => [r.outcome, r.errors])).toEqual([
      ['create', []],
      ['create', []],
    ]);

    expect((await t.admin.post(`/api/v1/imports/${imp.id}/start`, {})).statusCode).toBe(202);
    await run();
    const done = (await t.admin.get(`/api/v1/imports/${imp.id}`)).json();
    expect(done.run).toMatchObject({
      status: 'completed',
      counts: { read: 2, created: 2, updated: 0, unchanged: 0, failed: 0 },
    });

    const c = (await t.admin.get('/api/v1/customers?accountNumber=W-1')).json().items[0];
    expect(c).toMatchObject({
      firstName: 'Renée',
      lastName: 'Müller',
      vip: true,
      notes: 'line one\r\nline two',
      primaryAddress: { street: "12 Rue de l'Église", city: 'Zürich' },
      customFields: {
        tier: 'gold',
        tags: ['a', 'b'],
        since: '2020-01-31',
        lastSeen: '2024-05-01T12:30:00.000Z',
        score: 42,
        balance: 12.5,
        newsletter: false,
        altPhone: '+14155550199',
        altEmail: 'alt@example.test',
        site: 'https://example.test',
        memo: 'memo\nwith newline',
        nick: 'Réné',
      },
    });
    expect(c.phones.map((p: { type: string; e164: string }) => [p.type, p.e164])).toEqual([
      ['voice', '+14155550101'],
      ['mobile', '+442079460958'],
    ]);
    const jose = (await t.admin.get('/api/v1/customers?accountNumber=W-2')).json().items[0];
    expect(jose.phones[0].e164).toBe('+14155550102');
    const history = (await t.admin.get(`/api/v1/customers/${c.id}/history`)).json().items;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ channel: 'import', action: 'create' });
    expect(history[0].actor.name).toContain(`import ${imp.id.slice(0, 8)}`);
    const audit = await t.db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id`,
      [imp.id],
    );
    expect(audit.map((a) => a.action)).toEqual(['import.started', 'import.completed']);
    const events = await t.db.query<{ type: string }>(
      `SELECT type FROM events WHERE record_id = $1 AND type LIKE 'import.%' ORDER BY id`,
      [imp.id],
    );
    expect(events.map((e) => e.type)).toEqual(['import.progress', 'import.completed']);
  });

  it('UTF-8 with a BOM and semicolons; the same file twice in upsert mode: nothing new, all unchanged', async () => {
    const csv =
      '\ufeffaccount;first;last;email;phone\nB-1;Ann;Lee;ann.b@example.test;+1 415 555 0111\nB-2;Bob;Ray;bob.b@example.test;4155550112\n';
    const first = await importFile(csv, { mode: 'upsert' });
    expect(first.imp.encoding).toBe('utf-8');
    expect(first.counts).toEqual({ read: 2, created: 2, updated: 0, unchanged: 0, failed: 0 });
    const again = await importFile(csv, { mode: 'upsert' });
    expect(again.counts).toEqual({ read: 2, created: 0, updated: 0, unchanged: 2, failed: 0 });
    const rows = await t.db.query<{ n: number }>(`SELECT count(*) AS n FROM customers WHERE account_number LIKE 'B-%'`);
    expect(rows[0].n).toBe(2);
    const changed = await importFile('account;first;last;email;phone\nB-1;Anne;Lee;ann.b@example.test;415 555 0111\n', {
      mode: 'upsert',
    });
    expect(changed.counts).toEqual({ read: 1, created: 0, updated: 1, unchanged: 0, failed: 0 });
  });

  it('dry run counts equal the real run; the errors file, fixed, finishes the job', async () => {
    await t.admin.post('/api/v1/customers', { firstName: 'Held', lastName: 'Email', email: 'taken@example.test' });
    await t.admin.post('/api/v1/customers', { accountNumber: 'D-9', firstName: 'Cy', lastName: 'Three' });
    const csv = [
      'Account Number,First Name,Last Name,Email,Phone',
      'D-1,Ann,One,d1@example.test,4155550121',
      'D-2,,Two,d2@example.test,4155550122', // no first name
      'D-9,Cy,Three,taken@example.test,4155550123', // matched by account number; the email is another's
      'D-4,Di,Four,not-an-email,4155550124',
      'D-1,Ann,Again,d1b@example.test,', // same account number as row 2
      'D-6,Ed,Six,d6@example.test,call me', // phone without digits
      'D-7,Flo,Seven,d7@example.test,+1 415 555 0127',
    ].join('\n');
    const dry = await importFile(csv, { mode: 'upsert' }, true);
    expect(dry.counts).toEqual({ read: 7, created: 2, updated: 0, unchanged: 0, failed: 5 });
    expect((await t.db.query(`SELECT 1 FROM customers WHERE account_number LIKE 'D-%'`)).length).toBe(1);
    const dryErrors = (await t.admin.get(`/api/v1/imports/${dry.id}/errors?dryRun=true`)).json().items;
    expect(dryErrors.map((e: { row: number }) => e.row)).toEqual([3, 4, 5, 6, 7]);

    const started = await t.admin.post(`/api/v1/imports/${dry.id}/start`, { mode: 'upsert' });
    expect(started.statusCode, started.body).toBe(202);
    await run();
    const real = (await t.admin.get(`/api/v1/imports/${dry.id}`)).json().run;
    expect(real.counts).toEqual(dry.counts);

    const errors = (await t.admin.get(`/api/v1/imports/${dry.id}/errors`)).json().items;
    const byRow = Object.fromEntries(
      errors.map((e: { row: number; errors: { column: string; message: string }[] }) => [e.row, e.errors]),
    );
    expect(byRow[3][0]).toMatchObject({ column: 'First Name' });
    expect(byRow[4], JSON.stringify(errors)).toHaveLength(1);
    expect(byRow[4][0].column).toBe('Email');
    expect(byRow[4][0].message).toMatch(/already used by customer \d+ \(Held Email\)/);
    expect(byRow[5][0]).toMatchObject({ column: 'Email', value: 'not-an-email' });
    expect(byRow[6][0].message).toMatch(/row 2 of this file/);
    expect(byRow[7][0]).toMatchObject({ column: 'Phone', value: 'call me' });

    const file = await t.admin.get(`/api/v1/imports/${dry.id}/errors.csv`);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toContain('text/csv');
    const lines = file.body
      .replace(/^\ufeff/, '')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('Account Number,First Name,Last Name,Email,Phone,error');
    expect(lines).toHaveLength(6);
    // Fixed: a first name, another email, a valid email, its own account number, a real phone.
    const fixed = [
      lines[0],
      'D-2,Bea,Two,d2@example.test,4155550122,x',
      'D-9,Cy,Three,d9@example.test,4155550123,x',
      'D-4,Di,Four,d4@example.test,4155550124,x',
      'D-5,Ann,Again,d1b@example.test,,x',
      'D-6,Ed,Six,d6@example.test,4155550126,x',
    ].join('\n');
    const second = await importFile(fixed, { mode: 'upsert' });
    expect(second.counts).toEqual({ read: 5, created: 4, updated: 1, unchanged: 0, failed: 0 });
    expect(second.imp.run).toBeTruthy();
    expect((await t.db.query(`SELECT 1 FROM customers WHERE account_number LIKE 'D-%'`)).length).toBe(7);
  });

  it('a row matching two customers is an error and changes neither', async () => {
    const a = (
      await t.admin.post('/api/v1/customers', {
        firstName: 'Twin',
        lastName: 'A',
        phones: [{ number: '+1 415 555 0131' }],
      })
    ).json();
    const b = (
      await t.admin.post('/api/v1/customers', {
        firstName: 'Twin',
        lastName: 'B',
        phones: [{ number: '415-555-0131' }],
      })
    ).json();
    const res = await importFile('First Name,Last Name,Phone\nChanged,Name,(415) 555-0131\n', {
      mode: 'upsert',
      match: ['phone'],
    });
    expect(res.counts).toEqual({ read: 1, created: 0, updated: 0, unchanged: 0, failed: 1 });
    const err = (await t.admin.get(`/api/v1/imports/${res.id}/errors`)).json().items[0].errors[0];
    expect(err.message).toMatch(/matches 2 customers/);
    for (const c of [a, b]) expect((await t.admin.get(`/api/v1/customers/${c.id}`)).json().version).toBe(1);
  });

  it('modes: create refuses an existing customer, update refuses a new one; blanks keep values unless mapped to clear', async () => {
    await importFile('account,first,last,email,notes\nM-1,Max,Mode,m1@example.test,keep me\n');
    const create = await importFile('account,first,last\nM-1,Max,Mode\n');
    expect(create.counts.failed).toBe(1);
    const update = await importFile('account,first,last\nM-2,New,Person\n', { mode: 'update' });
    expect(update.counts.failed).toBe(1);
    const keep = await importFile('account,first,last,notes\nM-1,Maxi,Mode,\n', { mode: 'update' });
    expect(keep.counts.updated).toBe(1);
    let m1 = (await t.admin.get('/api/v1/customers?accountNumber=M-1')).json().items[0];
    expect(m1).toMatchObject({ firstName: 'Maxi', notes: 'keep me' });
    const up = await upload(t.admin, 'account,notes\nM-1,\n');
    const id = up.json().id;
    const mapping = {
      columns: [
        { column: 'account', field: 'accountNumber' },
        { column: 'notes', field: 'notes', blank: 'clear' },
      ],
    };
    expect((await t.admin.post(`/api/v1/imports/${id}/start`, { mode: 'update', mapping })).statusCode).toBe(202);
    await run();
    m1 = (await t.admin.get('/api/v1/customers?accountNumber=M-1')).json().items[0];
    expect(m1.notes).toBeNull();
  });

  it('saved mappings: created, listed, used by id, renamed; an unknown field is a 400 naming it', async () => {
    const mapping = {
      columns: [
        { column: 'Nom', field: 'lastName' },
        { column: 'Prénom', field: 'firstName' },
      ],
    };
    const created = await t.admin.post('/api/v1/import-mappings', {
      objectType: 'customers',
      name: 'French export',
      mapping,
    });
    expect(created.statusCode, created.body).toBe(201);
    const dup = await t.admin.post('/api/v1/import-mappings', {
      objectType: 'customers',
      name: 'french EXPORT',
      mapping,
    });
    expect(dup.statusCode).toBe(409);
    const bad = await t.admin.post('/api/v1/import-mappings', {
      objectType: 'customers',
      name: 'Bad',
      mapping: { columns: [{ column: 'X', field: 'shoeSize' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({
      field: 'mapping.columns.0.field',
      message: expect.stringContaining('unknown field "shoeSize"'),
    });
    const list = (await t.admin.get('/api/v1/import-mappings?objectType=customers')).json().items;
    expect(list.map((m: { name: string }) => m.name)).toContain('French export');
    const res = await importFile('Prénom,Nom\nÉlodie,Martin\n', { mappingId: created.json().id });
    expect(res.counts.created).toBe(1);
    const renamed = await t.admin.put(`/api/v1/import-mappings/${created.json().id}`, { name: 'FR', version: 1 });
    expect(renamed.json()).toMatchObject({ name: 'FR', version: 2 });
    expect((await t.admin.delete(`/api/v1/import-mappings/${created.json().id}`)).statusCode).toBe(204);

    const up = await upload(t.admin, 'a,b\n1,2\n');
    const wrong = await t.admin.post(`/api/v1/imports/${up.json().id}/start`, {
      mapping: {
        columns: [
          { column: 'a', field: 'externalId' },
          { column: 'zzz', field: 'email' },
        ],
      },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors.map((e: { field: string }) => e.field)).toEqual([
      'mapping.columns.0.field',
      'mapping.columns.1.column',
    ]);
  });

  it('bad input: a clear 4xx or row errors, never a 500, nothing half written', async () => {
    const before = (await t.db.query<{ n: number }>('SELECT count(*) AS n FROM customers'))[0].n;
    const expect400 = async (body: Buffer | string, pattern: RegExp) => {
      const res = await upload(t.admin, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().detail).toMatch(pattern);
    };
    await expect400('', /empty/);
    await expect400(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 0, 0, 0]), /Excel workbook/);
    await expect400(Buffer.from([1, 2, 3, 0, 0, 5, 6, 7, 200, 0, 1]), /binary/);
    await expect400('First Name,Last Name\n"Ann,Lee\nBob,Ray\n', /never closed/);
    await expect400('First Name,Email,email\nAnn,a@x.test,b@x.test\n', /appears twice/);
    await expect400(Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',') + '\n' + 'x\n', /100000 columns/);
    await expect400(`First Name,Notes\nAnn,"${'x'.repeat(10 * 1024 * 1024)}"\n`, /larger than 4 MB/);
    await expect400('First Name,Last Name\n', /header but no rows/);
    const cut = await importFile('First Name,Last Name,Email\nAnn,Ragged\nBob,Ray,bob.r@example.test,extra\nCut,Off');
    expect(cut.counts).toEqual({ read: 3, created: 0, updated: 0, unchanged: 0, failed: 3 });
    const errs = (await t.admin.get(`/api/v1/imports/${cut.id}/errors`)).json().items;
    expect(errs[0].errors[0].message).toMatch(/2 cells; the header has 3/);
    const after = (await t.db.query<{ n: number }>('SELECT count(*) AS n FROM customers'))[0].n;
    expect(after).toBe(before);
    const jsonl = await upload(
      t.admin,
      '{"firstName":"Jay","lastName":"Son"}\nnot json\n[1]\n',
      'objectType=customers&fileName=x.jsonl',
    );
    expect(jsonl.statusCode, jsonl.body).toBe(201);
    expect(jsonl.json()).toMatchObject({ format: 'jsonl', totalRows: 3, columns: ['firstName', 'lastName'] });
    expect((await t.admin.post(`/api/v1/imports/${jsonl.json().id}/start`, {})).statusCode).toBe(202);
    await run();
    expect((await t.admin.get(`/api/v1/imports/${jsonl.json().id}`)).json().run.counts).toEqual({
      read: 3,
      created: 1,
      updated: 0,
      unchanged: 0,
      failed: 2,
    });
    const bad = await t.admin.post(`/api/v1/imports/${jsonl.json().id}/start`, { mode: 'sideways' });
    expect(bad.statusCode).toBe(400);
  });

  it('API creates of the same emails during an import: no duplicate email, each clash a row error', async () => {
    const n = 1500;
    const lines = ['Account Number,First Name,Last Name,Email'];
    for (let i = 0; i < n; i++) lines.push(`CC-${i},Con,Current${i},cc${i}@example.test`);
    const up = await upload(t.admin, lines.join('\n'));
    const id = up.json().id;
    expect(
      (await t.admin.post(`/api/v1/imports/${id}/start`, { mode: 'create', match: ['accountNumber'] })).statusCode,
    ).toBe(202);
    const importing = run();
    const api = await Promise.all(
      Array.from({ length: 60 }, (_, k) => k * 25).map((i) =>
        t.admin.post('/api/v1/customers', { firstName: 'Api', lastName: `Made${i}`, email: `CC${i}@example.test` }),
      ),
    );
    await importing;
    const counts = (await t.admin.get(`/api/v1/imports/${id}`)).json().run.counts;
    const made = api.filter((r) => r.statusCode === 201).length;
    expect(api.every((r) => r.statusCode === 201 || r.statusCode === 409)).toBe(true);
    expect(counts.created + made).toBe(n);
    expect(counts.failed).toBe(made);
    const dupes = await t.db.query(
      `SELECT email_key FROM customers WHERE email_key LIKE 'cc%@example.test' GROUP BY email_key HAVING count(*) > 1`,
    );
    expect(dupes).toEqual([]);
    const errors = (await t.admin.get(`/api/v1/imports/${id}/errors?limit=200`)).json().items;
    expect(errors).toHaveLength(made);
    for (const e of errors) expect(e.errors[0].message).toMatch(/already used by customer \d+ \(Api Made\d+\)/);
  });

  it('UTF-16 with tabs is detected and read', async () => {
    const text = 'First Name\tLast Name\tEmail\nÅsa\tÖberg\tasa@example.test\n';
    const res = await importFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expect(res.imp).toMatchObject({ encoding: 'utf-16le', delimiter: '\t' });
    expect(res.counts.created).toBe(1);
    expect((await t.admin.get('/api/v1/customers?email=asa@example.test')).json().items[0].lastName).toBe('Öberg');
  });

  it('cancel: a queued run at once; a running one between chunks, its counts adding up', async () => {
    const lines = ['First Name,Last Name,Email'];
    for (let i = 0; i < 6000; i++) lines.push(`Can,Cel${i},cancel${i}@example.test`);
    const file = lines.join('\n');
    const queued = (await upload(t.admin, file)).json().id;
    await t.admin.post(`/api/v1/imports/${queued}/start`, {});
    const res = await t.admin.post(`/api/v1/imports/${queued}/cancel`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().run).toMatchObject({ status: 'cancelled', counts: { read: 0 } });

    // A second "process" runs the import with a handler that holds after the first chunk, so the
    // cancel lands between chunks however fast the database is.
    let reached!: () => void;
    let open!: () => void;
    const arrived = new Promise<void>((r) => (reached = r));
    const opened = new Promise<void>((r) => (open = r));
    const inner = importJobHandler(
      t.ctx.db,
      t.ctx.clock,
      t.ctx.services,
      new ImportsService(t.ctx.db, t.ctx.config, t.ctx.clock, t.ctx.services, t.ctx.services.jobs),
    );
    let steps = 0;
    const held: typeof inner = {
      ...inner,
      run: (r) =>
        inner.run({
          job: r.job,
          signal: r.signal,
          progress: (p) => r.progress(p),
          step: async (fn) => {
            const value = await r.step(fn);
            if (++steps === 1) {
              reached();
              await opened;
            }
            return value;
          },
        }),
    };
    const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined };
    const worker = new JobQueue(t.ctx.db, t.ctx.clock, { leaseMs: 60_000, concurrency: 1, heartbeatMs: 0, log: quiet });
    worker.registerJobKind(IMPORT_JOB, held);

    const id = (await upload(t.admin, file)).json().id;
    await t.admin.post(`/api/v1/imports/${id}/start`, {});
    const running = worker.runUntilIdle();
    await arrived;
    expect((await t.admin.post(`/api/v1/imports/${id}/cancel`)).statusCode).toBe(200);
    open();
    await running;
    const r = (await t.admin.get(`/api/v1/imports/${id}`)).json().run;
    expect(r.status).toBe('cancelled');
    expect(r.counts.read).toBe(CHUNK_ROWS[t.db.engine]);
    expect(r.counts.created + r.counts.updated + r.counts.unchanged + r.counts.failed).toBe(r.counts.read);
    const made = await t.db.query<{ n: number }>(`SELECT count(*) AS n FROM customers WHERE email LIKE 'cancel%'`);
    expect(made[0].n).toBe(r.counts.created);
    const audit = await t.db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id`,
      [id],
    );
    expect(audit.map((a) => a.action)).toEqual(['import.started', 'import.cancelled', 'import.completed']);
  });

  it('needs data.import: an agent is refused; the list shows who ran what', async () => {
    const agent = await t.user('agent');
    expect((await upload(agent, 'a\n1\n')).statusCode).toBe(403);
    expect((await agent.get('/api/v1/imports')).statusCode).toBe(403);
    const list = (await t.admin.get('/api/v1/imports?limit=3')).json();
    expect(list.items).toHaveLength(3);
    expect(list.items[0]).toMatchObject({ createdBy: { id: t.admin.userId } });
    expect(list.nextCursor).toBeTruthy();
  });
});
