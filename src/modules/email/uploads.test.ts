import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { customerWithAccess, PortalClient } from '../portal/portal.test-helpers.js';
import { startSink } from './email.test-helpers.js';
import { commandScanner } from './scan-command.js';
import { cleanFilename, noScanner } from './uploads.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testConfig } from '../../../test/helpers.js';

type Sink = Awaited<ReturnType<typeof startSink>>;

/** A multipart/form-data body of `file` parts. */
export function fileForm(files: { name: string; type?: string; content: Buffer | string }[]) {
  const boundary = `----sbtest${Math.random().toString(16).slice(2)}`;
  const parts = files.map((f) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\n` +
          `Content-Type: ${f.type ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content),
      Buffer.from('\r\n'),
    ]),
  );
  return {
    body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

const ALL = [
  'customers.view',
  'cases.view',
  'cases.create',
  'cases.edit',
  'cases.addFollowUp',
  'cases.changeStatus',
  'cases.viewPrivate',
];

describe('attachments on notes and replies; rich-text replies', () => {
  let t: TestApp;
  let sink: Sink;
  let agent: TestClient;
  let other: TestClient;
  let noPrivate: TestClient;

  beforeAll(async () => {
    sink = await startSink();
    t = await startTestApp({
      env: {
        SMTP_RELAY_URL: sink.url,
        MAIL_FROM: 'help@support.test',
        ATTACHMENT_MAX_BYTES: '2000',
        ATTACHMENT_MAX_TOTAL_BYTES: '5000',
      },
    });
    agent = await t.user('agent', { privileges: ALL });
    other = await t.user('agent', { privileges: ALL });
    noPrivate = await t.user('agent', { privileges: ALL.filter((p) => p !== 'cases.viewPrivate') });
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });
  beforeEach(() => {
    t.ctx.services.email.scanner = noScanner;
    sink.messages.length = 0;
  });

  let n = 0;
  const newCase = async (visibility: 'public' | 'private' = 'public') => {
    const email = `ada${++n}.${Date.now()}@customer.test`;
    const cust = (await t.admin.post('/api/v1/customers', { firstName: 'Ada', lastName: 'Attach', email })).json();
    const res = await t.admin.post('/api/v1/cases', { customerId: cust.id, subject: 'Broken kettle', visibility });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; caseNumber: number; customerId: string };
  };
  const upload = (who: TestClient, caseId: string, files: Parameters<typeof fileForm>[0]) => {
    const f = fileForm(files);
    return who.request('POST', `/api/v1/cases/${caseId}/attachments`, f.body as never, f.headers);
  };

  it('uploads a file, attaches it to an internal note, lists and downloads it', async () => {
    const c = await newCase();
    const up = await upload(agent, c.id, [{ name: 'report.txt', type: 'text/plain', content: 'kettle report' }]);
    expect(up.statusCode).toBe(201);
    const [file] = up.json().items;
    expect(file).toMatchObject({ filename: 'report.txt', contentType: 'text/plain', size: 13, followUpId: null });
    expect(file.expiresAt).toBeTruthy();

    const note = await agent.post(`/api/v1/cases/${c.id}/follow-ups`, {
      kind: 'note',
      body: 'See the report',
      attachmentIds: [file.id],
    });
    expect(note.statusCode).toBe(201);
    const list = (await agent.get(`/api/v1/cases/${c.id}/attachments`)).json().items;
    expect(list).toEqual([expect.objectContaining({ id: file.id, followUpId: note.json().id, expiresAt: null })]);

    const dl = await other.get(file.url);
    expect(dl.statusCode).toBe(200);
    expect(dl.body).toBe('kettle report');
    expect(dl.headers['content-disposition']).toBe("attachment; filename*=UTF-8''report.txt");
    expect(dl.headers['x-content-type-options']).toBe('nosniff');
    // The download's own policy, not the console's: a file never runs as a page of ours.
    expect(dl.headers['content-security-policy']).toBe("default-src 'none'; sandbox");

    // Used once: a second note cannot take it again.
    const again = await agent.post(`/api/v1/cases/${c.id}/follow-ups`, {
      kind: 'note',
      body: 'again',
      attachmentIds: [file.id],
    });
    expect(again.statusCode).toBe(400);
    expect(again.json().errors[0].field).toBe('attachmentIds');
  });

  it('a pending upload is its uploader’s only: another agent can neither attach nor download it', async () => {
    const c = await newCase();
    const [file] = (await upload(agent, c.id, [{ name: 'a.txt', content: 'mine' }])).json().items;
    expect((await other.get(file.url)).statusCode).toBe(404);
    const res = await other.post(`/api/v1/cases/${c.id}/follow-ups`, {
      kind: 'note',
      body: 'x',
      attachmentIds: [file.id],
    });
    expect(res.statusCode).toBe(400);
    expect((await agent.get(file.url)).statusCode).toBe(200);
    // Not on another case either.
    const d = await newCase();
    const wrong = await agent.post(`/api/v1/cases/${d.id}/follow-ups`, {
      kind: 'note',
      body: 'x',
      attachmentIds: [file.id],
    });
    expect(wrong.statusCode).toBe(400);
  });

  it('cleans file names and content types', async () => {
    expect(cleanFilename('../../etc/pass\u202ewd.txt')).toBe('passwd.txt');
    expect(cleanFilename('C:\\Users\\me\\..hidden.pdf')).toBe('hidden.pdf');
    expect(cleanFilename('  \u0000 ')).toBe('attachment');
    expect(cleanFilename(`${'a'.repeat(300)}.pdf`)).toMatch(/^a{196}\.pdf$/);
    const c = await newCase();
    const up = await upload(agent, c.id, [{ name: 'x/y/in\tvoice<1>.pdf', type: 'bogus', content: 'x' }]);
    expect(up.statusCode).toBe(201);
    expect(up.json().items[0]).toMatchObject({ filename: 'invoice1.pdf', contentType: 'application/octet-stream' });
  });

  it('refuses a file over the per-file limit and files over the per-message limit (413 naming the file)', async () => {
    const c = await newCase();
    const big = await upload(agent, c.id, [{ name: 'huge.bin', content: Buffer.alloc(2001) }]);
    expect(big.statusCode).toBe(413);
    expect(big.headers['content-type']).toContain('application/problem+json');
    expect(big.json().detail).toBe('"huge.bin" is larger than 2 KB, the most one file can be.');
    const firstTooBig = await upload(agent, c.id, [
      { name: 'huge2.bin', content: Buffer.alloc(5000) },
      { name: 'small.txt', content: 'small' },
    ]);
    expect(firstTooBig.statusCode).toBe(413);
    expect(firstTooBig.json().detail).toContain('"huge2.bin"');
    const together = await upload(
      agent,
      c.id,
      [1, 2, 3].map((i) => ({ name: `part${i}.bin`, content: Buffer.alloc(2000) })),
    );
    expect(together.statusCode).toBe(413);
    expect(together.json().detail).toBe('The files come to more than 4.9 KB, the most one message can carry.');

    for (let i = 0; i < 2; i++) {
      expect((await upload(agent, c.id, [{ name: `p${i}.bin`, content: Buffer.alloc(2000) }])).statusCode).toBe(201);
    }
    const over = await upload(agent, c.id, [{ name: 'third.bin', content: Buffer.alloc(1500) }]);
    expect(over.statusCode).toBe(413);
    expect(over.json().detail).toContain('"third.bin" would bring the files of this message to 5.4 KB');
    expect((await agent.get(`/api/v1/cases/${c.id}/attachments`)).json().items).toEqual([]);

    const none = await agent.post(`/api/v1/cases/${c.id}/attachments`, { file: 'x' });
    expect(none.statusCode).toBe(415);
  });

  it('the virus-scan hook refuses a file with a clear 422 and nothing is stored', async () => {
    const c = await newCase();
    const seen: string[] = [];
    t.ctx.services.email.scanner = {
      scan: async (f) => {
        seen.push(f.filename);
        return f.content.includes('EICAR') ? 'it carries the EICAR test signature' : null;
      },
    };
    const res = await upload(agent, c.id, [
      { name: 'fine.txt', content: 'hello' },
      { name: 'eicar.com', content: 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' },
    ]);
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toBe('"eicar.com" was refused by the virus scanner: it carries the EICAR test signature');
    expect(seen).toEqual(['fine.txt', 'eicar.com']);
    const stored = await t.db.query(`SELECT 1 FROM email_uploads WHERE case_id = $1`, [c.id]);
    expect(stored).toHaveLength(0);

    t.ctx.services.email.scanner = {
      scan: async () => {
        throw new Error('scanner down');
      },
    };
    const down = await upload(agent, c.id, [{ name: 'any.txt', content: 'x' }]);
    expect(down.statusCode).toBe(422);
    expect(down.json().detail).toContain('could not be scanned');
  });

  it('ATTACHMENT_SCAN_COMMAND: a scanner command reads the file on stdin; exit 1 refuses it with its output', async () => {
    expect(testConfig({ ATTACHMENT_SCAN_COMMAND: ' clamdscan --no-summary - ' }).attachments.scanCommand).toBe(
      'clamdscan --no-summary -',
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-scan-'));
    const script = path.join(dir, 'scan.sh');
    writeFileSync(script, 'if grep -q EICAR; then echo "stdin: Eicar-Signature FOUND"; exit 1; fi\nexit 0\n');
    t.ctx.services.email.scanner = commandScanner(`sh ${script}`);
    const c = await newCase();
    expect((await upload(agent, c.id, [{ name: 'clean.txt', content: 'hello' }])).statusCode).toBe(201);
    const bad = await upload(agent, c.id, [{ name: 'bad.com', content: 'xx EICAR xx' }]);
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail).toBe('"bad.com" was refused by the virus scanner: Eicar-Signature FOUND');
    t.ctx.services.email.scanner = commandScanner('/nonexistent/scanner');
    const broken = await upload(agent, c.id, [{ name: 'x.txt', content: 'x' }]);
    expect(broken.statusCode).toBe(422);
    expect(broken.json().detail).toContain('could not be scanned');
  });

  it('private cases: uploads and downloads need cases.viewPrivate (404 otherwise)', async () => {
    const c = await newCase('private');
    const [file] = (await upload(agent, c.id, [{ name: 'secret.txt', content: 'secret' }])).json().items;
    const note = await agent.post(`/api/v1/cases/${c.id}/follow-ups`, {
      kind: 'note',
      body: 'secret',
      attachmentIds: [file.id],
    });
    expect(note.statusCode).toBe(201);
    expect((await other.get(file.url)).statusCode).toBe(200);
    expect((await noPrivate.get(file.url)).statusCode).toBe(404);
    expect((await noPrivate.get(`/api/v1/cases/${c.id}/attachments`)).statusCode).toBe(404);
    expect((await upload(noPrivate, c.id, [{ name: 'x.txt', content: 'x' }])).statusCode).toBe(404);
  });

  it('an expired upload cannot be attached, and the prune job deletes it', async () => {
    const c = await newCase();
    const [file] = (await upload(agent, c.id, [{ name: 'old.txt', content: 'old' }])).json().items;
    await t.db.query(`UPDATE email_uploads SET expires_at = now() - interval '1 minute' WHERE id = $1`, [file.id]);
    const res = await agent.post(`/api/v1/cases/${c.id}/follow-ups`, {
      kind: 'note',
      body: 'late',
      attachmentIds: [file.id],
    });
    expect(res.statusCode).toBe(400);
    expect(await t.ctx.services.email.pruneUploads()).toBeGreaterThanOrEqual(1);
    expect(await t.db.query('SELECT 1 FROM email_uploads WHERE id = $1', [file.id])).toHaveLength(0);
  });

  it('a rich-text reply with a file goes out as multipart/alternative (HTML + plain text) with the file as a MIME part', async () => {
    const c = await newCase();
    const [file] = (
      await upload(agent, c.id, [{ name: 'invoice.pdf', type: 'application/pdf', content: '%PDF-1.4 kettle' }])
    ).json().items;
    const res = await agent.post(`/api/v1/cases/${c.id}/replies`, {
      body: 'ignored when html is given',
      html:
        '<p>Hello <strong>Ada</strong>, <em>sorry</em>!</p><ul><li>one</li><li>two</li></ul>' +
        '<p><a href="https://example.com/help">help</a><script>alert(1)</script>' +
        '<a href="javascript:alert(2)" onclick="x()">bad</a></p>',
      attachmentIds: [file.id],
    });
    expect(res.statusCode).toBe(201);
    const { followUp } = res.json();
    expect(followUp.body).toContain('Hello Ada, sorry!');
    expect(followUp.body).toContain('* one');
    expect(followUp.body).not.toContain('<strong>');

    const details = (await agent.get(`/api/v1/cases/${c.id}/follow-ups/${followUp.id}/email`)).json();
    expect(details.html).toContain('<strong>Ada</strong>');
    expect(details.html).not.toContain('script');
    expect(details.html).not.toContain('javascript:');
    expect(details.html).not.toContain('onclick');
    expect(details.attachments).toEqual([expect.objectContaining({ id: file.id, filename: 'invoice.pdf' })]);

    expect(await t.ctx.services.email.sendDue()).toBe(1);
    expect(sink.messages).toHaveLength(1);
    const raw = sink.messages[0].raw;
    expect(raw).toMatch(/multipart\/mixed/);
    expect(raw).toMatch(/multipart\/alternative/);
    const parsed = await simpleParser(raw);
    expect(parsed.html).toContain('<strong>Ada</strong>');
    expect(parsed.html).not.toContain('script');
    expect(parsed.text).toContain('Hello Ada, sorry!');
    expect(parsed.text).toContain('help [https://example.com/help]');
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]).toMatchObject({ filename: 'invoice.pdf', contentType: 'application/pdf' });
    expect(parsed.attachments[0].content.toString()).toBe('%PDF-1.4 kettle');
  });

  it('a plain-text reply stays text/plain only', async () => {
    const c = await newCase();
    const res = await agent.post(`/api/v1/cases/${c.id}/replies`, { body: 'Just text.' });
    expect(res.statusCode).toBe(201);
    expect(await t.ctx.services.email.sendDue()).toBe(1);
    const raw = sink.messages[0].raw;
    expect(raw).not.toMatch(/multipart/);
    expect(raw).toMatch(/Content-Type: text\/plain/);
  });

  it('the Support Center shows files of public follow-ups on own cases only', async () => {
    const cust = await customerWithAccess(t, {
      firstName: 'Pia',
      lastName: 'Portal',
      email: `pia.${Date.now()}@customer.test`,
      password: 'correct horse battery staple',
    });
    const c = (
      await t.admin.post('/api/v1/cases', { customerId: cust.id, subject: 'Portal files', visibility: 'public' })
    ).json();
    const [pub] = (await upload(agent, c.id, [{ name: 'public.txt', content: 'for you' }])).json().items;
    const [int] = (await upload(agent, c.id, [{ name: 'internal.txt', content: 'staff only' }])).json().items;
    await agent.post(`/api/v1/cases/${c.id}/follow-ups`, {
      kind: 'note',
      visibility: 'public',
      body: 'Here you go',
      attachmentIds: [pub.id],
    });
    await agent.post(`/api/v1/cases/${c.id}/follow-ups`, { kind: 'note', body: 'internal', attachmentIds: [int.id] });

    const portal = await PortalClient.signIn(t, cust.email, 'correct horse battery staple');
    const fus = (await portal.get(`/api/portal/cases/${c.id}/follow-ups`)).json().items;
    const shown = fus.flatMap((f: { attachments: { id: string; url: string }[] }) => f.attachments);
    expect(shown.map((a: { id: string }) => a.id)).toEqual([pub.id]);
    const dl = await portal.get(shown[0].url);
    expect(dl.statusCode).toBe(200);
    expect(dl.body).toBe('for you');
    expect((await portal.get(`/api/portal/cases/${c.id}/attachments/${int.id}`)).statusCode).toBe(404);
  });
});
