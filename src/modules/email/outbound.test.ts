import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventHub } from '../../events/hub.js';
import { buildServices } from '../../services.js';
import { ON_POSTGRES, openTestPostgres, startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { headerOf, postInbound, simpleMessage, startSink, uniqueId } from './email.test-helpers.js';

type Sink = Awaited<ReturnType<typeof startSink>>;

describe('email out: replies through the relay, retries, exactly once', () => {
  let t: TestApp;
  let sink: Sink;
  let refuse: (n: number) => number | null = () => null;
  let agent: TestClient;
  let key: TestClient;

  beforeAll(async () => {
    sink = await startSink((n) => refuse(n));
    t = await startTestApp({ env: { SMTP_RELAY_URL: sink.url, MAIL_FROM: 'help@support.test' } });
    agent = await t.user('agent');
    key = await t.apiKey('admin');
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });
  beforeEach(() => {
    refuse = () => null;
    sink.messages.length = 0;
  });

  const newCase = async (email: string, subject = 'Printer jams') => {
    const cust = (await t.admin.post('/api/v1/customers', { firstName: 'Rita', lastName: 'Reply', email })).json();
    return (await t.admin.post('/api/v1/cases', { customerId: cust.id, subject })).json();
  };
  const send = () => t.ctx.services.email.sendDue();

  it("an agent's reply is a public follow-up, sent with Message-ID and [#caseNumber]; BCC only in the envelope", async () => {
    const c = await newCase('rita1@customer.test');
    const res = await agent.post(`/api/v1/cases/${c.id}/replies`, {
      body: 'We are sending a technician.',
      cc: ['manager@customer.test'],
      bcc: ['qa@support.test'],
    });
    expect(res.statusCode).toBe(201);
    const { followUp, delivery } = res.json();
    expect(followUp).toMatchObject({ kind: 'email', direction: 'outbound', visibility: 'public' });
    expect(followUp.email).toMatchObject({
      from: 'help@support.test',
      to: ['rita1@customer.test'],
      cc: ['manager@customer.test'],
      bcc: ['qa@support.test'],
      subject: `Re: Printer jams [#${c.caseNumber}]`,
    });
    expect(delivery).toMatchObject({ status: 'queued', attempts: 0 });

    expect(await send()).toBe(1);
    expect(sink.messages).toHaveLength(1);
    const m = sink.messages[0];
    expect(m.from).toBe('help@support.test');
    expect(m.to.sort()).toEqual(['manager@customer.test', 'qa@support.test', 'rita1@customer.test']);
    expect(headerOf(m.raw, 'Message-ID')).toBe(`<${followUp.email.messageId}>`);
    expect(headerOf(m.raw, 'Subject')).toBe(`Re: Printer jams [#${c.caseNumber}]`);
    expect(headerOf(m.raw, 'Bcc')).toBeNull();
    expect(m.raw).toContain('We are sending a technician.');

    const d = (await agent.get(`/api/v1/cases/${c.id}/follow-ups/${followUp.id}/delivery`)).json();
    expect(d).toMatchObject({ status: 'sent', attempts: 1, lastError: null });
    // "View source" shows what went on the wire.
    const src = await agent.get(`/api/v1/cases/${c.id}/follow-ups/${followUp.id}/source`);
    expect(src.body).toContain(`Message-ID: <${followUp.email.messageId}>`);
    expect(await send()).toBe(0);
    expect(sink.messages).toHaveLength(1);
  });

  it('threads: the reply answers the last inbound message, and the answer to the reply finds the case', async () => {
    const inboundId = uniqueId('in');
    const first = (
      await postInbound(
        key,
        simpleMessage({ from: 'Tess <tess@customer.test>', subject: 'Wifi', messageId: inboundId }),
      )
    ).json();
    const res = (
      await agent.post(`/api/v1/cases/${first.caseId}/replies`, { body: 'Try turning it off and on.' })
    ).json();
    expect(res.followUp.email.to).toEqual(['tess@customer.test']);
    await send();
    const out = sink.messages[0].raw;
    expect(headerOf(out, 'In-Reply-To')).toBe(`<${inboundId}>`);
    expect(headerOf(out, 'References')).toContain(`<${inboundId}>`);

    // The customer answers our reply with a subject that lost the tag: the headers find the case.
    const answer = await postInbound(
      key,
      simpleMessage({
        from: 'tess@customer.test',
        subject: 'Re: it worked',
        extra: { 'In-Reply-To': `<${res.followUp.email.messageId}>` },
      }),
    );
    expect(answer.json()).toMatchObject({ outcome: 'followUp', caseId: first.caseId });
    // Our own message coming back (a copy to a monitored address) is not a new message.
    const echo = await postInbound(key, Buffer.from(out));
    expect(echo.json().outcome).toBe('duplicate');
  });

  it('a refused delivery is retried with backoff, shown on the follow-up, and sent once the relay takes it', async () => {
    const c = await newCase('rita2@customer.test');
    let refusedOnce = false;
    refuse = () => {
      if (refusedOnce) return null;
      refusedOnce = true;
      return 451;
    };
    const { followUp } = (await agent.post(`/api/v1/cases/${c.id}/replies`, { body: 'Second try' })).json();
    await send();
    const failed = (await agent.get(`/api/v1/cases/${c.id}/follow-ups/${followUp.id}/delivery`)).json();
    expect(failed).toMatchObject({ status: 'queued', attempts: 1 });
    expect(failed.lastError).toMatch(/451|Try again later/);
    expect(Date.parse(failed.nextAttemptAt)).toBeGreaterThan(Date.now());
    // Not due yet: the next run leaves it.
    expect(await send()).toBe(0);
    // An administrator may push it now (the same as waiting for the backoff).
    const retried = await t.admin.post(`/api/v1/email/outbox/${failed.id}/retry`);
    expect(retried.statusCode).toBe(200);
    expect(await send()).toBe(1);
    const sent = (await agent.get(`/api/v1/cases/${c.id}/follow-ups/${followUp.id}/delivery`)).json();
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
    expect(sink.messages).toHaveLength(1);
    // A sent message cannot be sent again by hand.
    expect((await t.admin.post(`/api/v1/email/outbox/${failed.id}/retry`)).statusCode).toBe(400);
  });

  it('a permanent refusal (5xx) fails at once and says why', async () => {
    const c = await newCase('rita3@customer.test');
    refuse = () => 550;
    const { followUp } = (await agent.post(`/api/v1/cases/${c.id}/replies`, { body: 'Nobody home' })).json();
    await send();
    const d = (await agent.get(`/api/v1/cases/${c.id}/follow-ups/${followUp.id}/delivery`)).json();
    expect(d).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null });
    expect(d.lastError).toMatch(/550|No such user/);
    const list = (await t.admin.get('/api/v1/email/outbox?status=failed')).json();
    expect(list.items.map((i: { id: string }) => i.id)).toContain(d.id);
  });

  it('validates the reply: addresses, a customer without email, privileges, private cases', async () => {
    const cust = (await t.admin.post('/api/v1/customers', { firstName: 'No', lastName: 'Mail' })).json();
    const c = (await t.admin.post('/api/v1/cases', { customerId: cust.id, subject: 'x' })).json();
    const noTo = await agent.post(`/api/v1/cases/${c.id}/replies`, { body: 'hi' });
    expect(noTo.statusCode).toBe(400);
    expect(noTo.json().errors[0].field).toBe('to');
    const bad = await agent.post(`/api/v1/cases/${c.id}/replies`, { body: 'hi', to: ['not an address'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('to.0');
    const viewer = await t.user('agent', { privileges: ['cases.view'] });
    expect((await viewer.post(`/api/v1/cases/${c.id}/replies`, { body: 'hi', to: ['a@b.test'] })).statusCode).toBe(403);
    const priv = (
      await t.admin.post('/api/v1/cases', { customerId: cust.id, subject: 'secret', visibility: 'private' })
    ).json();
    expect((await agent.post(`/api/v1/cases/${priv.id}/replies`, { body: 'hi', to: ['a@b.test'] })).statusCode).toBe(
      404,
    );
    expect(await send()).toBe(0);
  });

  it('sends each message exactly once with several senders running at once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const c = await newCase(`many${i}@customer.test`, `Batch ${i}`);
      ids.push(
        (await agent.post(`/api/v1/cases/${c.id}/replies`, { body: `batch ${i}` })).json().followUp.email.messageId,
      );
    }
    const senders = [send(), send()];
    let close: (() => Promise<void>) | null = null;
    if (ON_POSTGRES) {
      // A second "process": its own pool and services on the same database.
      const db2 = openTestPostgres(t.dbDirectUrl!, 4);
      const other = buildServices(db2, t.config, new EventHub(db2, t.app.log));
      senders.push(other.email.sendDue(), other.email.sendDue());
      close = async () => {
        await other.email.close();
        await db2.close();
      };
    }
    await Promise.all(senders);
    await close?.();
    const sentIds = sink.messages.map((m) => headerOf(m.raw, 'Message-ID'));
    expect(sentIds.sort()).toEqual(ids.map((id) => `<${id}>`).sort());
  });
});
