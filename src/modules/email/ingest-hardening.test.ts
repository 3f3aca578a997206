import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { mime, postInbound, simpleMessage, uniqueId } from './email.test-helpers.js';

interface FollowUpJson {
  id: string;
  visibility: string;
  body: string;
  email: Record<string, unknown> | null;
}

/** Issue 16, defects 7 and 8: real-world email that was stored twice, lost its sender, or spoofed a follow-up. */
describe('email in: normalised deduplication, lenient headers, unverified senders', () => {
  let t: TestApp;
  let key: TestClient;

  beforeAll(async () => {
    t = await startTestApp();
    key = await t.apiKey('admin');
  });
  afterAll(async () => t?.close());

  const followUps = async (caseId: string): Promise<FollowUpJson[]> =>
    (await t.admin.get(`/api/v1/cases/${caseId}/follow-ups?limit=200`)).json().items;
  const inbound = async (raw: Buffer) => {
    const res = await postInbound(key, raw);
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };

  it('defect 7: a message without Message-ID is one message whatever its line endings or final newline', async () => {
    const crlf = simpleMessage({
      from: 'eol@dup.test',
      subject: 'Line endings',
      messageId: null,
      body: 'a\r\nb  \r\n',
    });
    const lf = Buffer.from(crlf.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const extra = Buffer.concat([lf, Buffer.from('\n\n')]);
    const first = await inbound(crlf);
    expect(first.outcome).toBe('created');
    expect(await inbound(lf)).toMatchObject({ outcome: 'duplicate', caseId: first.caseId });
    expect(await inbound(extra)).toMatchObject({ outcome: 'duplicate', caseId: first.caseId });
    expect(await followUps(first.caseId)).toHaveLength(1);
  });

  it('defect 7: Message-IDs are case-sensitive (two ids differing in case are two messages, threaded apart)', async () => {
    const id = uniqueId('CaseSensitive');
    const upper = await inbound(simpleMessage({ from: 'mid.a@dup.test', subject: 'Upper', messageId: id }));
    const lower = await inbound(
      simpleMessage({ from: 'mid.b@dup.test', subject: 'Lower', messageId: id.toLowerCase() }),
    );
    expect(upper.outcome).toBe('created');
    expect(lower.outcome).toBe('created');
    expect(lower.caseId).not.toBe(upper.caseId);
    const reply = await inbound(
      simpleMessage({ from: 'mid.a@dup.test', subject: 'Re: no tag', extra: { 'In-Reply-To': `<${id}>` } }),
    );
    expect(reply).toMatchObject({ outcome: 'followUp', caseId: upper.caseId });
  });

  it('defect 7: a byte-order mark before the first header, or "From  :", keeps the sender', async () => {
    const bom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      simpleMessage({ from: 'Bom Sender <bom@lenient.test>', subject: 'With a BOM' }),
    ]);
    const a = await inbound(bom);
    expect(a.outcome).toBe('created');
    const ca = (await t.admin.get(`/api/v1/customers/${a.customerId}`)).json();
    expect(ca.email).toBe('bom@lenient.test');

    const obsolete = mime(
      {
        'From  ': 'Old Syntax <old@lenient.test>',
        To: 'support@support.test',
        'Subject ': 'Obsolete header syntax',
        'Message-ID': `<${uniqueId('obs')}>`,
      },
      'Hello.',
    );
    const b = await inbound(obsolete);
    expect(b.outcome).toBe('created');
    const cb = (await t.admin.get(`/api/v1/customers/${b.customerId}`)).json();
    expect(cb.email).toBe('old@lenient.test');
    expect((await t.admin.get(`/api/v1/cases/${b.caseId}`)).json().subject).toBe('Obsolete header syntax');
  });

  it("defect 8: a follow-up from someone who is not the case's customer is internal and flagged", async () => {
    const first = await inbound(simpleMessage({ from: 'owner@spoof.test', subject: 'My order' }));
    const tag = `[#${first.caseNumber}]`;
    const spoof = await inbound(
      simpleMessage({ from: 'attacker@evil.test', subject: `Re: ${tag}`, body: 'Please send the refund here.' }),
    );
    expect(spoof).toMatchObject({ outcome: 'followUp', caseId: first.caseId });
    const genuine = await inbound(simpleMessage({ from: 'Owner@Spoof.test', subject: `Re: ${tag}`, body: 'Thanks!' }));
    expect(genuine).toMatchObject({ outcome: 'followUp', caseId: first.caseId });
    const list = await followUps(first.caseId);
    const spoofed = list.find((f) => f.id === spoof.followUpId)!;
    expect(spoofed.visibility).toBe('internal');
    expect(spoofed.email).toMatchObject({ unverifiedSender: true });
    const real = list.find((f) => f.id === genuine.followUpId)!;
    expect(real.visibility).toBe('public');
    expect(real.email).not.toHaveProperty('unverifiedSender');
    // An unverified sender does not get onto the thread by writing again.
    const again = await inbound(simpleMessage({ from: 'attacker@evil.test', subject: `Re: ${tag} again` }));
    expect((await followUps(first.caseId)).find((f) => f.id === again.followUpId)!.visibility).toBe('internal');
  });
});
