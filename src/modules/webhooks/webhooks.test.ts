import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { buildApp } from '../../app.js';
import { ON_POSTGRES, startTestApp, THROUGH_POOLER, type TestApp, type TestClient } from '../../../test/helpers.js';
import { enqueueWebhook } from './outbox.js';
import { RETRY_DELAYS_MS } from './service.js';

/** What the receiver got: headers and the exact body. */
interface Received {
  headers: Record<string, string>;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** A real HTTP receiver on loopback; `respond` decides the status per request. */
class Receiver {
  readonly got: Received[] = [];
  /** TCP connections accepted (keep-alive: deliveries reuse one). */
  connections = 0;
  respond: (r: Received) => number = () => 200;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = { headers: req.headers as Record<string, string>, body, json: JSON.parse(body) };
      this.got.push(r);
      res.statusCode = this.respond(r);
      res.end('ok');
    });
  });
  url = '';
  async start(): Promise<this> {
    this.server.on('connection', () => this.connections++);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
  of(type: string): Received[] {
    return this.got.filter((g) => g.json.type === type);
  }
}

/** Every delivery is checked with the standardwebhooks package, the specification's reference verifier. */
function verify(secret: string, r: Received): void {
  const out = new Webhook(secret).verify(r.body, {
    'webhook-id': r.headers['webhook-id'],
    'webhook-timestamp': r.headers['webhook-timestamp'],
    'webhook-signature': r.headers['webhook-signature'],
  });
  expect(out).toEqual(r.json);
}

describe('webhooks', () => {
  let t: TestApp;
  let rx: Receiver;
  const clock = new ManualClock();
  let hookId: string;
  let secret: string;
  // An API key: the tests move the clock by days, past any session's life.
  let admin: TestClient;

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }, clock });
    rx = await new Receiver().start();
    admin = await t.apiKey('admin');
    const res = await admin.post('/api/v1/webhooks', { url: rx.url, events: ['*'], description: 'all' });
    expect(res.statusCode, res.body).toBe(201);
    hookId = res.json().id;
    secret = res.json().secret;
  });
  afterAll(async () => {
    await rx?.stop();
    await t?.close();
  });
  beforeEach(async () => {
    await t.ctx.services.webhooks.deliverDue();
    rx.got.length = 0;
    rx.respond = () => 200;
  });
  const deliver = () => t.ctx.services.webhooks.deliverDue();
  const newCustomer = async (lastName: string) => {
    const res = await admin.post('/api/v1/customers', { firstName: 'Web', lastName });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; version: number };
  };

  it('lists event types; the secret is shown once; bad input names the field', async () => {
    const types = (await admin.get('/api/v1/webhooks/event-types')).json() as { type: string }[];
    expect(types.map((x) => x.type)).toEqual(
      expect.arrayContaining(['customer.created', 'case.closed', 'export.completed']),
    );
    expect(secret).toMatch(/^whsec_/);
    const got = (await admin.get(`/api/v1/webhooks/${hookId}`)).json();
    expect(got.secret).toBeUndefined();
    expect(got.events).toEqual(['*']);

    const bad = await admin.post('/api/v1/webhooks', { url: rx.url, events: ['customer.exploded'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('events.0');
    const meta = await admin.post('/api/v1/webhooks', { url: 'http://169.254.169.254/latest', events: ['*'] });
    expect(meta.statusCode).toBe(400);
    expect(meta.json().errors[0].field).toBe('url');
    const ftp = await admin.post('/api/v1/webhooks', { url: 'ftp://example.com/', events: ['*'] });
    expect(ftp.statusCode).toBe(400);
    const agent = await t.user('agent');
    expect((await agent.get('/api/v1/webhooks')).statusCode).toBe(403);
    expect((await admin.get('/api/v1/webhooks')).json()).toHaveLength(1);
  });

  it('customer changes are delivered signed, as the API returns the record, with its version', async () => {
    const c = await newCustomer('Signed');
    const upd = await admin.patch(`/api/v1/customers/${c.id}`, { notes: 'changed', version: c.version });
    expect(upd.statusCode, upd.body).toBe(200);
    expect(await deliver()).toBe(2);
    expect(rx.got.map((g) => g.json.type)).toEqual(['customer.created', 'customer.updated']);
    for (const g of rx.got) verify(secret, g);
    const [created, updated] = rx.got;
    expect(created.json.data).toEqual(c);
    expect(updated.json.data).toEqual(upd.json());
    expect(updated.json.data.version).toBe(c.version + 1);
    expect(created.headers['webhook-id']).not.toBe(updated.headers['webhook-id']);
    expect(created.headers['webhook-signature']).toMatch(/^v1,/);
    expect(Date.parse(created.json.timestamp)).not.toBeNaN();
  });

  it('deliveries reuse a keep-alive connection; a failure holds back only the same record', async () => {
    const c = await newCustomer('KeepAlive');
    const other = await newCustomer('KeepAliveOther');
    await deliver();
    let version = c.version;
    for (let i = 0; i < 4; i++) {
      version = (await admin.patch(`/api/v1/customers/${c.id}`, { notes: `k${i}`, version })).json().version;
    }
    await admin.patch(`/api/v1/customers/${other.id}`, { notes: 'o1', version: other.version });
    const before = rx.connections;
    rx.got.length = 0;
    // The second update of c fails: the third and fourth wait behind it, unsent; the other record goes out.
    rx.respond = (r) => (r.json.data.notes === 'k1' ? 503 : 200);
    expect(await deliver()).toBe(3);
    expect(rx.got.map((g) => g.json.data.notes)).toEqual(expect.arrayContaining(['k0', 'k1', 'o1']));
    expect(rx.got).toHaveLength(3);
    rx.respond = () => 200;
    clock.advance(RETRY_DELAYS_MS[0]);
    expect(await deliver()).toBe(3);
    expect(rx.got.filter((g) => g.json.data.id === c.id).map((g) => g.json.data.notes)).toEqual([
      'k0',
      'k1',
      'k1',
      'k2',
      'k3',
    ]);
    for (const g of rx.got) verify(secret, g);
    expect(rx.connections - before).toBeLessThanOrEqual(3); // six requests, at most one connection per record in flight
  });

  // (Through the suite's PgBouncer the held transactions would take its server connections too.)
  it.runIf(ON_POSTGRES && !THROUGH_POOLER)(
    'the deliverer has connections of its own: it delivers while every request connection is busy',
    async () => {
      await newCustomer('Busy');
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const began: Promise<void>[] = [];
      const holders = Array.from({ length: 10 }, () => {
        let inside!: () => void;
        began.push(new Promise<void>((r) => (inside = r)));
        return t.db.transaction(async (tx) => {
          await tx.query('SELECT 1');
          inside();
          await held;
        });
      });
      try {
        await Promise.all(began);
        expect(t.db.poolStats!()).toMatchObject({ idle: 0 });
        expect(await deliver()).toBe(1);
      } finally {
        release();
        await Promise.all(holders);
      }
      expect(rx.got.map((g) => g.json.data.lastName)).toEqual(['Busy']);
    },
  );

  it('a rolled-back change sends nothing', async () => {
    const actor = (await import('../../http/actor.js')).systemActor('api', 'test');
    await expect(
      t.db.transaction(async (tx) => {
        await t.ctx.services.customers.create(actor, { firstName: 'Never', lastName: 'Sent' }, tx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await deliver()).toBe(0);
    expect(rx.got).toHaveLength(0);
  });

  it('retries on the schedule with the same webhook-id; every attempt verifies; the log shows each', async () => {
    let calls = 0;
    rx.respond = () => (++calls <= 2 ? 503 : 200);
    await newCustomer('Retried');
    expect(await deliver()).toBe(1);
    clock.advance(RETRY_DELAYS_MS[0] - 1);
    expect(await deliver()).toBe(0); // not yet due
    clock.advance(1);
    expect(await deliver()).toBe(1);
    clock.advance(RETRY_DELAYS_MS[1]);
    expect(await deliver()).toBe(1);
    expect(rx.got).toHaveLength(3);
    for (const g of rx.got) verify(secret, g);
    expect(new Set(rx.got.map((g) => g.headers['webhook-id'])).size).toBe(1);

    const log = (await admin.get(`/api/v1/webhooks/${hookId}/deliveries?limit=1`)).json();
    expect(log.items[0]).toMatchObject({ state: 'succeeded', attempts: 3, lastStatus: 200, type: 'customer.created' });
    const detail = (await admin.get(`/api/v1/webhooks/${hookId}/deliveries/${log.items[0].id}`)).json();
    expect(detail.attemptLog.map((a: { status: number }) => a.status)).toEqual([503, 503, 200]);
    expect(detail.attemptLog[0].responseExcerpt).toBe('ok');
    expect(typeof detail.attemptLog[0].latencyMs).toBe('number');
  });

  it('per-record order under retries; one failing record does not delay another', async () => {
    const a = await newCustomer('OrderA');
    const b = await newCustomer('OrderB');
    await deliver();
    rx.got.length = 0;
    let failA = true;
    rx.respond = (r) => (r.json.data.id === a.id && failA ? 500 : 200);
    const a1 = await admin.patch(`/api/v1/customers/${a.id}`, { notes: 'a1', version: a.version });
    await admin.patch(`/api/v1/customers/${a.id}`, { notes: 'a2', version: a1.json().version });
    await admin.patch(`/api/v1/customers/${b.id}`, { notes: 'b1', version: b.version });
    await deliver();
    // a1 failed and holds a2 back; b1 went out.
    expect(rx.got.map((g) => [g.json.data.id, g.json.data.notes])).toEqual([
      [a.id, 'a1'],
      [b.id, 'b1'],
    ]);
    failA = false;
    clock.advance(RETRY_DELAYS_MS[0]);
    await deliver();
    const notesOfA = rx.got.filter((g) => g.json.data.id === a.id).map((g) => g.json.data.notes);
    expect(notesOfA).toEqual(['a1', 'a1', 'a2']);
    const versions = rx.got.filter((g) => g.json.data.id === a.id).map((g) => g.json.data.version as number);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
  });

  it("a stuck record's backlog longer than a claim's walk does not hold back other records", async () => {
    // One claim walks at most 4 × 64 due deliveries of an endpoint: 300 behind a failing one are more.
    const stuck = `stuck-${Date.now()}`;
    const other = `other-${Date.now()}`;
    const enqueue = (id: string, versions: number[]) =>
      t.db.transaction(async (tx) => {
        for (const version of versions) await enqueueWebhook(tx, 'customer.updated', { id, version });
      });
    let failStuck = true;
    rx.respond = (r) => (r.json.data.id === stuck && failStuck ? 500 : 200);
    await enqueue(stuck, [1]);
    await deliver();
    expect(rx.got).toHaveLength(1);
    const behind = Array.from({ length: 300 }, (_, i) => i + 2);
    await enqueue(stuck, behind);
    await enqueue(other, [1]);
    rx.got.length = 0;
    await deliver();
    expect(rx.got.map((g) => g.json.data.id)).toEqual([other]);
    // The backlog now waits for its head's retry, so the next claims walk past it.
    const pending = (await admin.get(`/api/v1/webhooks/${hookId}/deliveries?state=pending&limit=100`)).json();
    const retryAt = new Date(clock.now().getTime() + RETRY_DELAYS_MS[0]).toISOString();
    expect(pending.items.length).toBeGreaterThan(0);
    for (const d of pending.items) expect(d.nextAttemptAt).toBe(retryAt);

    // Once the head goes through, every one of the record's events arrives once, in commit order,
    // while another record's events interleaved with them go out too, in their order.
    failStuck = false;
    await enqueue(other, [2, 3]);
    clock.advance(RETRY_DELAYS_MS[0]);
    rx.got.length = 0;
    await deliver();
    const versionsOf = (id: string) =>
      rx.got.filter((g) => g.json.data.id === id).map((g) => g.json.data.version as number);
    expect(versionsOf(stuck)).toEqual([1, ...behind]);
    expect(versionsOf(other)).toEqual([2, 3]);
  });

  it('rotation with a grace period sends both signatures; each verifies', async () => {
    const rot = await admin.post(`/api/v1/webhooks/${hookId}/rotate-secret`, { graceSeconds: 3600 });
    expect(rot.statusCode, rot.body).toBe(200);
    const fresh = rot.json().secret as string;
    expect(fresh).not.toBe(secret);
    expect(rot.json().previousSecretUntil).toBeTruthy();
    await newCustomer('Rotated');
    await deliver();
    const sigs = rx.got[0].headers['webhook-signature'].split(' ');
    expect(sigs).toHaveLength(2);
    verify(fresh, rx.got[0]);
    verify(secret, rx.got[0]);
    // After the grace period only the new secret signs.
    clock.advance(3600_000 + 1);
    rx.got.length = 0;
    await newCustomer('AfterGrace');
    await deliver();
    expect(rx.got[0].headers['webhook-signature'].split(' ')).toHaveLength(1);
    verify(fresh, rx.got[0]);
    expect(() => verify(secret, rx.got[0])).toThrow();
    secret = fresh;
    const audit = await t.db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE target_type = 'webhook' ORDER BY id",
    );
    expect(audit.map((r) => r.action)).toEqual(expect.arrayContaining(['webhook.created', 'webhook.secret_rotated']));
  });

  it('cases, follow-ups, tasks and interactions send their events', async () => {
    const c = await newCustomer('Events');
    const agent = await t.user('agent');
    const kase = await admin.post('/api/v1/cases', { customerId: c.id, subject: 'Broken' });
    expect(kase.statusCode, kase.body).toBe(201);
    const assigned = await admin.patch(`/api/v1/cases/${kase.json().id}`, {
      ownerId: agent.userId,
      version: kase.json().version,
    });
    expect(assigned.statusCode, assigned.body).toBe(200);
    const fu = await admin.post(`/api/v1/cases/${kase.json().id}/follow-ups`, { kind: 'note', body: 'hello' });
    expect(fu.statusCode, fu.body).toBe(201);
    const task = await admin.post('/api/v1/tasks', { type: 'call', subject: 'Call back', customerId: c.id });
    expect(task.statusCode, task.body).toBe(201);
    const done = await admin.patch(`/api/v1/tasks/${task.json().id}`, {
      status: 'done',
      version: task.json().version,
    });
    expect(done.statusCode, done.body).toBe(200);
    const call = await admin.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '4155550123',
    });
    expect(call.statusCode, call.body).toBe(201);
    const ended = await admin.patch(`/api/v1/interactions/${call.json().id}`, { state: 'ended' });
    expect(ended.statusCode, ended.body).toBe(200);
    await deliver();
    const types = rx.got.map((g) => g.json.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'customer.created',
        'case.created',
        'case.updated',
        'case.assigned',
        'follow_up.created',
        'task.created',
        'task.completed',
        'interaction.created',
        'interaction.ended',
      ]),
    );
    for (const g of rx.got) verify(secret, g);
    expect(rx.of('case.assigned')[0].json.data).toMatchObject({ id: kase.json().id, ownerId: agent.userId });
  });

  it('a test event, replay of one delivery and of the failed ones since a time', async () => {
    const test = await admin.post(`/api/v1/webhooks/${hookId}/test`);
    expect(test.statusCode, test.body).toBe(202);
    rx.respond = () => 500;
    await deliver();
    expect(rx.of('webhook.test')).toHaveLength(1);
    // Let it fail for good: every retry.
    for (const d of RETRY_DELAYS_MS) {
      clock.advance(d);
      await deliver();
    }
    const failed = (await admin.get(`/api/v1/webhooks/${hookId}/deliveries?state=failed`)).json();
    expect(failed.items[0]).toMatchObject({
      id: test.json().id,
      state: 'failed',
      attempts: RETRY_DELAYS_MS.length + 1,
    });
    rx.respond = () => 200;
    rx.got.length = 0;
    const replay = await admin.post(`/api/v1/webhooks/${hookId}/deliveries/${test.json().id}/replay`);
    expect(replay.json().state).toBe('pending');
    await deliver();
    expect(rx.got).toHaveLength(1);
    expect(rx.got[0].headers['webhook-id']).toBe(test.json().webhookId);
    verify(secret, rx.got[0]);
    const none = await admin.post(`/api/v1/webhooks/${hookId}/replay`, { since: new Date(0).toISOString() });
    expect(none.json().replayed).toBe(0);
    // The endpoint failed for a while but came back: not disabled.
    expect((await admin.get(`/api/v1/webhooks/${hookId}`)).json()).toMatchObject({
      enabled: true,
      failingSince: null,
    });
  });

  it('410 disables the endpoint; failing for 5 days disables and flags it', async () => {
    const gone = await new Receiver().start();
    const sick = await new Receiver().start();
    try {
      gone.respond = () => 410;
      sick.respond = () => 500;
      const g = (await admin.post('/api/v1/webhooks', { url: gone.url, events: ['customer.created'] })).json();
      const s = (await admin.post('/api/v1/webhooks', { url: sick.url, events: ['customer.updated'] })).json();
      let c = await newCustomer('Gone');
      await deliver();
      expect(gone.got).toHaveLength(1);
      expect((await admin.get(`/api/v1/webhooks/${g.id}`)).json()).toMatchObject({
        enabled: false,
        disabledReason: 'gone',
      });
      // A change every 12 hours, each failing: after 5 days of failures the endpoint is disabled.
      for (let i = 0; i < 12; i++) {
        const r = await admin.patch(`/api/v1/customers/${c.id}`, { notes: `n${i}`, version: c.version });
        c = r.json();
        await deliver();
        clock.advance(12 * 3600_000);
        await deliver();
      }
      const after = (await admin.get(`/api/v1/webhooks/${s.id}`)).json();
      expect(after).toMatchObject({ enabled: false, disabledReason: 'failing' });
      expect(after.failingSince).toBeTruthy();
      // Enabling again clears the flag.
      const re = await admin.patch(`/api/v1/webhooks/${s.id}`, { enabled: true });
      expect(re.json()).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
      await admin.delete(`/api/v1/webhooks/${s.id}`);
      await admin.delete(`/api/v1/webhooks/${g.id}`);
    } finally {
      await gone.stop();
      await sick.stop();
    }
  });

  it("outcomes written together keep each endpoint's own state and health", async () => {
    const ok = await new Receiver().start();
    const sick = await new Receiver().start();
    try {
      sick.respond = () => 500;
      const o = (await admin.post('/api/v1/webhooks', { url: ok.url, events: ['customer.created'] })).json();
      const s = (await admin.post('/api/v1/webhooks', { url: sick.url, events: ['customer.created'] })).json();
      await newCustomer('Together');
      await newCustomer('Together2');
      // One claim: three endpoints' parts, their outcomes queued for the same writers.
      expect(await deliver()).toBe(6);
      expect([rx.got.length, ok.got.length, sick.got.length]).toEqual([2, 2, 2]);
      const okHook = (await admin.get(`/api/v1/webhooks/${o.id}`)).json();
      expect(okHook).toMatchObject({ enabled: true, failingSince: null });
      expect(okHook.lastSuccessAt).toBeTruthy();
      const sickHook = (await admin.get(`/api/v1/webhooks/${s.id}`)).json();
      expect(sickHook).toMatchObject({ enabled: true, lastSuccessAt: null });
      expect(sickHook.failingSince).toBeTruthy();
      const states = async (id: string) =>
        (await admin.get(`/api/v1/webhooks/${id}/deliveries`))
          .json()
          .items.map((d: { state: string; attempts: number }) => [d.state, d.attempts]);
      expect(await states(o.id)).toEqual([
        ['succeeded', 1],
        ['succeeded', 1],
      ]);
      expect(await states(s.id)).toEqual([
        ['pending', 1],
        ['pending', 1],
      ]);
      await admin.delete(`/api/v1/webhooks/${o.id}`);
      await admin.delete(`/api/v1/webhooks/${s.id}`);
    } finally {
      await ok.stop();
      await sick.stop();
    }
  });

  it('the log keeps finished deliveries 30 days', async () => {
    await newCustomer('Pruned');
    await deliver();
    const count = async () => (await t.db.query<{ n: number }>('SELECT count(*) AS n FROM webhook_deliveries'))[0].n;
    const n = await count();
    expect(await t.ctx.services.webhooks.prune()).toBe(0);
    clock.advance(31 * 24 * 3600_000);
    expect(await t.ctx.services.webhooks.prune()).toBeGreaterThan(0);
    expect(await count()).toBeLessThan(n);
    rx.got.length = 0;
  });

  it('a committed event waiting in the outbox is delivered by a server started later', async () => {
    await newCustomer('Survivor');
    // A second app on the same database (as after a restart); the first never delivered it.
    const { app, ctx } = await buildApp(t.db, t.config, { runJobs: false, logger: false, clock });
    await app.ready();
    try {
      expect(await ctx.services.webhooks.deliverDue()).toBe(1);
    } finally {
      await app.close();
    }
    expect(rx.got).toHaveLength(1);
    verify(secret, rx.got[0]);
    expect(rx.got[0].json.data.lastName).toBe('Survivor');
  });
});
