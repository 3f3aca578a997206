import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { startSink } from './email.test-helpers.js';

/** GET /api/v1/email/status, and replies and Support Center credentials that say when no email can leave. */
describe('email status: is outgoing mail going anywhere', () => {
  describe('without a mail relay', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('says so to administrators only, with the outbox counts', async () => {
      const agent = await t.user('agent');
      expect((await agent.get('/api/v1/email/status')).statusCode).toBe(403);
      const res = await t.admin.get('/api/v1/email/status');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        relayConfigured: false,
        outbox: { queued: 0, sent: 0, failed: 0 },
        oldestQueuedAt: null,
      });
    });

    it('a reply stays queued and says it is not sent; the status counts it', async () => {
      const agent = await t.user('agent');
      const cust = (
        await t.admin.post('/api/v1/customers', { firstName: 'Nora', lastName: 'Relay', email: 'nora@customer.test' })
      ).json();
      const c = (await t.admin.post('/api/v1/cases', { customerId: cust.id, subject: 'Where is my mail?' })).json();
      const res = await agent.post(`/api/v1/cases/${c.id}/replies`, { body: 'On its way.' });
      expect(res.statusCode, res.body).toBe(201);
      const { followUp, delivery } = res.json();
      expect(delivery).toMatchObject({ status: 'queued', notSentReason: 'no mail relay configured' });
      const d = (await agent.get(`/api/v1/cases/${c.id}/follow-ups/${followUp.id}/delivery`)).json();
      expect(d.notSentReason).toBe('no mail relay configured');
      const details = (await agent.get(`/api/v1/cases/${c.id}/follow-ups/${followUp.id}/email`)).json();
      expect(details.delivery.notSentReason).toBe('no mail relay configured');

      expect(await t.ctx.services.email.sendDue()).toBe(0);
      const s = (await t.admin.get('/api/v1/email/status')).json();
      expect(s.outbox).toEqual({ queued: 1, sent: 0, failed: 0 });
      expect(Number.isNaN(Date.parse(s.oldestQueuedAt))).toBe(false);
    });

    it('Support Center access says no mail relay is configured and gives the sign-in link', async () => {
      const cust = (
        await t.admin.post('/api/v1/customers', { firstName: 'Paul', lastName: 'Portal', email: 'paul@customer.test' })
      ).json();
      const res = await t.admin.put(`/api/v1/customers/${cust.id}/portal-access`, {
        enabled: true,
        generatePassword: true,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ credentialsSent: true, mailRelayConfigured: false });
      expect(res.json().signInUrl).toMatch(/\/portal$/);
    });
  });

  describe('with a mail relay', () => {
    let t: TestApp;
    let sink: Awaited<ReturnType<typeof startSink>>;
    beforeAll(async () => {
      sink = await startSink(() => null);
      t = await startTestApp({ env: { SMTP_RELAY_URL: sink.url, MAIL_FROM: 'help@support.test' } });
    });
    afterAll(async () => {
      await t?.close();
      await sink?.close();
    });

    it('reports the relay and what it sent; a reply carries no not-sent reason', async () => {
      const cust = (
        await t.admin.post('/api/v1/customers', { firstName: 'Sam', lastName: 'Sent', email: 'sam@customer.test' })
      ).json();
      const c = (await t.admin.post('/api/v1/cases', { customerId: cust.id, subject: 'Hello' })).json();
      const res = await t.admin.post(`/api/v1/cases/${c.id}/replies`, { body: 'Hi Sam.' });
      expect(res.json().delivery).toMatchObject({ status: 'queued', notSentReason: null });
      expect((await t.admin.get('/api/v1/email/status')).json()).toMatchObject({
        relayConfigured: true,
        outbox: { queued: 1, sent: 0, failed: 0 },
      });
      expect(await t.ctx.services.email.sendDue()).toBe(1);
      expect((await t.admin.get('/api/v1/email/status')).json()).toEqual({
        relayConfigured: true,
        outbox: { queued: 0, sent: 1, failed: 0 },
        oldestQueuedAt: null,
      });
    });
  });
});
