import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { baseUrl, json, SseClient } from '../../../test/sse-client.js';

interface InteractionWire {
  id: string;
  customerId: string | null;
  caseId: string | null;
  state: string;
  version: number;
  notes: string | null;
  disposition: string | null;
  startedAt: string;
  endedAt: string | null;
  wrapUpUntil: string | null;
  closedAt: string | null;
  followOnTaskId: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MIN = 60_000;
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

async function setup(env: Record<string, string>) {
  const t = await startTestApp({ env });
  const platform = await t.apiKey('agent');
  const agent = await t.user('agent');
  const c = await t.admin.post('/api/v1/customers', {
    firstName: 'Ada',
    lastName: 'Lovelace',
    phones: [{ number: '(415) 555-0100' }],
  });
  const customerId = c.json().id as string;
  const report = async (body: Record<string, unknown> = {}): Promise<InteractionWire> => {
    const res = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '4155550100',
      agentId: agent.userId,
      ...body,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  return { t, platform, agent, customerId, report };
}

describe('wrap-up: states, notes, versions, follow-on call (WRAP_UP_SECONDS=3600)', () => {
  let t: TestApp;
  let platform: TestClient;
  let agent: TestClient;
  let customerId: string;
  let report: (body?: Record<string, unknown>) => Promise<InteractionWire>;
  const patch = (as: TestClient, id: string, body: Record<string, unknown>) =>
    as.patch(`/api/v1/interactions/${id}`, body);

  beforeAll(async () => {
    ({ t, platform, agent, customerId, report } = await setup({ WRAP_UP_SECONDS: '3600' }));
  });
  afterAll(async () => t?.close());

  it('ringing → active → wrap-up: state reports keep the version, so the agent form never goes stale', async () => {
    const i = await report({ state: 'ringing', startedAt: new Date(Date.now() - 60_000).toISOString() });
    expect(i.state).toBe('ringing');
    const answered = await patch(platform, i.id, { state: 'active' });
    expect(answered.statusCode, answered.body).toBe(200);
    expect(answered.json()).toMatchObject({ state: 'active', version: i.version });

    const noVersion = await patch(agent, i.id, { notes: 'Wants a refund' });
    expect(noVersion.statusCode).toBe(428);
    const noted = await patch(agent, i.id, { notes: 'Wants a refund', version: i.version });
    expect(noted.statusCode, noted.body).toBe(200);
    expect(noted.json()).toMatchObject({ notes: 'Wants a refund', version: i.version + 1 });

    const endedAt = new Date(Date.now() - 1000).toISOString();
    const ended = await patch(platform, i.id, { state: 'ended', endedAt });
    expect(ended.statusCode, ended.body).toBe(200);
    const e = ended.json() as InteractionWire;
    expect(e).toMatchObject({ state: 'wrap_up', endedAt, version: i.version + 1 });
    expect(Date.parse(e.wrapUpUntil!) - Date.parse(endedAt)).toBe(3600 * 1000);
    // The platform retries the end: nothing changes.
    const again = await patch(platform, i.id, { state: 'ended' });
    expect(again.json()).toMatchObject({ endedAt, wrapUpUntil: e.wrapUpUntil });

    // The agent's form read version i.version+1 before the call ended: still current.
    const wrap = await agent.patch(
      `/api/v1/interactions/${i.id}`,
      { notes: 'Refund approved', disposition: 'resolved' },
      { 'if-match': `"${i.version + 1}"` },
    );
    expect(wrap.statusCode, wrap.body).toBe(200);
    expect(wrap.json()).toMatchObject({ notes: 'Refund approved', disposition: 'resolved', state: 'wrap_up' });
    const stale = await patch(agent, i.id, { notes: 'overwrite', version: i.version + 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().current.notes).toBe('Refund approved');

    const back = await patch(platform, i.id, { state: 'active' });
    expect(back.statusCode).toBe(409);
    const badDisposition = await patch(agent, i.id, { disposition: 'Not A Key', version: i.version + 2 });
    expect(badDisposition.statusCode).toBe(400);

    const history = (await agent.get(`/api/v1/interactions/${i.id}/history`)).json().items as {
      action: string;
      changes: { field: string; from: unknown; to: unknown }[];
    }[];
    expect(history.map((h) => h.action)).toEqual(['update', 'end', 'update', 'answer', 'create']);
    expect(history[0].changes).toContainEqual({ field: 'notes', from: 'Wants a refund', to: 'Refund approved' });
  });

  it('the agent closes the wrap-up with final notes; then the notes are read-only', async () => {
    const i = await report();
    await patch(platform, i.id, { state: 'ended' });
    const done = await patch(agent, i.id, { state: 'closed', notes: 'Final words', version: i.version });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ state: 'closed', notes: 'Final words' });
    expect(done.json().closedAt).not.toBeNull();
    const late = await patch(agent, i.id, { notes: 'Afterthought', version: done.json().version });
    expect(late.statusCode).toBe(409);
    expect(late.json().detail).toMatch(/closed.*read-only/);
    expect(late.json().errors[0].field).toBe('notes');
    // Closing again is a harmless retry; anything else about it is refused.
    expect((await patch(platform, i.id, { state: 'closed' })).statusCode).toBe(200);
    expect((await patch(platform, i.id, { state: 'ended' })).statusCode).toBe(409);
    const follow = await patch(agent, i.id, { followOnCall: { dueAt: inMs(60 * MIN) } });
    expect(follow.statusCode).toBe(409);
    const reassociate = await agent.post(`/api/v1/interactions/${i.id}/associate`, { customerId });
    expect(reassociate.statusCode).toBe(200); // same customer: nothing to change
    const other = await t.admin.post('/api/v1/customers', { firstName: 'Other', lastName: 'Person' });
    const moved = await agent.post(`/api/v1/interactions/${i.id}/associate`, { customerId: other.json().id });
    expect(moved.statusCode).toBe(409);
  });

  it('an end reported after the wrap-up period is already over closes at once', async () => {
    const i = await report({ startedAt: new Date(Date.now() - 3 * 3600_000).toISOString() });
    const res = await patch(platform, i.id, { endedAt: new Date(Date.now() - 2 * 3600_000).toISOString() });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ state: 'closed', closedAt: res.json().wrapUpUntil });
    const before = await patch(platform, (await report()).id, { endedAt: '2000-01-01T00:00:00Z' });
    expect([before.statusCode, before.json().errors[0].field]).toEqual([400, 'endedAt']);
  });

  it('schedules a follow-on call: a call task with its reminder, in the same request', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const sse = await SseClient.open(`${baseUrl(t.app.server.address())}/api/v1/events`, { headers: agent.headers });
    try {
      const kase = await t.admin.post('/api/v1/cases', { customerId, subject: 'Warranty' });
      const i = await report();
      await patch(platform, i.id, { state: 'ended' });
      const dueAt = inMs(60 * MIN);
      const res = await patch(agent, i.id, {
        notes: 'Call back tomorrow with the quote',
        disposition: 'callback_needed',
        caseId: kase.json().id,
        followOnCall: { dueAt, subject: 'Quote for Ada' },
        version: i.version,
      });
      expect(res.statusCode, res.body).toBe(200);
      const after = res.json() as InteractionWire;
      expect(after.followOnTaskId).not.toBeNull();
      expect(after.caseId).toBe(kase.json().id);
      const task = (await agent.get(`/api/v1/tasks/${after.followOnTaskId}`)).json();
      expect(task).toMatchObject({
        type: 'call',
        subject: 'Quote for Ada',
        customerId,
        caseId: kase.json().id,
        assigneeId: agent.userId,
        dueAt,
        remindAt: new Date(Date.parse(dueAt) - 30 * MIN).toISOString(),
        status: 'open',
      });

      // A reminder that is due now pops on the agent's console (the tasks module's poller).
      const soon = await patch(agent, i.id, { followOnCall: { dueAt, remindAt: inMs(-1000) } });
      expect(soon.statusCode, soon.body).toBe(200);
      const soonTask = soon.json().followOnTaskId as string;
      expect(soonTask).not.toBe(after.followOnTaskId);
      await t.ctx.services.reminders.fireDue();
      const reminder = await sse.waitFor((e) => e.event === 'reminder' && json(e).taskId === soonTask);
      expect(json(reminder)).toMatchObject({ taskId: soonTask, kind: 'before' });
      const history = (await agent.get(`/api/v1/interactions/${i.id}/history`)).json().items as {
        changes: { field: string }[];
      }[];
      expect(history[0].changes.map((c) => c.field)).toContain('followOnTaskId');
    } finally {
      sse.close();
    }
  });

  it("the follow-on call's generated subject shows a tel: or sip: address as a number, not the raw URI", async () => {
    for (const [from, shown] of [
      ['sip:+14155550100@pbx.example;user=phone', '+14155550100'],
      ['tel:+1-415-555-0100;ext=12', '+1-415-555-0100 ext. 12'],
    ]) {
      const i = await report({ from });
      await patch(platform, i.id, { state: 'ended' });
      const res = await patch(agent, i.id, { followOnCall: { dueAt: inMs(60 * MIN) }, version: i.version });
      expect(res.statusCode, res.body).toBe(200);
      const task = (await agent.get(`/api/v1/tasks/${res.json().followOnTaskId}`)).json();
      expect(task.subject).toBe(`Follow-on call to ${shown}`);
    }
  });

  it('a follow-on call needs a customer, tasks.create and a valid time; a refusal writes nothing', async () => {
    const unknown = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+13125550000',
    });
    const u = unknown.json() as InteractionWire;
    const noCustomer = await patch(agent, u.id, { followOnCall: { dueAt: inMs(MIN) } });
    expect([noCustomer.statusCode, noCustomer.json().errors[0].field]).toEqual([400, 'followOnCall']);

    const i = await report();
    const viewer = await t.user('agent', { privileges: ['customers.view'] });
    const denied = await patch(viewer, i.id, { notes: 'x', followOnCall: { dueAt: inMs(MIN) }, version: i.version });
    expect(denied.statusCode).toBe(403);
    const badAssignee = await patch(agent, i.id, {
      notes: 'should not be saved',
      followOnCall: { dueAt: inMs(MIN), assigneeId: '00000000-0000-4000-8000-000000000000' },
      version: i.version,
    });
    expect([badAssignee.statusCode, badAssignee.json().errors[0].field]).toEqual([400, 'followOnCall.assigneeId']);
    const badTime = await patch(agent, i.id, {
      followOnCall: { dueAt: inMs(MIN), remindAt: inMs(2 * MIN) },
    });
    expect(badTime.statusCode).toBe(400);
    const now = (await agent.get(`/api/v1/interactions/${i.id}`)).json() as InteractionWire;
    expect([now.notes, now.followOnTaskId, now.version]).toEqual([null, null, i.version]);
  });

  it('the log is append-only: no DELETE route, and the database refuses deletes and edits of closed ones', async () => {
    const i = await report();
    // No DELETE route: the method is not allowed on an interaction (405 with the Allow header).
    const del = await t.admin.delete(`/api/v1/interactions/${i.id}`);
    expect([del.statusCode, del.headers.allow]).toEqual([405, 'GET, HEAD, PATCH']);
    await expect(t.db.query('DELETE FROM interactions WHERE id = $1', [i.id])).rejects.toThrow(/never deleted/);
    await patch(platform, i.id, { state: 'closed' });
    await expect(t.db.query(`UPDATE interactions SET notes = 'x' WHERE id = $1`, [i.id])).rejects.toThrow(/read-only/);
    // Deleting the customer keeps the log entry, unlinked.
    const c = await t.admin.post('/api/v1/customers', {
      firstName: 'Gone',
      lastName: 'Soon',
      phones: [{ number: '+1 303 555 0188' }],
    });
    const j = await report({ from: '+1 303 555 0188' });
    expect(j.customerId).toBe(c.json().id);
    expect((await t.admin.delete(`/api/v1/customers/${c.json().id}`)).statusCode).toBe(204);
    expect((await agent.get(`/api/v1/interactions/${j.id}`)).json().customerId).toBeNull();
  });
});

describe('wrap-up closes on time (WRAP_UP_SECONDS=1)', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    ctx = await setup({ WRAP_UP_SECONDS: '1' });
  });
  afterAll(async () => ctx?.t.close());

  it('after the wrap-up period the interaction is closed and its notes refuse edits', async () => {
    const { t, platform, agent, report } = ctx;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const sse = await SseClient.open(`${baseUrl(t.app.server.address())}/api/v1/events`, { headers: agent.headers });
    try {
      const i = await report();
      const ended = (await platform.patch(`/api/v1/interactions/${i.id}`, { state: 'ended' })).json();
      expect(ended.state).toBe('wrap_up');
      // Wait out the wrap-up period (1 s from the end).
      await sleep(Math.max(0, Date.parse(ended.wrapUpUntil) - Date.now()) + 50);

      // Enforced at once, before the closing job has run.
      const refused = await agent.patch(`/api/v1/interactions/${i.id}`, { notes: 'too late', version: i.version });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().detail).toMatch(/wrap-up period is over/);
      const read = (await agent.get(`/api/v1/interactions/${i.id}`)).json() as InteractionWire;
      expect(read).toMatchObject({ state: 'closed', closedAt: ended.wrapUpUntil, notes: null });

      // The job writes it down, with its history, and tells the agent's console.
      await t.ctx.jobs.runAll();
      const closed = await sse.waitFor((e) => e.event === 'interaction.closed' && json(e).recordId === i.id);
      expect(json<{ interaction: InteractionWire }>(closed).interaction.state).toBe('closed');
      const history = (await agent.get(`/api/v1/interactions/${i.id}/history`)).json().items as { action: string }[];
      expect(history[0].action).toBe('close');
      const row = await t.db.query<{ state: string; closed_at: Date }>(
        'SELECT state, closed_at FROM interactions WHERE id = $1',
        [i.id],
      );
      expect(row[0].state).toBe('closed');
      expect(row[0].closed_at.toISOString()).toBe(ended.wrapUpUntil);
      const still = await agent.patch(`/api/v1/interactions/${i.id}`, { notes: 'too late', version: i.version });
      expect(still.statusCode).toBe(409);
      // Running the job again closes nothing twice.
      await t.ctx.jobs.runAll();
      const again = (await agent.get(`/api/v1/interactions/${i.id}/history`)).json().items as { action: string }[];
      expect(again.filter((h) => h.action === 'close')).toHaveLength(1);
    } finally {
      sse.close();
    }
  });
});
