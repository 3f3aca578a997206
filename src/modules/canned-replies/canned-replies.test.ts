import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { render } from './placeholders.js';

interface Reply {
  id: string;
  title: string;
  body: string;
  shared: boolean;
  ownerId: string | null;
  version: number;
}

describe('canned replies', () => {
  let t: TestApp;
  let agent: TestClient;
  let other: TestClient;
  let supervisor: TestClient;
  let caseId: string;
  let caseNumber: number;

  beforeAll(async () => {
    t = await startTestApp({ checkResponses: true });
    [agent, other, supervisor] = await Promise.all([t.user('agent'), t.user('agent'), t.user('supervisor')]);
    const customer = await t.admin.post('/api/v1/customers', { firstName: 'Grace', lastName: 'Hopper' });
    const kase = await t.admin.post('/api/v1/cases', { customerId: customer.json().id, subject: 'Printer on fire' });
    caseId = kase.json().id;
    caseNumber = kase.json().caseNumber;
  });
  afterAll(async () => {
    expect(t?.responseMismatches).toEqual([]);
    await t?.close();
  });

  it('fills known placeholders and leaves unknown ones as written', () => {
    expect(
      render('Hi {{ customer.name }}, case {{case.number}}. {{agent.name}} / {{case.owner}}', {
        'customer.name': 'Ann',
        'case.number': '7',
        'agent.name': null,
      }),
    ).toEqual({ text: 'Hi Ann, case 7. {{agent.name}} / {{case.owner}}', unfilled: ['agent.name', 'case.owner'] });
  });

  it('keeps personal replies to their author and shared ones for everybody', async () => {
    const mine = await agent.post('/api/v1/canned-replies', { title: 'Thanks', body: 'Thank you, {{customer.name}}!' });
    expect(mine.statusCode, mine.body).toBe(201);
    expect(mine.json()).toMatchObject({ title: 'Thanks', shared: false, ownerId: agent.userId, version: 1 });

    const shared = await supervisor.post('/api/v1/canned-replies', {
      title: 'Closing',
      body: 'Case {{case.number}} is closed. — {{agent.name}}',
      shared: true,
    });
    expect(shared.statusCode, shared.body).toBe(201);
    expect(shared.json()).toMatchObject({ shared: true, ownerId: null });

    const list = await agent.get('/api/v1/canned-replies');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((r: Reply) => r.title)).toEqual(['Closing', 'Thanks']);
    expect((await agent.get('/api/v1/canned-replies?scope=personal')).json().items).toHaveLength(1);
    expect((await other.get('/api/v1/canned-replies')).json().items.map((r: Reply) => r.title)).toEqual(['Closing']);

    // Another user's personal reply does not exist for them, not even for an administrator.
    for (const c of [other, t.admin]) {
      expect((await c.get(`/api/v1/canned-replies/${mine.json().id}`)).statusCode).toBe(404);
      expect((await c.patch(`/api/v1/canned-replies/${mine.json().id}`, { title: 'x', version: 1 })).statusCode).toBe(
        404,
      );
      expect((await c.delete(`/api/v1/canned-replies/${mine.json().id}`)).statusCode).toBe(404);
    }
  });

  it('needs cannedReplies.manageShared (or admin) to write shared replies', async () => {
    const refused = await agent.post('/api/v1/canned-replies', { title: 'Nope', body: 'x', shared: true });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    const shared = (
      await t.admin.post('/api/v1/canned-replies', { title: 'Hello', body: 'Hello!', shared: true })
    ).json();
    expect((await agent.patch(`/api/v1/canned-replies/${shared.id}`, { body: 'Hi', version: 1 })).statusCode).toBe(403);
    expect((await agent.delete(`/api/v1/canned-replies/${shared.id}`)).statusCode).toBe(403);
    expect((await agent.get(`/api/v1/canned-replies/${shared.id}`)).json().body).toBe('Hello!');

    // A user granted the privilege explicitly.
    const editor = await t.user('agent', { privileges: ['cases.view', 'cannedReplies.manageShared'] });
    const changed = await editor.patch(`/api/v1/canned-replies/${shared.id}`, { body: 'Hi there', version: 1 });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ body: 'Hi there', version: 2 });
    const stale = await editor.patch(`/api/v1/canned-replies/${shared.id}`, { body: 'again', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().current.version).toBe(2);
    expect((await editor.delete(`/api/v1/canned-replies/${shared.id}`, { 'if-match': '"2"' })).statusCode).toBe(204);
    expect((await agent.get(`/api/v1/canned-replies/${shared.id}`)).statusCode).toBe(404);
  });

  it('refuses bad input naming the field, and changes nothing', async () => {
    const before = (await agent.get('/api/v1/canned-replies')).json().items.length;
    const cases: [Record<string, unknown>, string][] = [
      [{ title: '', body: 'x' }, 'title'],
      [{ title: '   ', body: 'x' }, 'title'],
      [{ title: 'x'.repeat(121), body: 'x' }, 'title'],
      [{ title: 'Blank body', body: ' \n ' }, 'body'],
      [{ body: 'x' }, 'title'],
      [{ title: 'T', body: 'x', extra: 1 }, 'extra'],
      [{ title: 'T', body: 'x', shared: 'yes' }, 'shared'],
    ];
    for (const [body, field] of cases) {
      const r = await agent.post('/api/v1/canned-replies', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    // One title per list, whatever the case.
    const dup = await agent.post('/api/v1/canned-replies', { title: 'THANKS', body: 'again' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().errors[0].field).toBe('title');
    const mine = (await agent.get('/api/v1/canned-replies?scope=personal')).json().items[0] as Reply;
    expect((await agent.patch(`/api/v1/canned-replies/${mine.id}`, { title: 'x' })).statusCode).toBe(428);
    expect((await agent.patch(`/api/v1/canned-replies/${mine.id}`, { title: ' ', version: 1 })).statusCode).toBe(400);
    expect((await agent.get('/api/v1/canned-replies?scope=nobody')).statusCode).toBe(400);
    expect((await agent.get('/api/v1/canned-replies/not-a-uuid')).statusCode).toBe(404);
    expect((await agent.get('/api/v1/canned-replies')).json().items.length).toBe(before);
    expect((await agent.get(`/api/v1/canned-replies/${mine.id}`)).json()).toMatchObject({
      title: 'Thanks',
      version: 1,
    });
    expect((await t.anonymous.get('/api/v1/canned-replies')).statusCode).toBe(401);
  });

  it('renders a reply for a case and the calling agent, keeping unknown placeholders', async () => {
    const r = (
      await agent.post('/api/v1/canned-replies', {
        title: 'Update',
        body: 'Dear {{customer.name}}, about case {{ case.number }}: {{case.eta}}. Regards, {{agent.name}}',
      })
    ).json();
    const out = await agent.post(`/api/v1/canned-replies/${r.id}/render`, { caseId });
    expect(out.statusCode, out.body).toBe(200);
    const me = (await agent.get('/api/v1/me')).json();
    expect(out.json()).toEqual({
      title: 'Update',
      body: `Dear Grace Hopper, about case ${caseNumber}: {{case.eta}}. Regards, ${me.firstName} ${me.lastName}`,
      unfilled: ['case.eta'],
    });
    const missing = await agent.post(`/api/v1/canned-replies/${r.id}/render`, {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].field).toBe('caseId');
    expect(
      (await agent.post(`/api/v1/canned-replies/${r.id}/render`, { caseId: '00000000-0000-4000-8000-000000000000' }))
        .statusCode,
    ).toBe(404);
    // Someone else's personal reply cannot be rendered either.
    expect((await other.post(`/api/v1/canned-replies/${r.id}/render`, { caseId })).statusCode).toBe(404);
  });
});
