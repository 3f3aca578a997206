import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from './helpers.js';
import { emitEvent, type NewEvent } from '../src/events/outbox.js';
import type { EventSink, StoredEvent } from '../src/events/hub.js';
import { LIVE_EVENT_NAMES, LIVE_EVENTS, type LiveEventName } from '../src/events/registry.js';
import type { Actor } from '../src/http/actor.js';
import type { Privilege } from '../src/http/privileges.js';

/**
 * Issue 16, defect 1: every payload pushed to a user is shaped by that user's
 * privileges, never by those of whoever caused it (the platform's key, a
 * supervisor). Every event kind of the registry is listed here with the
 * privileges any recipient must hold; a new kind fails this test until it is
 * added to the table (and so considered).
 */
const MINIMUM: Record<LiveEventName, Privilege[]> = {
  reminder: ['tasks.view'],
  'reminder.cleared': ['tasks.view'],
  'task.assigned': ['tasks.view'],
  'case.assigned': ['cases.view'],
  'record.changed': [],
  'customer.created': ['customers.view'],
  'customer.updated': ['customers.view'],
  'customer.deleted': ['customers.view'],
  'screen.pop': ['customers.view'],
  'interaction.updated': ['customers.view'],
  'interaction.closed': ['customers.view'],
  'email.delivery': ['cases.view'],
  'customField.created': [],
  'customField.updated': [],
  'customField.deleted': [],
  'import.progress': ['data.import'],
  'import.completed': ['data.import'],
  // Addressed to one user about their own inbox; what a notice says is checked against that user's
  // access when it is written (src/flows/assignment-notices.ts: never a private case they may not see).
  'notification.created': [],
  'notification.read': [],
};

const AGENT_PRIVILEGES: Privilege[] = [
  'customers.view',
  'customers.create',
  'customers.edit',
  'cases.view',
  'cases.create',
  'cases.edit',
  'cases.addFollowUp',
  'cases.changeStatus',
  'tasks.view',
  'tasks.create',
  'tasks.edit',
];

describe('live events carry only what their recipient may see (issue 16, defect 1)', () => {
  let t: TestApp;
  let platform: TestClient;
  /** Sees public cases only. */
  let agent: TestClient;
  /** Sees customers but no cases. */
  let caseless: TestClient;
  /** Holds nothing at all. */
  let nobody: TestClient;
  const received = new Map<string, StoredEvent[]>();
  const disconnects: (() => void)[] = [];

  const actorOf = async (userId: string): Promise<Actor> => (await t.ctx.services.users.access(userId))!;
  const listen = async (userId: string) => {
    const events: StoredEvent[] = [];
    received.set(userId, events);
    const sink: EventSink = { actor: await actorOf(userId), lastSentId: 0, send: (e) => events.push(e) };
    disconnects.push(await t.ctx.hub.connect(sink, null));
  };
  const got = async (userId: string, type: string) => {
    await t.ctx.hub.flush();
    return received.get(userId)!.filter((e) => e.type === type);
  };
  /** Forgets what was received so far (the synthetic events of the test before). */
  const forget = async () => {
    await t.ctx.hub.flush();
    for (const list of received.values()) list.length = 0;
  };
  const customer = async (body: Record<string, unknown>) => {
    const res = await t.admin.post('/api/v1/customers', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const kase = async (body: Record<string, unknown>) => {
    const res = await t.admin.post('/api/v1/cases', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; caseNumber: number };
  };

  beforeAll(async () => {
    t = await startTestApp();
    await t.ctx.hub.start();
    // The platform's key belongs to a supervisor who sees private cases.
    platform = await t.apiKey('admin');
    agent = await t.user('agent', { privileges: AGENT_PRIVILEGES });
    caseless = await t.user('agent', { privileges: ['customers.view', 'tasks.view'] });
    nobody = await t.user('agent', { privileges: [] });
    for (const c of [agent, caseless, nobody, t.admin]) await listen(c.userId!);
  });
  afterAll(async () => {
    for (const d of disconnects) d();
    await t?.close();
  });

  it('the registry names, for every event kind, what a recipient must hold', () => {
    expect(Object.keys(MINIMUM).sort()).toEqual([...LIVE_EVENT_NAMES].sort());
    for (const name of LIVE_EVENT_NAMES) expect([...LIVE_EVENTS[name].requires], name).toEqual(MINIMUM[name]);
  });

  it('no event kind reaches a user lacking its privileges, as a user event or a broadcast', async () => {
    for (const type of LIVE_EVENT_NAMES) {
      const forNobody = { type, userId: nobody.userId, payload: {} } as unknown as NewEvent;
      const broadcast = { type, payload: {} } as unknown as NewEvent;
      await t.db.transaction(async (tx) => {
        await emitEvent(tx, forNobody);
        await emitEvent(tx, broadcast);
      });
      const seen = await got(nobody.userId!, type);
      expect(seen.length, type).toBe(MINIMUM[type].length === 0 ? 2 : 0);
      const admin = await got(t.admin.userId!, type);
      expect(admin.length, type).toBe(1);
    }
  });

  it("a screen pop is matched with the agent's privileges, not the reporting key's", async () => {
    await forget();
    const ada = await customer({ firstName: 'Ada', lastName: 'Pop', phones: [{ number: '+1 415 555 0161' }] });
    const open = await kase({ customerId: ada, subject: 'Printer jam' });
    const secret = await kase({ customerId: ada, subject: 'Fraud investigation', visibility: 'private' });

    // By phone: the private case is not among the agent's open cases.
    let res = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+14155550161',
      agentId: agent.userId,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(JSON.stringify(res.json())).toContain('Fraud investigation'); // the supervisor's key may see it
    let pops = await got(agent.userId!, 'screen.pop');
    expect(pops).toHaveLength(1);
    expect(JSON.stringify(pops[0].payload)).not.toContain('Fraud investigation');
    const match = (pops[0].payload.matches as { openCases: { id: string }[] }[])[0];
    expect(match.openCases.map((c) => c.id)).toEqual([open.id]);

    // By the private case's number: the agent's pop does not name it.
    res = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      caseNumber: secret.caseNumber,
      agentId: agent.userId,
    });
    expect(res.statusCode, res.body).toBe(201);
    pops = await got(agent.userId!, 'screen.pop');
    expect(pops).toHaveLength(2);
    expect(JSON.stringify(pops[1].payload)).not.toContain('Fraud investigation');
    expect((pops[1].payload.interaction as { caseId: string | null }).caseId).toBeNull();

    // An agent who sees no cases gets the customer and no case at all.
    res = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+14155550161',
      agentId: caseless.userId,
    });
    expect(res.statusCode, res.body).toBe(201);
    const caselessPops = await got(caseless.userId!, 'screen.pop');
    expect(caselessPops).toHaveLength(1);
    const text = JSON.stringify(caselessPops[0].payload);
    expect(text).toContain('Ada');
    expect(text).not.toContain('Printer jam');
    expect(text).not.toContain('Fraud investigation');

    // An agent who may not see customers gets no pop.
    res = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+14155550161',
      agentId: nobody.userId,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(await got(nobody.userId!, 'screen.pop')).toHaveLength(0);
  });

  it('a case assigned to someone who may not see it is not announced to them', async () => {
    await forget();
    const bob = await customer({ firstName: 'Bob', lastName: 'Assign' });
    const c = await kase({ customerId: bob, subject: 'Assigned to the caseless' });
    const res = await t.admin.patch(`/api/v1/cases/${c.id}`, { ownerId: caseless.userId }, { 'if-match': '1' });
    expect(res.statusCode, res.body).toBe(200);
    const mine = await got(caseless.userId!, 'case.assigned');
    expect(mine).toHaveLength(0);
    const priv = await kase({ customerId: bob, subject: 'Private, assigned', visibility: 'private' });
    const r2 = await t.admin.patch(`/api/v1/cases/${priv.id}`, { ownerId: agent.userId }, { 'if-match': '1' });
    expect(r2.statusCode, r2.body).toBe(200);
    expect((await got(agent.userId!, 'case.assigned')).map((e) => e.payload.subject)).not.toContain(
      'Private, assigned',
    );
    const changed = await got(agent.userId!, 'record.changed');
    expect(changed.some((e) => e.record_id === priv.id)).toBe(false);
  });
});
