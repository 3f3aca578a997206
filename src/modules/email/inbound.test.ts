import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { mime, postInbound, simpleMessage, uniqueId } from './email.test-helpers.js';

interface FollowUpJson {
  id: string;
  kind: string;
  direction: string | null;
  visibility: string;
  body: string;
  channel: string;
  author: { type: string; id: string | null; name: string };
  email: Record<string, unknown> | null;
}

describe('email in over HTTP: cases, threading, exactly once, sanitising, attachments', () => {
  let t: TestApp;
  let key: TestClient;
  let agent: TestClient;

  beforeAll(async () => {
    t = await startTestApp();
    key = await t.apiKey('admin');
    agent = await t.user('agent');
  });
  afterAll(async () => t?.close());

  const followUps = async (caseId: string): Promise<FollowUpJson[]> =>
    (await t.admin.get(`/api/v1/cases/${caseId}/follow-ups?limit=200`)).json().items;

  it('refuses callers without the admin privilege and bodies that are not message/rfc822', async () => {
    const raw = simpleMessage({ from: 'x@sender.test', subject: 'x' });
    expect((await postInbound(agent, raw)).statusCode).toBe(403);
    expect((await postInbound(t.anonymous, raw)).statusCode).toBe(401);
    const json = await key.post('/api/v1/email/inbound', { raw: 'nope' });
    expect(json.statusCode).toBe(415);
  });

  it('an unknown sender becomes a customer (named from the display name) with a new case', async () => {
    const messageId = uniqueId();
    const res = await postInbound(
      key,
      simpleMessage({
        from: '"Grace Hopper" <grace@navy.test>',
        to: 'Support <support@support.test>',
        cc: 'boss@navy.test',
        subject: 'Compiler crashes',
        body: 'It crashes on COBOL input.',
        messageId,
      }),
      '?rcptTo=support@support.test,boss@navy.test,archive@support.test&mailFrom=grace@navy.test',
    );
    expect(res.statusCode).toBe(201);
    const r = res.json();
    expect(r).toMatchObject({ outcome: 'created', customerCreated: true });
    const customer = (await t.admin.get(`/api/v1/customers/${r.customerId}`)).json();
    expect(customer).toMatchObject({ firstName: 'Grace', lastName: 'Hopper', email: 'grace@navy.test', draft: false });
    const c = (await t.admin.get(`/api/v1/cases/${r.caseId}`)).json();
    expect(c).toMatchObject({
      caseNumber: r.caseNumber,
      subject: 'Compiler crashes',
      channel: 'email',
      visibility: 'public',
      customerId: r.customerId,
    });
    expect(c.description).toContain('COBOL');
    const [fu] = await followUps(r.caseId);
    expect(fu).toMatchObject({ kind: 'email', direction: 'inbound', visibility: 'public', channel: 'email' });
    expect(fu.author).toMatchObject({ type: 'customer', name: 'Grace Hopper' });
    expect(fu.email).toMatchObject({
      from: 'Grace Hopper <grace@navy.test>',
      to: ['Support <support@support.test>'],
      cc: ['boss@navy.test'],
      bcc: ['archive@support.test'],
      subject: 'Compiler crashes',
      messageId,
    });
  });

  it('a known sender gets a new case on their own record; a one-word name makes a draft', async () => {
    const cust = (
      await t.admin.post('/api/v1/customers', { firstName: 'Ada', lastName: 'Lovelace', email: 'Ada@Engine.test' })
    ).json();
    const r = (await postInbound(key, simpleMessage({ from: 'ada@engine.test', subject: 'Bernoulli' }))).json();
    expect(r).toMatchObject({ outcome: 'created', customerId: cust.id, customerCreated: false });

    const d = (await postInbound(key, simpleMessage({ from: 'Cher <cher@music.test>', subject: 'Hi' }))).json();
    const draft = (await t.admin.get(`/api/v1/customers/${d.customerId}`)).json();
    expect(draft).toMatchObject({ firstName: 'Cher', lastName: null, draft: true, email: 'cher@music.test' });
    // The next message from the draft customer's address lands on the same customer.
    const again = (await postInbound(key, simpleMessage({ from: 'cher@music.test', subject: 'Again' }))).json();
    expect(again).toMatchObject({ outcome: 'created', customerId: d.customerId, customerCreated: false });
  });

  it('threads by [#caseNumber] in the subject, reopening a closed case per the reopen policy', async () => {
    const first = (await postInbound(key, simpleMessage({ from: 'tom@thread.test', subject: 'Printer' }))).json();
    const c = (await t.admin.get(`/api/v1/cases/${first.caseId}`)).json();
    const closed = await t.admin.patch(`/api/v1/cases/${c.id}`, { status: 'closed', version: c.version });
    expect(closed.statusCode).toBe(200);

    const res = await postInbound(
      key,
      simpleMessage({ from: 'tom@thread.test', subject: `Re: Printer [#${first.caseNumber}]` }),
    );
    expect(res.json()).toMatchObject({ outcome: 'followUp', caseId: c.id, reopened: true });
    expect((await t.admin.get(`/api/v1/cases/${c.id}`)).json().status).toBe('open');
    expect(await followUps(c.id)).toHaveLength(2);

    // Policy "never": the follow-up lands, the case stays closed.
    const settings = (await t.admin.get('/api/v1/case-settings')).json();
    if (settings.reopen) {
      await t.admin.put('/api/v1/case-settings', { reopen: { policy: 'never' }, version: settings.version });
      const now = (await t.admin.get(`/api/v1/cases/${c.id}`)).json();
      await t.admin.patch(`/api/v1/cases/${c.id}`, { status: 'closed', version: now.version });
      const r2 = (
        await postInbound(key, simpleMessage({ from: 'tom@thread.test', subject: `[#${first.caseNumber}] more` }))
      ).json();
      expect(r2).toMatchObject({ outcome: 'followUp', reopened: false });
      expect((await t.admin.get(`/api/v1/cases/${c.id}`)).json().status).toBe('closed');
      const s2 = (await t.admin.get('/api/v1/case-settings')).json();
      await t.admin.put('/api/v1/case-settings', { reopen: { policy: 'always' }, version: s2.version });
    }
  });

  it('threads by In-Reply-To and References to a message we received', async () => {
    const firstId = uniqueId('root');
    const first = (
      await postInbound(key, simpleMessage({ from: 'hdr@thread.test', subject: 'Headers', messageId: firstId }))
    ).json();
    const byReply = (
      await postInbound(
        key,
        simpleMessage({ from: 'hdr@thread.test', subject: 'no tag here', extra: { 'In-Reply-To': `<${firstId}>` } }),
      )
    ).json();
    expect(byReply).toMatchObject({ outcome: 'followUp', caseId: first.caseId });
    const byRefs = (
      await postInbound(
        key,
        simpleMessage({
          from: 'other@thread.test',
          subject: 'still no tag',
          extra: { References: `<unknown.1@x.test> <${firstId}> <unknown.2@x.test>` },
        }),
      )
    ).json();
    expect(byRefs).toMatchObject({ outcome: 'followUp', caseId: first.caseId });
  });

  it('stores a message once however often it is delivered (Message-ID, or a content hash without one)', async () => {
    const raw = simpleMessage({ from: 'dup@dup.test', subject: 'Twice', messageId: uniqueId('dup') });
    const a = await postInbound(key, raw);
    const b = await postInbound(key, raw);
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(200);
    expect(b.json()).toMatchObject({ outcome: 'duplicate', caseId: a.json().caseId, followUpId: a.json().followUpId });
    expect(await followUps(a.json().caseId)).toHaveLength(1);

    // No Message-ID: two relays' copies (different Received lines) are one message.
    const body = simpleMessage({ from: 'nomid@dup.test', subject: 'No id', messageId: null });
    const viaA = Buffer.concat([Buffer.from('Received: from a.relay.test by mx.test; Mon, 1 Jan 2024\r\n'), body]);
    const viaB = Buffer.concat([Buffer.from('Received: from b.relay.test by mx.test; Tue, 2 Jan 2024\r\n'), body]);
    const c1 = (await postInbound(key, viaA)).json();
    const c2 = (await postInbound(key, viaB)).json();
    expect(c1.outcome).toBe('created');
    expect(c2).toMatchObject({ outcome: 'duplicate', caseId: c1.caseId });
  });

  it('sanitises HTML, blocks remote images, keeps attachments and the source for who may see the case', async () => {
    const boundary = 'outer-b';
    const alt = 'alt-b';
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const raw = mime(
      {
        From: 'Html Sender <html@sender.test>',
        To: 'support@support.test',
        Subject: 'With HTML',
        'Message-ID': `<${uniqueId('html')}>`,
        'MIME-Version': '1.0',
        'Content-Type': `multipart/mixed; boundary="${boundary}"`,
      },
      [
        `--${boundary}`,
        `Content-Type: multipart/related; boundary="${alt}"`,
        '',
        `--${alt}`,
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p onmouseover="steal()">Hello <b>there</b><script>alert(1)</script>',
        '<a href="javascript:alert(2)">click</a> <a href="https://example.test/x">ok</a>',
        '<img src="https://tracker.test/pixel.gif" alt="pixel"><img src="cid:logo@x" alt="logo"></p>',
        `--${alt}`,
        'Content-Type: image/png',
        'Content-ID: <logo@x>',
        'Content-Transfer-Encoding: base64',
        '',
        png.toString('base64'),
        `--${alt}--`,
        `--${boundary}`,
        'Content-Type: application/pdf; name="report.pdf"',
        'Content-Disposition: attachment; filename="report.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('%PDF-1.4 fake').toString('base64'),
        `--${boundary}--`,
        '',
      ].join('\r\n'),
    );
    const r = (await postInbound(key, raw)).json();
    expect(r.outcome).toBe('created');
    const [fu] = await followUps(r.caseId);
    expect(fu.body).toContain('Hello');
    const details = (await agent.get(`/api/v1/cases/${r.caseId}/follow-ups/${fu.id}/email`)).json();
    expect(details.html).toContain('<b>there</b>');
    for (const bad of ['script', 'onmouseover', 'javascript:']) expect(details.html).not.toContain(bad);
    expect(details.html).not.toMatch(/\ssrc="https:\/\/tracker/);
    expect(details.html).toContain('data-remote-src="https://tracker.test/pixel.gif"');
    expect(details.remoteImagesBlocked).toBe(true);
    const shown = (await agent.get(`/api/v1/cases/${r.caseId}/follow-ups/${fu.id}/email?remoteImages=show`)).json();
    expect(shown.html).toMatch(/\ssrc="https:\/\/tracker.test\/pixel.gif"/);
    expect(shown.html).not.toContain('script');

    const pdf = details.attachments.find((a: { filename: string }) => a.filename === 'report.pdf');
    const logo = details.attachments.find((a: { contentType: string }) => a.contentType === 'image/png');
    expect(details.html).toContain(`src="/api/v1/email/attachments/${logo.id}"`);
    const dl = await agent.get(pdf.url);
    expect(dl.statusCode).toBe(200);
    expect(dl.headers['content-disposition']).toContain('attachment');
    expect(dl.headers['x-content-type-options']).toBe('nosniff');
    expect(dl.rawPayload.toString()).toBe('%PDF-1.4 fake');
    expect((await t.anonymous.get(pdf.url)).statusCode).toBe(401);

    const src = await agent.get(`/api/v1/cases/${r.caseId}/follow-ups/${fu.id}/source`);
    expect(src.statusCode).toBe(200);
    expect(src.body).toContain('Subject: With HTML');
    expect(src.body).toContain('<script>alert(1)</script>');
    expect(src.headers['content-type']).toContain('text/plain');

    // A private case: an agent without cases.viewPrivate sees neither the email nor its attachments.
    const c = (await t.admin.get(`/api/v1/cases/${r.caseId}`)).json();
    await t.admin.patch(`/api/v1/cases/${c.id}`, { visibility: 'private', version: c.version });
    expect((await agent.get(pdf.url)).statusCode).toBe(404);
    expect((await agent.get(`/api/v1/cases/${r.caseId}/follow-ups/${fu.id}/source`)).statusCode).toBe(404);
    expect((await agent.get(`/api/v1/cases/${r.caseId}/follow-ups/${fu.id}/email`)).statusCode).toBe(404);
    expect((await t.admin.get(pdf.url)).statusCode).toBe(200);
  });

  it('quarantines what cannot be taken in, lists it for admins, and a retry can take it in', async () => {
    // No sender at all, and no thread: nothing to make a case for.
    const raw = mime({ To: 'support@support.test', Subject: 'Anonymous', 'Message-ID': `<${uniqueId('q')}>` }, 'hi');
    const res = await postInbound(key, raw);
    expect(res.statusCode).toBe(202);
    const q = res.json();
    expect(q).toMatchObject({ outcome: 'quarantined', reason: 'the message has no sender address' });
    // Delivered again: still one quarantined message, counted twice.
    expect((await postInbound(key, raw)).json().quarantineId).toBe(q.quarantineId);

    const list = (await t.admin.get('/api/v1/email/quarantine')).json();
    const item = list.items.find((i: { id: string }) => i.id === q.quarantineId);
    expect(item).toMatchObject({ status: 'held', deliveries: 2, subject: 'Anonymous', source: 'http' });
    expect((await agent.get('/api/v1/email/quarantine')).statusCode).toBe(403);
    const src = await t.admin.get(`/api/v1/email/quarantine/${q.quarantineId}/source`);
    expect(src.body).toContain('Subject: Anonymous');

    const retry = (await t.admin.post(`/api/v1/email/quarantine/${q.quarantineId}/retry`)).json();
    expect(retry.item).toMatchObject({ status: 'held', attempts: 2 });

    // A case field the administrator made required: the message waits in quarantine until it is fixed.
    const field = await t.admin.post('/api/v1/custom-fields', {
      objectType: 'case',
      key: 'contractRef',
      label: 'Contract reference',
      type: 'text',
      required: true,
    });
    expect(field.statusCode).toBe(201);
    const held = (await postInbound(key, simpleMessage({ from: 'cf@sender.test', subject: 'Needs a field' }))).json();
    expect(held.outcome).toBe('quarantined');
    expect(held.reason).toContain('contractRef');
    const f = field.json();
    await t.admin.patch(`/api/v1/custom-fields/${f.id}`, { required: false, version: f.version });
    const ok = (await t.admin.post(`/api/v1/email/quarantine/${held.quarantineId}/retry`)).json();
    expect(ok.result).toMatchObject({ outcome: 'created' });
    expect(ok.item).toMatchObject({ status: 'resolved', resolvedCaseId: ok.result.caseId });
    const resolved = (await t.admin.get('/api/v1/email/quarantine?status=resolved')).json();
    expect(resolved.items.map((i: { id: string }) => i.id)).toContain(held.quarantineId);
  });
});
