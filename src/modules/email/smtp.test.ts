import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { mime, sendSmtp, simpleMessage, uniqueId } from './email.test-helpers.js';
import { hostileCorpus } from './hostile.test-helpers.js';

interface FollowUpJson {
  id: string;
  body: string;
  email: { from?: string; to?: string[]; cc?: string[]; bcc?: string[]; subject?: string; messageId?: string };
}

const outcomeOf = (response: string) => /\((created|followUp|duplicate|quarantined)\)/.exec(response)?.[1];

describe('the SMTP listener (real SMTP over loopback)', () => {
  let t: TestApp;
  const env = (to: string[] = ['support@support.test']) => ({ from: 'sender@outside.test', to });

  beforeAll(async () => {
    t = await startTestApp({ env: { SMTP_LISTEN_PORT: '0', SMTP_ACCEPT_DOMAINS: 'support.test,help.test' } });
  });
  afterAll(async () => t?.close());

  const caseOfMessage = async (messageId: string) => {
    const list = (await t.admin.get('/api/v1/cases?limit=200')).json().items as { id: string; caseNumber: number }[];
    for (const c of list) {
      const fus = (await t.admin.get(`/api/v1/cases/${c.id}/follow-ups?limit=200`)).json().items as FollowUpJson[];
      const fu = fus.find((f) => f.email?.messageId === messageId);
      if (fu) return { case: c, followUp: fu, followUps: fus };
    }
    return null;
  };

  it('an unknown sender: a new customer and a case, with To, CC and the envelope-only BCC', async () => {
    const messageId = uniqueId('smtp');
    const raw = simpleMessage({
      from: 'Linus Torvalds <linus@kernel.test>',
      to: 'support@support.test',
      cc: 'Greg <greg@kernel.test>',
      subject: 'Kernel panic',
      body: 'It panics at boot.',
      messageId,
    });
    const sent = await sendSmtp(t, raw, {
      from: 'linus@kernel.test',
      to: ['support@support.test', 'audit@help.test'],
    });
    expect(sent.accepted.sort()).toEqual(['audit@help.test', 'support@support.test']);
    expect(outcomeOf(sent.response)).toBe('created');
    const found = (await caseOfMessage(messageId))!;
    expect(found.followUp.email).toMatchObject({
      from: 'Linus Torvalds <linus@kernel.test>',
      to: ['support@support.test'],
      cc: ['Greg <greg@kernel.test>'],
      bcc: ['audit@help.test'],
      subject: 'Kernel panic',
    });
    const c = (await t.admin.get(`/api/v1/cases/${found.case.id}`)).json();
    const customer = (await t.admin.get(`/api/v1/customers/${c.customerId}`)).json();
    expect(customer).toMatchObject({ firstName: 'Linus', lastName: 'Torvalds', email: 'linus@kernel.test' });
  });

  it('threads replies by the case number in the subject and by In-Reply-To / References', async () => {
    const rootId = uniqueId('root');
    await sendSmtp(t, simpleMessage({ from: 'kim@thread.test', subject: 'Router', messageId: rootId }), env());
    const root = (await caseOfMessage(rootId))!;

    const bySubject = await sendSmtp(
      t,
      simpleMessage({ from: 'kim@thread.test', subject: `RE: Router [#${root.case.caseNumber}]` }),
      env(),
    );
    expect(outcomeOf(bySubject.response)).toBe('followUp');
    const byHeaders = await sendSmtp(
      t,
      simpleMessage({
        from: 'kim@thread.test',
        subject: 'Re: Router',
        extra: { 'In-Reply-To': `<${rootId}>`, References: `<${rootId}>` },
      }),
      env(),
    );
    expect(outcomeOf(byHeaders.response)).toBe('followUp');
    const after = (await t.admin.get(`/api/v1/cases/${root.case.id}/follow-ups`)).json().items;
    expect(after).toHaveLength(3);
  });

  it('stores a message delivered three times once', async () => {
    const messageId = uniqueId('dup');
    const raw = simpleMessage({ from: 'dup@outside.test', subject: 'Once please', messageId });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(outcomeOf((await sendSmtp(t, raw, env())).response));
    expect(outcomes).toEqual(['created', 'duplicate', 'duplicate']);
    // Concurrent deliveries of another message: one case still.
    const id2 = uniqueId('dup2');
    const raw2 = simpleMessage({ from: 'dup2@outside.test', subject: 'At once', messageId: id2 });
    const many = await Promise.all([1, 2, 3].map(() => sendSmtp(t, raw2, env())));
    expect(many.map((m) => outcomeOf(m.response)).sort()).toEqual(['created', 'duplicate', 'duplicate']);
    const found = (await caseOfMessage(id2))!;
    expect(found.followUps).toHaveLength(1);
  });

  it('refuses recipients outside the accepted domains', async () => {
    await expect(
      sendSmtp(t, simpleMessage({ from: 'x@outside.test', subject: 'relay?' }), env(['victim@elsewhere.test'])),
    ).rejects.toThrow(/not allowed|550/);
    const mixed = await sendSmtp(
      t,
      simpleMessage({ from: 'x@outside.test', subject: 'partly' }),
      env(['support@support.test', 'victim@elsewhere.test']),
    );
    expect(mixed.accepted).toEqual(['support@support.test']);
  });

  it('refuses a message over the size limit at the door', async () => {
    const big = mime(
      { From: 'big@outside.test', To: 'support@support.test', Subject: 'big', 'Message-ID': `<${uniqueId()}>` },
      'x'.repeat(100) + '\r\n',
    );
    const limit = t.ctx.services.email.limits.maxMessageBytes;
    const huge = Buffer.concat([big, Buffer.alloc(limit + 10, 'a')]);
    await expect(sendSmtp(t, huge, env())).rejects.toThrow(/552|larger|size/i);
    // and keeps serving
    const ok = await sendSmtp(t, simpleMessage({ from: 'after@outside.test', subject: 'after big' }), env());
    expect(outcomeOf(ok.response)).toBe('created');
  });

  it('hostile and broken messages each end as a case or in quarantine, and the listener keeps serving', async () => {
    const corpus = hostileCorpus();
    const results: Record<string, string | undefined> = {};
    for (const m of corpus) {
      const sent = await sendSmtp(t, m.raw, env());
      results[m.name] = outcomeOf(sent.response);
      // After every hostile message a plain one still goes through.
      const probe = await sendSmtp(t, simpleMessage({ from: 'probe@outside.test', subject: `after ${m.name}` }), env());
      expect(outcomeOf(probe.response), `after ${m.name}`).toBe('created');
    }
    if (process.env.SHOW_CORPUS) console.table(results);
    for (const m of corpus) {
      expect(['created', 'quarantined'], m.name).toContain(results[m.name]);
      if (m.expect) expect(results[m.name], m.name).toBe(m.expect);
    }
    const held = (await t.admin.get('/api/v1/email/quarantine?limit=200')).json().items as {
      reason: string;
      subject: string | null;
    }[];
    const reasons = held.map((h) => h.reason).join('\n');
    expect(reasons).toMatch(/nested more than/);
    expect(reasons).toMatch(/more than \d+ parts/);
    expect(reasons).toMatch(/header block is larger/);

    // What became cases is stored clean: no NUL, no script.
    const nul = corpus.find((m) => m.name === 'nul bytes')!;
    const found = (await caseOfMessage(nul.messageId))!;
    expect(found.followUp.body).not.toContain('\u0000');
    expect(found.followUp.body).toContain('before');
    const script = corpus.find((m) => m.name === 'scripts in html')!;
    const s = (await caseOfMessage(script.messageId))!;
    const details = (await t.admin.get(`/api/v1/cases/${s.case.id}/follow-ups/${s.followUp.id}/email`)).json();
    expect(details.html).not.toMatch(/<script|onerror|onload|javascript:/i);
  });
});
