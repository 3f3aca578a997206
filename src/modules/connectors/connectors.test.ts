import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../clock.js';
import { ConnectorsService } from './service.js';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';

/** What the CRM got: method, path, headers and the exact body. */
interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

type Behaviour = 'ok' | 'hang' | 'fail' | 'bad-json';

/**
 * A real HTTP server playing the external CRM of the generic HTTP connector's
 * contract: POST /lookup, POST /interactions, GET /changes, POST /contacts,
 * GET /contacts/{id}, POST /contacts/delete.
 */
class FakeCrm {
  readonly got: Received[] = [];
  behaviour: Behaviour = 'ok';
  contacts = [
    {
      externalId: 'crm-42',
      displayName: 'Grace Hopper',
      firstName: 'Grace',
      lastName: 'Hopper',
      company: 'Navy',
      emails: ['grace@navy.example'],
      phones: [{ type: 'work', number: '+14155550199' }],
      url: 'https://crm.example/contacts/42',
    },
  ];
  /** The changes feed: the page answered for each cursor ('' for none). */
  feed: Record<string, unknown> = {};
  /** The CRM's own contacts as the push and read calls see them, each with its version. */
  stored = new Map<string, { contact: Record<string, unknown>; version: number; updatedAt: string }>();
  /** This many pushes answer 503 first. */
  failPushes = 0;
  /** Pushes of these contacts are refused (422), for this reason. */
  refuse = new Set<string>();
  refusal = 'the CRM refuses this contact';
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.got.push({ method: req.method!, path: req.url!, headers: req.headers as Record<string, string>, body });
      if (this.behaviour === 'hang') return; // never answers
      if (this.behaviour === 'fail') {
        res.statusCode = 503;
        return res.end('down for maintenance');
      }
      res.setHeader('content-type', 'application/json');
      if (this.behaviour === 'bad-json') return res.end('{"matches": [');
      if (req.url === '/crm/lookup') {
        const keys = JSON.parse(body) as { phone?: string; email?: string };
        const matches = this.contacts.filter(
          (c) => c.phones.some((p) => p.number === keys.phone) || c.emails.includes(keys.email ?? ''),
        );
        return res.end(JSON.stringify({ matches }));
      }
      if (req.url === '/crm/interactions') return res.end('{"ok":true}');
      if (req.url === '/crm/contacts') {
        if (this.failPushes > 0) {
          this.failPushes--;
          res.statusCode = 503;
          return res.end('{"error":"busy"}');
        }
        const { contact, create, ifVersion } = JSON.parse(body) as {
          contact: { externalId: string };
          create: boolean;
          ifVersion: string | null;
        };
        if (this.refuse.has(contact.externalId)) {
          res.statusCode = 422;
          return res.end(JSON.stringify({ error: this.refusal }));
        }
        const had = this.stored.get(contact.externalId);
        if ((create && had) || (ifVersion !== null && String(had?.version) !== ifVersion)) {
          res.statusCode = 412;
          return res.end('{"error":"changed"}');
        }
        const version = (had?.version ?? 0) + 1;
        this.stored.set(contact.externalId, { contact, version, updatedAt: new Date().toISOString() });
        return res.end(JSON.stringify({ externalId: contact.externalId, version: String(version) }));
      }
      if (req.url === '/crm/contacts/delete') {
        const { externalId, ifVersion } = JSON.parse(body) as { externalId: string; ifVersion: string | null };
        const had = this.stored.get(externalId);
        if (had && ifVersion !== null && String(had.version) !== ifVersion) {
          res.statusCode = 412;
          return res.end('{"error":"changed"}');
        }
        this.stored.delete(externalId);
        return res.end('{}');
      }
      if (req.method === 'GET' && req.url?.startsWith('/crm/contacts/')) {
        const had = this.stored.get(decodeURIComponent(req.url.slice('/crm/contacts/'.length)));
        if (!had) {
          res.statusCode = 404;
          return res.end('{}');
        }
        return res.end(
          JSON.stringify({ contact: { ...had.contact, updatedAt: had.updatedAt }, version: String(had.version) }),
        );
      }
      if (req.url?.startsWith('/crm/changes')) {
        const cursor = new URL(req.url, 'http://x').searchParams.get('cursor') ?? '';
        return res.end(JSON.stringify(this.feed[cursor] ?? { changes: [], cursor }));
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  url = '';
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/crm`;
    return this;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
  of(path: string): Received[] {
    return this.got.filter((g) => g.path === `/crm${path}`);
  }
}

/** Every request is checked with the standardwebhooks package, as a receiver would. */
function verify(secret: string, r: Received): unknown {
  return new Webhook(secret).verify(
    r.body,
    {
      'webhook-id': r.headers['webhook-id'],
      'webhook-timestamp': r.headers['webhook-timestamp'],
      'webhook-signature': r.headers['webhook-signature'],
    },
    { jsonParse: r.body !== '' },
  );
}

describe('CRM connectors: configuration, screen pop, write-back (generic HTTP connector)', () => {
  let t: TestApp;
  let crm: FakeCrm;
  let admin: TestClient;
  let ivr: TestClient;
  let connectorId: string;
  let secret: string;
  let settingsVersion: number;
  const clock = new ManualClock();
  const BASE = '/api/v1/integrations/connectors';

  /** The next page of the changes feed (after the cursor the connector holds), and a sync run to its end. */
  const syncHelpers = () => ({
    page: async (changes: unknown[]) => {
      const [row] = await t.db.query<{ sync_cursor: string | null }>(
        'SELECT sync_cursor FROM connectors WHERE id = $1',
        [connectorId],
      );
      const at = row.sync_cursor ?? '';
      crm.feed[at] = { changes, cursor: `${at}+`, more: false };
    },
    sync: async () => {
      const started = await admin.post(`${BASE}/${connectorId}/sync`);
      expect(started.statusCode, started.body).toBe(202);
      await t.ctx.services.jobs.runUntilIdle();
      return (await admin.get(`/api/v1/jobs/${started.json().jobId}`)).json();
    },
  });

  const setOrder = async (lookupOrder: string) => {
    const res = await admin.put(`${BASE}/settings`, { lookupOrder, version: settingsVersion });
    expect(res.statusCode, res.body).toBe(200);
    settingsVersion = res.json().version;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }, clock, checkResponses: true });
    crm = await new FakeCrm().start();
    admin = await t.apiKey('admin');
    ivr = await t.apiKey('agent', 'lookup');
    const c = await admin.post('/api/v1/customers', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      phones: [{ number: '+14155550100' }],
    });
    expect(c.statusCode, c.body).toBe(201);
    settingsVersion = (await admin.get(`${BASE}/settings`)).json().version;
  });
  afterAll(async () => {
    await crm?.stop();
    await t?.close();
  });
  beforeEach(() => {
    crm.got.length = 0;
    crm.behaviour = 'ok';
  });

  it('an administrator adds a connector: its secret is shown once, never again', async () => {
    const res = await admin.post(BASE, { kind: 'http', name: 'Sales CRM', system: 'salescrm', baseUrl: crm.url });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      kind: 'http',
      system: 'salescrm',
      enabled: true,
      useForLookup: true,
      logInteractions: true,
      lookupBudgetMs: 300,
    });
    expect(res.json().secret).toMatch(/^whsec_/);
    connectorId = res.json().id;
    secret = res.json().secret;
    const one = await admin.get(`${BASE}/${connectorId}`);
    expect(one.statusCode).toBe(200);
    expect(one.body).not.toContain(secret);
    expect(one.json().secret).toBeUndefined();
    const list = await admin.get(BASE);
    expect(list.json()).toHaveLength(1);
    expect(list.body).not.toContain(secret);
  });

  it('bad input is a 400 naming the field and changes nothing; a second connector for one system is a 409', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'http', name: 'x', system: 'Bad System', baseUrl: crm.url }, 'system'],
      [{ kind: 'http', name: 'x', system: 'ok', baseUrl: 'not a url' }, 'baseUrl'],
      [{ kind: 'http', name: 'x', system: 'ok', baseUrl: 'ftp://crm.example/' }, 'baseUrl'],
      [{ kind: 'http', name: 'x', system: 'ok', baseUrl: 'http://10.0.0.5/crm' }, 'baseUrl'],
      [{ kind: 'soap', name: 'x', system: 'ok', baseUrl: crm.url }, 'kind'],
      [{ kind: 'http', name: 'x', system: 'ok', baseUrl: crm.url, lookupBudgetMs: 10 }, 'lookupBudgetMs'],
      [{ kind: 'http', name: 'x', system: 'ok', baseUrl: crm.url, secret: 'mine' }, 'secret'],
    ];
    for (const [body, field] of cases) {
      const res = await admin.post(BASE, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const dup = await admin.post(BASE, { kind: 'http', name: 'again', system: 'salescrm', baseUrl: crm.url });
    expect(dup.statusCode, dup.body).toBe(409);
    expect(dup.json().errors[0].field).toBe('system');
    expect((await admin.get(BASE)).json()).toHaveLength(1);
    const order = await admin.put(`${BASE}/settings`, { lookupOrder: 'sometimes' });
    expect(order.statusCode).toBe(400);
    expect(order.json().errors[0].field).toBe('lookupOrder');
  });

  it('only holders of integrations.manage see or change connectors', async () => {
    const agent = await t.user('agent');
    expect((await agent.get(BASE)).statusCode).toBe(403);
    expect((await agent.post(BASE, { kind: 'http', name: 'x', system: 'x', baseUrl: crm.url })).statusCode).toBe(403);
    expect((await agent.get(`${BASE}/settings`)).statusCode).toBe(403);
    expect((await ivr.get(BASE)).statusCode).toBe(403);
  });

  it('a stale version is a 409 with the current connector', async () => {
    const res = await admin.patch(`${BASE}/${connectorId}`, { name: 'Sales', version: 99 });
    expect(res.statusCode).toBe(409);
    const ok = await admin.patch(`${BASE}/${connectorId}`, { name: 'Sales', version: 1 });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ name: 'Sales', version: 2 });
  });

  it('lookup order local (the default): the pop is unchanged and asks no external source', async () => {
    const res = await ivr.get('/api/v1/lookup?phone=%2B14155550199');
    expect(res.statusCode).toBe(200);
    expect(res.json().result).toBe('not_found');
    expect(res.json().external).toBeUndefined();
    expect(crm.got).toHaveLength(0);
  });

  it('local then external: a known caller pops from local data; an unknown one from the CRM, signed, not created locally', async () => {
    await setOrder('local_then_external');
    const known = await ivr.get('/api/v1/lookup?phone=4155550100');
    expect(known.json()).toMatchObject({
      result: 'found',
      external: { order: 'local_then_external', sources: [], timedOut: false },
    });
    expect(crm.got).toHaveLength(0);

    const res = await ivr.get('/api/v1/lookup?phone=(415)%20555-0199');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ result: 'not_found', matches: [] });
    expect(res.json().external).toMatchObject({
      order: 'local_then_external',
      timedOut: false,
      sources: [{ connectorId, system: 'salescrm', status: 'ok', error: null }],
      matches: [
        {
          connectorId,
          system: 'salescrm',
          externalId: 'crm-42',
          displayName: 'Grace Hopper',
          company: 'Navy',
          email: 'grace@navy.example',
          phones: ['+14155550199'],
          url: 'https://crm.example/contacts/42',
        },
      ],
    });
    const [req] = crm.of('/lookup');
    expect(req.method).toBe('POST');
    expect(verify(secret, req)).toEqual({ phone: '+14155550199' });
    // The verifier is strict: another secret does not pass.
    expect(() => verify(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, req)).toThrow();
    const local = await admin.get('/api/v1/customers?phone=4155550199');
    expect(local.json().items).toHaveLength(0);
  });

  it('a hanging CRM: the pop answers from local data within the budget and says the source timed out', async () => {
    const patched = await admin.patch(`${BASE}/${connectorId}`, { lookupBudgetMs: 100 });
    expect(patched.statusCode).toBe(200);
    crm.behaviour = 'hang';
    const started = performance.now();
    const res = await ivr.get('/api/v1/lookup?email=nobody@example.test');
    const took = performance.now() - started;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      result: 'not_found',
      external: { timedOut: true, matches: [], sources: [{ status: 'timeout', error: null }] },
    });
    expect(res.json().external.sources[0].latencyMs).toBeGreaterThanOrEqual(90);
    expect(took).toBeLessThan(2000);
    expect(crm.of('/lookup')).toHaveLength(1);
  });

  it('a CRM answering 5xx or broken JSON never breaks the pop', async () => {
    crm.behaviour = 'fail';
    const down = await ivr.get('/api/v1/lookup?email=nobody@example.test');
    expect(down.statusCode).toBe(200);
    expect(down.json().external).toMatchObject({ timedOut: false, sources: [{ status: 'error' }] });
    expect(down.json().external.sources[0].error).toMatch(/503/);
    crm.behaviour = 'bad-json';
    const bad = await ivr.get('/api/v1/lookup?email=nobody@example.test');
    expect(bad.statusCode).toBe(200);
    expect(bad.json().external.sources[0]).toMatchObject({ status: 'error', error: expect.stringMatching(/not JSON/) });
  });

  it('a reported call pops with the CRM’s answer beside the local one; a hanging CRM holds it back only its budget', async () => {
    await setOrder('local_then_external');
    const agent = await t.user('agent');
    const report = async (from: string) => {
      const res = await admin.post('/api/v1/interactions', {
        channel: 'phone',
        direction: 'inbound',
        from,
        agentId: agent.userId,
      });
      expect(res.statusCode, res.body).toBe(201);
      const [pop] = await t.db.query<{ payload: Record<string, unknown> }>(
        `SELECT payload FROM events WHERE type = 'screen.pop' AND record_id = $1`,
        [res.json().id],
      );
      return { answer: res.json(), pop: pop.payload };
    };
    const unknown = await report('(415) 555-0199');
    const fromCrm = {
      order: 'local_then_external',
      timedOut: false,
      matches: [
        { connectorId, externalId: 'crm-42', displayName: 'Grace Hopper', url: 'https://crm.example/contacts/42' },
      ],
    };
    expect(unknown.answer).toMatchObject({ result: 'not_found', customerId: null, external: fromCrm });
    expect(unknown.pop).toMatchObject({ result: 'not_found', matches: [], external: fromCrm });
    expect(verify(secret, crm.of('/lookup')[0])).toEqual({ phone: '+14155550199' });

    // A caller known locally: the CRM is not asked.
    crm.got.length = 0;
    const known = await report('4155550100');
    expect(known.pop).toMatchObject({ result: 'found', external: { sources: [], matches: [] } });
    expect(crm.of('/lookup')).toHaveLength(0);

    // The CRM hangs: the pop still comes, from the local data, saying the source timed out.
    crm.behaviour = 'hang';
    const slow = await report('(415) 555-0198');
    expect(slow.pop).toMatchObject({
      result: 'not_found',
      external: { timedOut: true, matches: [], sources: [{ status: 'timeout' }] },
    });
  });

  it('external only: the CRM answers when it can; the local data when it cannot', async () => {
    await setOrder('external');
    const res = await ivr.get('/api/v1/lookup?email=GRACE@navy.example');
    expect(res.json()).toMatchObject({
      result: 'found',
      matchedBy: null,
      matches: [],
      external: { order: 'external', matches: [{ externalId: 'crm-42' }] },
    });
    expect(verify(secret, crm.of('/lookup')[0])).toEqual({ email: 'grace@navy.example' });
    crm.behaviour = 'hang';
    const local = await ivr.get('/api/v1/lookup?phone=4155550100');
    expect(local.json()).toMatchObject({
      result: 'found',
      matches: [{ displayName: 'Ada Lovelace' }],
      external: { timedOut: true },
    });
    await setOrder('local');
  });

  it('test connection: the outcome is answered and kept on the connector', async () => {
    const ok = await admin.post(`${BASE}/${connectorId}/test`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ ok: true, error: null });
    crm.behaviour = 'fail';
    const failed = await admin.post(`${BASE}/${connectorId}/test`);
    expect(failed.json()).toMatchObject({ ok: false, error: expect.stringMatching(/503/) });
    const after = await admin.get(`${BASE}/${connectorId}`);
    expect(after.json().lastTestError).toMatch(/503/);
    expect(after.json().lastTestAt).not.toBeNull();
  });

  it('rotating the signing secret: the new one shown once; both sign during the grace period, then only the new', async () => {
    const bad = await admin.post(`${BASE}/${connectorId}/rotate-secret`, { graceSeconds: -1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('graceSeconds');
    const before = (await admin.get(`${BASE}/${connectorId}`)).json();
    const rot = await admin.post(`${BASE}/${connectorId}/rotate-secret`, { graceSeconds: 3600 });
    expect(rot.statusCode, rot.body).toBe(200);
    const fresh = rot.json().secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(secret);
    expect(rot.json()).toMatchObject({ version: before.version + 1 });
    expect(new Date(rot.json().previousSecretUntil).getTime()).toBe(clock.now().getTime() + 3600_000);
    const shown = await admin.get(`${BASE}/${connectorId}`);
    expect(shown.body).not.toContain(fresh);
    expect(shown.json().previousSecretUntil).toBe(rot.json().previousSecretUntil);

    // During the grace period every request carries two signatures: a CRM holding either secret accepts it.
    await admin.post(`${BASE}/${connectorId}/test`);
    const [during] = crm.of('/lookup');
    expect(during.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => verify(secret, during)).not.toThrow();
    expect(() => verify(fresh, during)).not.toThrow();

    // After it only the new secret signs.
    clock.advance(3601_000);
    crm.got.length = 0;
    await admin.post(`${BASE}/${connectorId}/test`);
    const [after] = crm.of('/lookup');
    expect(after.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(() => verify(secret, after)).toThrow();
    expect(() => verify(fresh, after)).not.toThrow();
    expect((await admin.get(`${BASE}/${connectorId}`)).json().previousSecretUntil).toBeNull();
    secret = fresh;

    // An address book has a password, not a signing secret; an unknown connector is a 404.
    const book = await admin.post(BASE, {
      kind: 'carddav',
      name: 'Book',
      system: 'rotbook',
      baseUrl: `${crm.url}/dav/`,
      username: 'u',
      password: 'p',
    });
    const refused = await admin.post(`${BASE}/${book.json().id}/rotate-secret`, {});
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors[0]).toMatchObject({ field: 'kind', message: expect.stringMatching(/http connector/) });
    expect((await admin.delete(`${BASE}/${book.json().id}`)).statusCode).toBe(204);
    expect((await admin.post(`${BASE}/00000000-0000-4000-8000-000000000000/rotate-secret`, {})).statusCode).toBe(404);
    const audit = await t.db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE target_id = $1 AND action = 'connector.secret_rotated'",
      [connectorId],
    );
    expect(audit).toHaveLength(1);
  });

  it('a closed interaction is written back by a durable job: retried while the CRM fails, failures visible to administrators', async () => {
    const platform = await t.apiKey('agent');
    const rep = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '4155550100',
      reference: 'call-1',
    });
    expect(rep.statusCode, rep.body).toBe(201);
    const id = rep.json().id as string;
    const ended = await admin.patch(`/api/v1/interactions/${id}`, {
      state: 'closed',
      notes: 'Wants a callback about the invoice',
      disposition: 'callback_needed',
      version: rep.json().version,
    });
    expect(ended.statusCode, ended.body).toBe(200);

    crm.behaviour = 'fail';
    await t.ctx.services.jobs.runUntilIdle();
    expect(crm.of('/interactions')).toHaveLength(1);
    const jobs = await admin.get('/api/v1/jobs?kind=connector.log&all=true');
    expect(jobs.statusCode, jobs.body).toBe(200);
    const [job] = jobs.json().items;
    expect(job).toMatchObject({ status: 'queued', attempts: 1 });
    expect(job.error).toMatch(/503/);

    crm.behaviour = 'ok';
    clock.advance(5_000);
    await t.ctx.services.jobs.runUntilIdle();
    const sent = crm.of('/interactions');
    expect(sent).toHaveLength(2);
    expect(sent[0].headers['webhook-id']).toBe(`interaction_${id}`);
    expect(sent[1].headers['webhook-id']).toBe(`interaction_${id}`);
    expect(verify(secret, sent[1])).toMatchObject({
      interaction: {
        id,
        reference: 'call-1',
        channel: 'phone',
        direction: 'inbound',
        notes: 'Wants a callback about the invoice',
        disposition: 'callback_needed',
      },
      customer: { displayName: 'Ada Lovelace', externalId: null },
    });
    const done = (await admin.get('/api/v1/jobs?kind=connector.log&all=true')).json().items[0];
    expect(done).toMatchObject({ status: 'succeeded' });
  });

  it('the interaction carries the customer’s id in the connector’s system when linked', async () => {
    const customers = await admin.get('/api/v1/customers?phone=4155550100');
    const customerId = customers.json().items[0].id as string;
    const link = await admin.put(`/api/v1/customers/${customerId}/external-ids/salescrm`, { id: 'crm-7' });
    expect(link.statusCode, link.body).toBe(200);
    const platform = await t.apiKey('agent');
    const rep = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '4155550100',
    });
    const closed = await admin.patch(`/api/v1/interactions/${rep.json().id}`, {
      state: 'closed',
      disposition: 'resolved',
      version: rep.json().version,
    });
    expect(closed.statusCode, closed.body).toBe(200);
    await t.ctx.services.jobs.runUntilIdle();
    expect(verify(secret, crm.of('/interactions')[0])).toMatchObject({
      customer: { id: customerId, externalId: 'crm-7' },
      interaction: { disposition: 'resolved' },
    });
  });

  it('an interaction closed by the wrap-up timer is written back too', async () => {
    const platform = await t.apiKey('agent');
    const rep = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '4155550100',
    });
    const id = rep.json().id as string;
    const ended = await platform.patch(`/api/v1/interactions/${id}`, {
      state: 'ended',
      notes: 'Left in wrap-up',
      version: rep.json().version,
    });
    expect(ended.statusCode, ended.body).toBe(200);
    expect(ended.json().state).toBe('wrap_up');
    await t.ctx.services.jobs.runUntilIdle();
    expect(crm.of('/interactions')).toHaveLength(0);
    // The wrap-up period is over (the closer compares with the database's time).
    await t.db.query(`UPDATE interactions SET wrap_up_until = now() - interval '1 second' WHERE id = $1`, [id]);
    expect(await t.ctx.services.interactions.closeDueWrapUps()).toBe(1);
    await t.ctx.services.jobs.runUntilIdle();
    const [sent] = crm.of('/interactions');
    expect(verify(secret, sent)).toMatchObject({ interaction: { id, notes: 'Left in wrap-up' } });
  });

  it('contact sync: the changes feed, page by page, becomes customers by external id; bad contacts are skipped', async () => {
    const refused = await admin.post(`${BASE}/${connectorId}/sync`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors[0].field).toBe('syncContacts');
    expect((await admin.patch(`${BASE}/${connectorId}`, { syncContacts: true })).statusCode).toBe(200);
    crm.feed = {
      '': {
        changes: [
          { externalId: 'crm-42', contact: crm.contacts[0] },
          { externalId: 'crm-13', contact: { externalId: 'crm-13', displayName: 'Cher', emails: ['not an email'] } },
        ],
        cursor: 'c1',
        more: true,
      },
      c1: {
        changes: [
          { externalId: 'crm-9', contact: { externalId: 'crm-9', displayName: 'Alan Turing', company: 'NPL' } },
          { externalId: 'crm-5', deleted: true },
        ],
        cursor: 'c2',
        more: false,
      },
    };
    const started = await admin.post(`${BASE}/${connectorId}/sync`);
    expect(started.statusCode, started.body).toBe(202);
    await t.ctx.services.jobs.runUntilIdle();
    const job = await admin.get(`/api/v1/jobs/${started.json().jobId}`);
    expect(job.json().result.problems, job.body).toEqual([
      { externalId: 'crm-13', error: expect.stringMatching(/Last name is required/) },
    ]);
    expect(job.json()).toMatchObject({
      status: 'succeeded',
      // crm-5 was never synced: its deletion is nothing to apply. Ada (linked as crm-7 above) is pushed.
      result: { created: 2, updated: 0, skipped: 1, deleted: 0, pages: 2, pushed: 1 },
    });
    const [push] = crm.of('/contacts');
    expect(verify(secret, push)).toMatchObject({
      contact: { externalId: 'crm-7', firstName: 'Ada', lastName: 'Lovelace' },
      create: true,
      ifVersion: null,
    });
    const changes = crm.of('/changes').concat(crm.of('/changes?cursor=c1'));
    expect(changes).toHaveLength(2);
    for (const r of changes) {
      expect(r.method).toBe('GET');
      expect(() => verify(secret, r)).not.toThrow();
    }
    const grace = await admin.get('/api/v1/customers/by-external-id/salescrm/crm-42');
    expect(grace.statusCode).toBe(200);
    expect(grace.json()).toMatchObject({
      firstName: 'Grace',
      lastName: 'Hopper',
      company: 'Navy',
      email: 'grace@navy.example',
      phones: [{ type: 'work', e164: '+14155550199' }],
    });
    const alan = await admin.get('/api/v1/customers/by-external-id/salescrm/crm-9');
    expect(alan.json()).toMatchObject({ firstName: 'Alan', lastName: 'Turing', company: 'NPL' });
    expect((await admin.get('/api/v1/customers/by-external-id/salescrm/crm-13')).statusCode).toBe(404);
    const connector = (await admin.get(`${BASE}/${connectorId}`)).json();
    expect(connector.lastSyncAt).not.toBeNull();
    expect(connector.lastSyncError).toBeNull();

    // The next run starts from the cursor: an edit in the CRM updates the same customer.
    crm.got.length = 0;
    crm.feed.c2 = {
      changes: [{ externalId: 'crm-42', contact: { ...crm.contacts[0], company: 'US Navy' } }],
      cursor: 'c3',
    };
    await admin.post(`${BASE}/${connectorId}/sync`);
    await t.ctx.services.jobs.runUntilIdle();
    expect(crm.got.map((g) => g.path)).toEqual(['/crm/changes?cursor=c2']);
    const after = await admin.get('/api/v1/customers/by-external-id/salescrm/crm-42');
    expect(after.json()).toMatchObject({ id: grace.json().id, company: 'US Navy', version: 2 });
  });

  it('a failing changes feed is retried by the job and shown on the connector', async () => {
    crm.behaviour = 'fail';
    const started = await admin.post(`${BASE}/${connectorId}/sync`);
    await t.ctx.services.jobs.runUntilIdle();
    const job = (await admin.get(`/api/v1/jobs/${started.json().jobId}`)).json();
    expect(job).toMatchObject({ status: 'queued', attempts: 1, error: expect.stringMatching(/503/) });
    expect((await admin.get(`${BASE}/${connectorId}`)).json().lastSyncError).toMatch(/503/);
    crm.behaviour = 'ok';
    clock.advance(5_000);
    await t.ctx.services.jobs.runUntilIdle();
    expect((await admin.get(`/api/v1/jobs/${started.json().jobId}`)).json().status).toBe('succeeded');
    expect((await admin.get(`${BASE}/${connectorId}`)).json().lastSyncError).toBeNull();
  });

  it('two-way sync: local changes pushed (signed, retried after a 5xx), conflicts resolved by version and recorded', async () => {
    const { page, sync } = syncHelpers();
    const kj = { externalId: 'crm-50', displayName: 'Katherine Johnson', firstName: 'Katherine', lastName: 'Johnson' };
    crm.stored.set('crm-50', { contact: kj, version: 3, updatedAt: '2020-01-01T00:00:00Z' });
    await page([{ externalId: 'crm-50', version: '3', contact: { ...kj, company: 'NASA' } }]);
    expect((await sync()).result).toMatchObject({ created: 1, pushed: 0 });
    const path = '/api/v1/customers/by-external-id/salescrm/crm-50';
    const katherine = (await admin.get(path)).json();

    // A local edit is pushed naming the version last seen; the CRM answering 503 fails the job, which retries.
    await admin.patch(`/api/v1/customers/${katherine.id}`, { company: 'NASA Langley', version: katherine.version });
    crm.failPushes = 1;
    await page([]);
    const started = await admin.post(`${BASE}/${connectorId}/sync`);
    await t.ctx.services.jobs.runUntilIdle();
    const failed = (await admin.get(`/api/v1/jobs/${started.json().jobId}`)).json();
    expect(failed).toMatchObject({ status: 'queued', attempts: 1, error: expect.stringMatching(/503/) });
    expect((await admin.get(`${BASE}/${connectorId}`)).json().lastSyncError).toMatch(/POST \/contacts answered 503/);
    clock.advance(5_000);
    await page([]);
    await t.ctx.services.jobs.runUntilIdle();
    const retried = (await admin.get(`/api/v1/jobs/${started.json().jobId}`)).json();
    expect(retried).toMatchObject({ status: 'succeeded', attempts: 2, result: { pushed: 1 } });
    const pushes = crm.of('/contacts');
    expect(pushes).toHaveLength(2);
    expect(verify(secret, pushes[1])).toMatchObject({
      contact: { externalId: 'crm-50', company: 'NASA Langley' },
      create: false,
      ifVersion: '3',
    });
    expect(crm.stored.get('crm-50')).toMatchObject({ version: 4, contact: { company: 'NASA Langley' } });
    expect((await admin.get(`${BASE}/${connectorId}`)).json().lastSyncError).toBeNull();

    // Its own write comes back through the feed with the version it answered: not a change.
    await page([{ externalId: 'crm-50', version: '4', contact: { ...kj, company: 'NASA Langley' } }]);
    expect((await sync()).result).toMatchObject({ unchanged: 1, updated: 0, pushed: 0, conflicts: 0 });

    // Both sides changed, the CRM's change newer: it wins; the history names the winner and what was lost.
    const v = (await admin.get(path)).json().version as number;
    await admin.patch(`/api/v1/customers/${katherine.id}`, { company: 'Local Co', notes: 'VIP', version: v });
    crm.stored.set('crm-50', {
      contact: { ...kj, company: 'Remote Co' },
      version: 5,
      updatedAt: '2100-01-01T00:00:00Z',
    });
    await page([
      {
        externalId: 'crm-50',
        version: 5,
        contact: { ...kj, company: 'Remote Co', updatedAt: '2100-01-01T00:00:00Z' },
      },
    ]);
    expect((await sync()).result).toMatchObject({ conflicts: 1, pushed: 0 });
    const remoteWon = (await admin.get(path)).json();
    expect(remoteWon).toMatchObject({ company: 'Remote Co', notes: 'VIP' });
    const history = async () =>
      (await admin.get(`/api/v1/customers/${katherine.id}/history`)).json().items as {
        action: string;
        changes: { field: string; from: unknown; to: unknown }[];
      }[];
    expect((await history())[1]).toMatchObject({
      action: 'sync_conflict',
      changes: expect.arrayContaining([
        { field: 'conflict', from: null, to: expect.stringMatching(/^salescrm won/) },
        { field: 'company', from: 'Local Co', to: 'Remote Co' },
      ]),
    });

    // Both sides changed, Switchboard's newer, the CRM's change not yet in the feed: the push gets a 412,
    // reads the contact again, and Switchboard's version wins over it (named by its new version).
    await admin.patch(`/api/v1/customers/${katherine.id}`, { company: 'Switchboard Co', version: remoteWon.version });
    crm.stored.set('crm-50', { contact: { ...kj, company: 'Old Co' }, version: 6, updatedAt: '2001-01-01T00:00:00Z' });
    await page([]);
    crm.got.length = 0;
    expect((await sync()).result).toMatchObject({ conflicts: 1, pushed: 1 });
    expect(crm.got.map((g) => `${g.method} ${g.path}`)).toEqual([
      expect.stringMatching(/^GET \/crm\/changes/),
      'POST /crm/contacts',
      'GET /crm/contacts/crm-50',
      'POST /crm/contacts',
    ]);
    expect(verify(secret, crm.got[3])).toMatchObject({ ifVersion: '6', contact: { company: 'Switchboard Co' } });
    expect(crm.stored.get('crm-50')).toMatchObject({ version: 7, contact: { company: 'Switchboard Co' } });
    expect((await admin.get(path)).json().company).toBe('Switchboard Co');
    expect((await history())[0]).toMatchObject({
      action: 'sync_conflict',
      changes: expect.arrayContaining([
        { field: 'conflict', from: null, to: expect.stringMatching(/^Switchboard won/) },
        { field: 'salescrm.company', from: 'Old Co', to: 'Switchboard Co' },
      ]),
    });

    // Deleted in the CRM: the customer stays, without its id there.
    await page([{ externalId: 'crm-50', deleted: true }]);
    expect((await sync()).result).toMatchObject({ deleted: 1 });
    expect((await admin.get(path)).statusCode).toBe(404);
    expect((await admin.get(`/api/v1/customers/${katherine.id}`)).statusCode).toBe(200);
  });

  it('push off: a local edit sends nothing to the CRM, a CRM change still arrives and wins', async () => {
    const off = await admin.patch(`${BASE}/${connectorId}`, { pushContacts: false });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json().pushContacts).toBe(false);
    const bad = await admin.patch(`${BASE}/${connectorId}`, { pushContacts: 'no' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('pushContacts');
    const { page, sync } = syncHelpers();
    const path = '/api/v1/customers/by-external-id/salescrm/crm-42';
    const grace = (await admin.get(path)).json();
    await admin.patch(`/api/v1/customers/${grace.id}`, { company: 'Edited Locally', version: grace.version });
    await page([]);
    crm.got.length = 0;
    expect((await sync()).result).toMatchObject({ pushed: 0, removed: 0 });
    expect(crm.got.map((g) => `${g.method} ${g.path}`)).toEqual([expect.stringMatching(/^GET \/crm\/changes/)]);

    // The CRM's change arrives, older than the local edit: with push off the CRM is the source of truth and wins.
    await page([
      {
        externalId: 'crm-42',
        version: 'v9',
        contact: { ...crm.contacts[0], company: 'Navy Reserve', updatedAt: '2001-01-01T00:00:00Z' },
      },
    ]);
    crm.got.length = 0;
    expect((await sync()).result).toMatchObject({ conflicts: 1, pushed: 0 });
    expect(crm.got.filter((g) => g.path.startsWith('/crm/contacts'))).toEqual([]);
    expect((await admin.get(path)).json()).toMatchObject({ id: grace.id, company: 'Navy Reserve' });
    // The newest line is the CRM's update; before it, the conflict naming the winner and what was lost.
    const [, line] = (await admin.get(`/api/v1/customers/${grace.id}/history`)).json().items;
    expect(line).toMatchObject({
      action: 'sync_conflict',
      changes: expect.arrayContaining([
        { field: 'conflict', from: null, to: expect.stringMatching(/^salescrm won: push is off/) },
        { field: 'company', from: 'Edited Locally', to: 'Navy Reserve' },
      ]),
    });
    expect((await admin.patch(`${BASE}/${connectorId}`, { pushContacts: true })).json().pushContacts).toBe(true);
  });

  it('one contact’s failure or deletion conflict is recorded; the rest of the sync completes', async () => {
    const { page, sync } = syncHelpers();
    const byId = (id: string) => admin.get(`/api/v1/customers/by-external-id/salescrm/${id}`);
    // Ada (crm-7) deleted here, while the CRM changed her since the last sync: its delete answers 412.
    const ada = (await byId('crm-7')).json();
    expect((await admin.delete(`/api/v1/customers/${ada.id}`)).statusCode).toBe(204);
    const adaThere = crm.stored.get('crm-7')!;
    crm.stored.set('crm-7', { ...adaThere, version: adaThere.version + 1 });
    // Alan (crm-9) edited here, but the CRM refuses his push (422); Grace (crm-42) edited here, pushed.
    const alan = (await byId('crm-9')).json();
    await admin.patch(`/api/v1/customers/${alan.id}`, { company: 'Bletchley Park', version: alan.version });
    crm.refuse.add('crm-9');
    const grace = (await byId('crm-42')).json();
    await admin.patch(`/api/v1/customers/${grace.id}`, { company: 'Harvard', version: grace.version });
    await page([]);
    const job = await sync();
    expect(job).toMatchObject({ status: 'succeeded', result: { pushed: 1, failed: 1, conflicts: 1, removed: 0 } });
    const problems = [
      { externalId: 'crm-9', error: expect.stringMatching(/POST \/contacts answered 422/) },
      { externalId: 'crm-7', error: expect.stringMatching(/^not deleted in salescrm: it changed there since/) },
    ];
    expect(job.result.problems).toEqual(problems);
    const connector = (await admin.get(`${BASE}/${connectorId}`)).json();
    expect(connector).toMatchObject({ lastSyncError: null, lastSyncCounts: { pushed: 1, failed: 1, conflicts: 1 } });
    expect(connector.lastSyncProblems).toEqual(problems);
    expect(crm.stored.get('crm-42')?.contact).toMatchObject({ company: 'Harvard' });
    // The CRM's newer version of Ada stays there, no longer linked: the next sync does not try again.
    expect(crm.stored.has('crm-7')).toBe(true);

    // Each customer's history says why it is not in the CRM: the connector, what failed, the CRM's reason.
    type Line = { action: string; actor: unknown; changes: { field: string; from: unknown; to: unknown }[] };
    const failures = async (id: string) =>
      ((await admin.get(`/api/v1/customers/${id}/history`)).json().items as Line[]).filter(
        (h) => h.action === 'sync_failed',
      );
    const line = (failure: string, reason: RegExp) => ({
      action: 'sync_failed',
      changes: [
        { field: 'connector', from: null, to: 'Sales (salescrm)' },
        { field: 'failure', from: null, to: failure },
        { field: 'reason', from: null, to: expect.stringMatching(reason) },
      ],
    });
    expect(await failures(alan.id)).toEqual([
      expect.objectContaining(line('push refused', /^POST \/contacts answered 422: .*the CRM refuses this contact/)),
    ]);
    // Ada was deleted here; her history (which outlives her) says the CRM kept its newer version.
    expect(await failures(ada.id)).toEqual([
      expect.objectContaining(line('deletion refused', /^not deleted in salescrm: it changed there since/)),
    ]);
    expect(await failures(grace.id)).toEqual([]);

    // Refused again for the same reason: counted and listed again, but no second history line.
    await page([]);
    expect((await sync()).result).toMatchObject({ failed: 1, problems: [problems[0]] });
    expect(await failures(alan.id)).toHaveLength(1);
    // Refused for another reason: a new line.
    crm.refusal = 'the account is closed';
    await page([]);
    expect((await sync()).result).toMatchObject({ failed: 1 });
    const [newest] = await failures(alan.id);
    expect(newest).toMatchObject(line('push refused', /the account is closed/));
    expect(await failures(alan.id)).toHaveLength(2);

    // The CRM accepts Alan again: the next sync pushes him; nothing is left to report.
    crm.refuse.clear();
    await page([]);
    crm.got.length = 0;
    expect((await sync()).result).toMatchObject({ pushed: 1, failed: 0, conflicts: 0, problems: [] });
    expect(crm.got.filter((g) => g.path === '/crm/contacts/delete')).toEqual([]);
    expect(crm.stored.get('crm-9')?.contact).toMatchObject({ company: 'Bletchley Park' });
    expect((await admin.get(`${BASE}/${connectorId}`)).json().lastSyncProblems).toEqual([]);

    // After a successful push, the same refusal as before is news again: noted once more.
    const pushed = (await byId('crm-9')).json();
    await admin.patch(`/api/v1/customers/${alan.id}`, { company: 'GCHQ', version: pushed.version });
    crm.refuse.add('crm-9');
    await page([]);
    expect((await sync()).result).toMatchObject({ failed: 1 });
    expect(await failures(alan.id)).toHaveLength(3);
    expect((await failures(alan.id))[0]).toMatchObject(line('push refused', /the account is closed/));
    crm.refuse.clear();
    crm.refusal = 'the CRM refuses this contact';
    await page([]);
    expect((await sync()).result).toMatchObject({ pushed: 1, failed: 0 });
  });

  it('several emails of a CRM contact: the customer holds the first; a push sends the others back', async () => {
    const { page, sync } = syncHelpers();
    const hedy = {
      externalId: 'crm-60',
      displayName: 'Hedy Lamarr',
      firstName: 'Hedy',
      lastName: 'Lamarr',
      emails: ['not an address', 'hedy@work.example', 'hedy@home.example'],
    };
    crm.stored.set('crm-60', { contact: hedy, version: 1, updatedAt: '2000-01-01T00:00:00Z' });
    await page([{ externalId: 'crm-60', version: 1, contact: hedy }]);
    expect((await sync()).result).toMatchObject({ created: 1 });
    const path = '/api/v1/customers/by-external-id/salescrm/crm-60';
    const local = (await admin.get(path)).json();
    expect(local.email).toBe('hedy@work.example');
    await admin.patch(`/api/v1/customers/${local.id}`, { email: 'hedy@new.example', version: local.version });
    await page([]);
    crm.got.length = 0;
    expect((await sync()).result).toMatchObject({ pushed: 1, conflicts: 0 });
    const [push] = crm.of('/contacts');
    expect(verify(secret, push)).toMatchObject({
      contact: { emails: ['hedy@new.example', 'not an address', 'hedy@home.example'] },
      ifVersion: '1',
    });
    // Taking one of the others: sent once, not twice; the one replaced is gone.
    const again = (await admin.get(path)).json();
    await admin.patch(`/api/v1/customers/${local.id}`, { email: 'hedy@home.example', version: again.version });
    await page([]);
    crm.got.length = 0;
    expect((await sync()).result).toMatchObject({ pushed: 1 });
    expect(verify(secret, crm.of('/contacts')[0])).toMatchObject({
      contact: { emails: ['hedy@home.example', 'not an address'] },
    });
  });

  it('a disabled connector is not asked and logs nothing; removing one keeps the customers and their ids there', async () => {
    await setOrder('local_then_external');
    await admin.patch(`${BASE}/${connectorId}`, { enabled: false });
    const res = await ivr.get('/api/v1/lookup?phone=4155550199');
    expect(res.json().external).toMatchObject({ sources: [], matches: [] });
    expect(crm.got).toHaveLength(0);
    expect((await admin.delete(`${BASE}/${connectorId}`)).statusCode).toBe(204);
    expect((await admin.get(`${BASE}/${connectorId}`)).statusCode).toBe(404);
    // No customer data is lost: the synced customers keep their ids in salescrm; only the sync state goes.
    const grace = await admin.get('/api/v1/customers/by-external-id/salescrm/crm-42');
    expect(grace.statusCode).toBe(200);
    expect(grace.json()).toMatchObject({ firstName: 'Grace', lastName: 'Hopper' });
    const links = await t.db.query('SELECT 1 FROM connector_contacts WHERE connector_id = $1', [connectorId]);
    expect(links).toHaveLength(0);
    await setOrder('local');
  });

  it('another process’s cache follows a change (NOTIFY), without a request of its own', async () => {
    const other = new ConnectorsService(t.db, { webhooks: t.ctx.services.webhooks, jobs: t.ctx.services.jobs });
    await other.start();
    try {
      expect(other.lookupOrder()).toBe('local');
      await setOrder('external');
      await vi.waitFor(() => expect(other.lookupOrder()).toBe('external'), { timeout: 5000, interval: 10 });
      await setOrder('local');
      await vi.waitFor(() => expect(other.lookupOrder()).toBe('local'), { timeout: 5000, interval: 10 });
    } finally {
      await other.stop();
    }
  });

  it('every answer matched its OpenAPI schema', () => {
    expect(t.responseMismatches).toEqual([]);
  });
});
