import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../test/helpers.js';

interface FollowUpWire {
  id: string;
  kind: string;
  direction: string | null;
  visibility: string;
  body: string;
  author: { type: string; id: string | null; name: string };
  interaction: {
    id: string;
    channel: string;
    durationSeconds: number | null;
    disposition: string | null;
    notes: string | null;
    transcript: boolean;
  } | null;
}

interface InteractionWire {
  id: string;
  version: number;
  state: string;
  caseFollowUpId: string | null;
  transcriptAt: string | null;
}

describe('one timeline per case: interactions and transcripts become follow-ups', () => {
  let t: TestApp;
  let platform: TestClient;
  let agent: TestClient;
  let customerId: string;
  let caseId: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { WRAP_UP_SECONDS: '3600' } });
    platform = await t.apiKey('agent');
    agent = await t.user('agent');
    const c = await t.admin.post('/api/v1/customers', {
      firstName: 'Grace',
      lastName: 'Hopper',
      phones: [{ number: '(415) 555-0199' }],
    });
    customerId = c.json().id;
    const k = await t.admin.post('/api/v1/cases', { customerId, subject: 'Router keeps rebooting' });
    expect(k.statusCode, k.body).toBe(201);
    caseId = k.json().id;
  });
  afterAll(async () => t?.close());

  const followUps = async (): Promise<FollowUpWire[]> => {
    const res = await t.admin.get(`/api/v1/cases/${caseId}/follow-ups?limit=100`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items;
  };

  const linkedInteraction = async (
    channel: 'phone' | 'chat',
    startedAt = new Date(Date.now() - 5 * 60_000).toISOString(),
  ): Promise<InteractionWire> => {
    const r = await platform.post('/api/v1/interactions', {
      channel,
      direction: 'inbound',
      from: channel === 'phone' ? '4155550199' : 'grace@example.com',
      agentId: agent.userId,
      startedAt,
    });
    expect(r.statusCode, r.body).toBe(201);
    const i = r.json() as InteractionWire;
    const a = await agent.post(`/api/v1/interactions/${i.id}/associate`, { customerId, caseId });
    expect(a.statusCode, a.body).toBe(200);
    return a.json();
  };

  it('a call linked to a case shows on its timeline with the wrap-up notes once closed; append-only', async () => {
    const before = (await followUps()).length;
    const base = Date.now();
    const i = await linkedInteraction('phone', new Date(base - 5 * 60_000).toISOString());
    const endedAt = new Date(base - 60_000).toISOString();
    expect((await platform.patch(`/api/v1/interactions/${i.id}`, { state: 'ended', endedAt })).statusCode).toBe(200);
    const noted = await agent.patch(`/api/v1/interactions/${i.id}`, {
      notes: 'Replaced the power supply; customer to call back if it recurs',
      disposition: 'resolved',
      version: i.version,
    });
    expect(noted.statusCode, noted.body).toBe(200);
    // Not on the timeline while the wrap-up is open: the notes are not final yet.
    expect((await followUps()).length).toBe(before);

    const closed = await agent.patch(`/api/v1/interactions/${i.id}`, { state: 'closed' });
    expect(closed.statusCode, closed.body).toBe(200);
    const fuId = (closed.json() as InteractionWire).caseFollowUpId;
    expect(fuId).toBeTruthy();

    const items = await followUps();
    expect(items.length).toBe(before + 1);
    const fu = items.find((f) => f.id === fuId)!;
    expect(fu).toMatchObject({
      kind: 'call',
      direction: 'inbound',
      visibility: 'internal',
      body: 'Replaced the power supply; customer to call back if it recurs',
      author: { type: 'user', id: agent.userId },
      interaction: { id: i.id, channel: 'phone', durationSeconds: 240, disposition: 'resolved', transcript: false },
    });

    // Append-only: the follow-up cannot change; closing again writes nothing more.
    expect((await t.admin.patch(`/api/v1/cases/${caseId}/follow-ups/${fu.id}`, { body: 'x' })).statusCode).toBe(405);
    expect((await agent.patch(`/api/v1/interactions/${i.id}`, { state: 'closed' })).statusCode).toBe(200);
    expect((await followUps()).length).toBe(before + 1);

    // A transcript posted after the follow-up was written is a new follow-up, not an edit.
    const tr = await platform.post(`/api/v1/interactions/${i.id}/transcript`, { text: 'Agent: hello\nGrace: hi' });
    expect(tr.statusCode, tr.body).toBe(200);
    const after = await followUps();
    expect(after.length).toBe(before + 2);
    expect(after.find((f) => f.id === fu.id)!.body).toBe(fu.body);
    expect(after[after.length - 1]).toMatchObject({
      kind: 'call',
      body: 'Agent: hello\nGrace: hi',
      interaction: { id: i.id, transcript: true },
    });
  });

  it('a chat transcript posted before the close becomes the body of its follow-up; once only', async () => {
    const before = (await followUps()).length;
    const i = await linkedInteraction('chat');
    const post = await platform.post(`/api/v1/interactions/${i.id}/transcript`, {
      messages: [
        { author: 'Grace', at: '2026-12-05T07:00:00Z', text: 'My router reboots every hour' },
        { author: 'Agent', at: '2026-12-05T07:00:30Z', text: 'Let us replace it' },
      ],
    });
    expect(post.statusCode, post.body).toBe(200);
    expect((post.json() as InteractionWire).transcriptAt).toBeTruthy();
    expect((await followUps()).length).toBe(before);

    const again = await platform.post(`/api/v1/interactions/${i.id}/transcript`, { text: 'other' });
    expect(again.statusCode).toBe(409);

    expect((await platform.patch(`/api/v1/interactions/${i.id}`, { state: 'ended' })).statusCode).toBe(200);
    expect((await platform.patch(`/api/v1/interactions/${i.id}`, { state: 'closed' })).statusCode).toBe(200);
    const items = await followUps();
    expect(items.length).toBe(before + 1);
    expect(items[items.length - 1]).toMatchObject({
      kind: 'chat',
      visibility: 'internal',
      body:
        '[2026-12-05T07:00:00.000Z] Grace: My router reboots every hour\n' +
        '[2026-12-05T07:00:30.000Z] Agent: Let us replace it',
      interaction: { id: i.id, channel: 'chat', transcript: true, notes: null },
    });
  });

  it('the wrap-up closer writes the timeline too; unlinked interactions stay off it', async () => {
    const before = (await followUps()).length;
    const linked = await linkedInteraction('phone');
    const unlinked = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '4155550199',
      agentId: agent.userId,
    });
    for (const id of [linked.id, unlinked.json().id as string]) {
      expect((await platform.patch(`/api/v1/interactions/${id}`, { state: 'ended' })).statusCode).toBe(200);
    }
    // Play the wrap-up period being over.
    await t.db.query(`UPDATE interactions SET wrap_up_until = now() - interval '1 second' WHERE state = 'wrap_up'`);
    await t.ctx.services.interactions.closeDueWrapUps();
    const items = await followUps();
    expect(items.length).toBe(before + 1);
    expect(items[items.length - 1]).toMatchObject({
      kind: 'call',
      body: expect.stringMatching(/^Inbound call/),
      interaction: { id: linked.id },
    });
    const u = await agent.get(`/api/v1/interactions/${unlinked.json().id}`);
    expect(u.json()).toMatchObject({ state: 'closed', caseFollowUpId: null });
  });

  it('bad transcripts are refused naming the field, changing nothing', async () => {
    const i = await linkedInteraction('chat');
    const both = await platform.post(`/api/v1/interactions/${i.id}/transcript`, { text: 'a', messages: [] });
    expect(both.statusCode).toBe(400);
    expect(both.body).toContain('text');
    const badTime = await platform.post(`/api/v1/interactions/${i.id}/transcript`, {
      messages: [{ author: 'A', at: 'yesterday', text: 'hi' }],
    });
    expect(badTime.statusCode).toBe(400);
    expect(badTime.body).toContain('messages[0].at');
    const empty = await platform.post(`/api/v1/interactions/${i.id}/transcript`, { text: '  ' });
    expect(empty.statusCode).toBe(400);
    const missing = await platform.post(`/api/v1/interactions/00000000-0000-4000-8000-000000000000/transcript`, {
      text: 'hi',
    });
    expect(missing.statusCode).toBe(404);
    const got = await agent.get(`/api/v1/interactions/${i.id}`);
    expect(got.json()).toMatchObject({ transcriptAt: null });
  });
});
