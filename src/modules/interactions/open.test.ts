import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';

interface OpenWire {
  id: string;
  state: string;
  agentId: string | null;
  customerId: string | null;
  caseId: string | null;
  matches: { customerId: string; matchedCase: { id: string } | null }[];
}

/** GET /api/v1/interactions/open: what the console shows again at sign-in, in any browser. */
describe("interactions/open: the caller's ringing, active and wrap-up interactions", () => {
  let t: TestApp;
  let platform: TestClient;
  let agent: TestClient;
  let other: TestClient;
  let customerId: string;
  let privateCase: { id: string; caseNumber: number };

  const report = async (body: Record<string, unknown>) => {
    const res = await platform.post('/api/v1/interactions', { channel: 'phone', direction: 'inbound', ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as OpenWire;
  };
  const open = async (c: TestClient) => {
    const res = await c.get('/api/v1/interactions/open');
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { items: OpenWire[] }).items;
  };

  beforeAll(async () => {
    t = await startTestApp();
    platform = await t.apiKey('admin');
    agent = await t.user('agent');
    other = await t.user('agent');
    customerId = (
      await t.admin.post('/api/v1/customers', {
        firstName: 'Olive',
        lastName: 'Open',
        phones: [{ number: '+1 415 555 0142' }],
      })
    ).json().id;
    privateCase = (
      await t.admin.post('/api/v1/cases', { customerId, subject: 'Internal only', visibility: 'private' })
    ).json();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists ringing, active and wrap-up interactions of the caller only, newest first, with their matches', async () => {
    const ringing = await report({ from: '+14155550142', agentId: agent.userId, state: 'ringing' });
    const active = await report({ from: '+14155550142', agentId: agent.userId });
    const wrapping = await report({ from: '+14155550142', agentId: agent.userId });
    const ended = await agent.patch(`/api/v1/interactions/${wrapping.id}`, { state: 'ended' });
    expect(ended.statusCode, ended.body).toBe(200);
    const closed = await report({ from: '+14155550142', agentId: agent.userId });
    expect((await agent.patch(`/api/v1/interactions/${closed.id}`, { state: 'closed' })).statusCode).toBe(200);
    // Started three hours ago and ended two hours ago: its wrap-up (120 s) is over, so it reads as closed.
    const startedAt = new Date(Date.now() - 3 * 3600_000).toISOString();
    const late = await report({ from: '+14155550142', agentId: agent.userId, startedAt });
    const endedAt = new Date(Date.now() - 2 * 3600_000).toISOString();
    expect((await agent.patch(`/api/v1/interactions/${late.id}`, { state: 'ended', endedAt })).statusCode).toBe(200);
    const someoneElses = await report({ from: '+14155550142', agentId: other.userId });

    const mine = await open(agent);
    expect(mine.map((i) => i.id)).toEqual([wrapping.id, active.id, ringing.id]);
    expect(mine.map((i) => i.state)).toEqual(['wrap_up', 'active', 'ringing']);
    for (const i of mine) {
      expect(i).toMatchObject({ agentId: agent.userId, customerId });
      expect(i.matches.map((m) => m.customerId)).toEqual([customerId]);
    }
    expect((await open(other)).map((i) => i.id)).toEqual([someoneElses.id]);
    // Nobody's interactions are the administrator's here.
    expect(await open(t.admin)).toEqual([]);
  });

  it("is shaped by the caller's privileges: a private case the agent may not see is left out", async () => {
    const i = await report({ from: '+14155550142', caseNumber: String(privateCase.caseNumber), agentId: other.userId });
    // The reporter (an administrator's key) sees the private case.
    expect(i.caseId).toBe(privateCase.id);
    const shown = (await open(other)).find((x) => x.id === i.id)!;
    expect(shown.caseId).toBeNull();
    expect(JSON.stringify(shown)).not.toContain(privateCase.id);
    expect(JSON.stringify(shown)).not.toContain('Internal only');
  });

  it('needs customers.view', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/interactions/open' });
    expect(anonymous.statusCode).toBe(401);
  });
});
