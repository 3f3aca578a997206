import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { postInbound, simpleMessage } from '../email/email.test-helpers.js';

interface Hit {
  id: string;
  title: string;
  snippet: string;
  link: string;
  matchedIn: string;
}
interface Results {
  q: string;
  groups: { type: string; items: Hit[] }[];
}

describe('global search (GET /api/v1/search)', () => {
  let t: TestApp;
  let agent: TestClient;
  let supervisor: TestClient;
  let customerId: string;
  let mailKey: TestClient;

  const search = async (c: TestClient, q: string, extra = ''): Promise<Results> => {
    const r = await c.get(`/api/v1/search?q=${encodeURIComponent(q)}${extra}`);
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as Results;
  };
  const group = (r: Results, type: string): Hit[] => {
    const g = r.groups.find((x) => x.type === type);
    if (!g) throw new Error(`no ${type} group in ${JSON.stringify(r)}`);
    return g.items;
  };
  const newCase = async (fields: Record<string, unknown>): Promise<{ id: string; caseNumber: number }> => {
    const r = await t.admin.post('/api/v1/cases', { customerId, subject: 'Search case', ...fields });
    expect(r.statusCode, r.body).toBe(201);
    return r.json() as { id: string; caseNumber: number };
  };
  const followUp = async (caseId: string, body: string, visibility: 'public' | 'internal') => {
    const r = await t.admin.post(`/api/v1/cases/${caseId}/follow-ups`, { kind: 'note', body, visibility });
    expect(r.statusCode, r.body).toBe(201);
    return r.json() as { id: string };
  };

  beforeAll(async () => {
    t = await startTestApp({ checkResponses: true });
    [agent, supervisor, mailKey] = await Promise.all([t.user('agent'), t.user('supervisor'), t.apiKey('admin')]);
    const c = await t.admin.post('/api/v1/customers', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@engine.test',
      phones: [{ type: 'mobile', number: '+44 20 7946 0958' }],
    });
    expect(c.statusCode, c.body).toBe(201);
    customerId = c.json().id;
  });
  afterAll(async () => {
    expect(t?.responseMismatches).toEqual([]);
    await t?.close();
  });

  it('finds a case by a word only in one of its follow-ups, with a snippet around it', async () => {
    const c = await newCase({ subject: 'Printer jams', description: 'The tray sticks.' });
    const long = `${'Nothing to see here. '.repeat(30)}The culprit was a quokkafeather in the fuser. ${'More. '.repeat(30)}`;
    await followUp(c.id, long, 'public');
    const r = await search(agent, 'quokkafeather');
    expect(r.q).toBe('quokkafeather');
    expect(r.groups.map((g) => g.type)).toEqual(['customers', 'cases', 'tasks', 'interactions']);
    const [hit] = group(r, 'cases');
    expect(hit).toMatchObject({ id: c.id, title: `#${c.caseNumber} Printer jams`, link: `/cases/${c.id}` });
    expect(hit.matchedIn).toBe('followUp');
    expect(hit.snippet).toContain('quokkafeather');
    expect(hit.snippet.length).toBeLessThanOrEqual(170);
    expect(hit.snippet.startsWith('…')).toBe(true);
    // Subject matches rank before follow-up matches; the case number finds its case.
    const bySubject = await newCase({ subject: 'Quokkafeather again' });
    const again = group(await search(agent, 'quokkafeather'), 'cases');
    expect(again.map((h) => h.id)).toEqual([bySubject.id, c.id]);
    expect(group(await search(agent, `#${c.caseNumber}`), 'cases')[0]).toMatchObject({ id: c.id, matchedIn: 'number' });
  });

  it('finds a case by a word only in an email body, the email message as stored', async () => {
    const raw = simpleMessage({ from: 'grace@navy.test', subject: 'Compiler', body: 'It fails with zebracorn input.' });
    const res = await postInbound(mailKey, raw);
    expect(res.statusCode, res.body).toBe(201);
    const { caseId } = res.json() as { caseId: string };
    expect(group(await search(agent, 'zebracorn'), 'cases').map((h) => h.id)).toContain(caseId);

    // A word only in a stored message (not in the case, not in any follow-up): found through the email module.
    const c = await newCase({ subject: 'Invoice question' });
    const fu = await followUp(c.id, 'Forwarded the invoice.', 'public');
    await t.db.query(
      `INSERT INTO email_messages (direction, dedupe_key, case_id, follow_up_id, subject, text_body)
       VALUES ('inbound', $1, $2, $3, 'Fwd: invoice', 'The amount on line three is wombatquartz.')`,
      [`test:${c.id}`, c.id, fu.id],
    );
    const [hit] = group(await search(agent, 'wombatquartz'), 'cases');
    expect(hit).toMatchObject({ id: c.id, matchedIn: 'email' });
    expect(hit.snippet).toContain('wombatquartz');
  });

  it('never shows a private case, nor its follow-ups or emails, to a user without cases.viewPrivate', async () => {
    const hidden = await newCase({ subject: 'Private narwhalgrid matter', visibility: 'private' });
    const fu = await followUp(hidden.id, 'Secret note about platypuslens.', 'public');
    await followUp(hidden.id, 'Internal remark about axolotlmint.', 'internal');
    await t.db.query(
      `INSERT INTO email_messages (direction, dedupe_key, case_id, follow_up_id, subject, text_body)
       VALUES ('inbound', $1, $2, $3, 'Re: private', 'Mail mentioning capybarafog.')`,
      [`test:${hidden.id}`, hidden.id, fu.id],
    );
    for (const word of ['narwhalgrid', 'platypuslens', 'axolotlmint', 'capybarafog', `${hidden.caseNumber}`]) {
      const r = await search(agent, word);
      expect(group(r, 'cases'), word).toEqual([]);
      expect(JSON.stringify(r.groups)).not.toContain(hidden.id);
      // Who may see private cases finds it every way.
      expect(
        group(await search(supervisor, word), 'cases').map((h) => h.id),
        word,
      ).toContain(hidden.id);
    }
  });

  it('matches internal follow-ups only for staff: the Support Center never does', async () => {
    const c = await newCase({ subject: 'Shipping delay' });
    await followUp(c.id, 'Internal: the courier lost the lemurdisk parcel.', 'internal');
    expect(group(await search(agent, 'lemurdisk'), 'cases').map((h) => h.id)).toEqual([c.id]);
    // A caller through the Support Center (a customer) may not read internal follow-ups.
    const staff = await t.ctx.services.users.access(agent.userId!);
    if (!staff) throw new Error('the agent has no access');
    const portalActor = { ...staff, channel: 'portal' as const };
    const hits = await t.ctx.services.cases.search(portalActor, {
      text: 'lemurdisk',
      words: ['lemurdisk'],
      limit: 5,
      cap: 20,
    });
    expect(hits).toEqual([]);
    const pub = await newCase({ subject: 'Returns' });
    await followUp(pub.id, 'Public: the lemurdisk parcel is back.', 'public');
    const seen = await t.ctx.services.cases.search(portalActor, {
      text: 'lemurdisk',
      words: ['lemurdisk'],
      limit: 5,
      cap: 20,
    });
    expect(seen.map((h) => h.id)).toEqual([pub.id]);
    expect(JSON.stringify(seen)).not.toContain('courier');
  });

  it('searches customers (the customers search), tasks and interactions, each group cut to `limit`', async () => {
    const customers = group(await search(agent, 'Lovelace'), 'customers');
    expect(customers[0]).toMatchObject({ id: customerId, title: 'Ada Lovelace', link: `/customers/${customerId}` });
    expect(customers[0].snippet).toContain('ada@engine.test');

    for (let i = 0; i < 3; i++) {
      const r = await t.admin.post('/api/v1/tasks', {
        type: 'call',
        subject: i === 0 ? 'Call about the gerbilstone' : `Task ${i}`,
        notes: i === 0 ? null : `Remember the gerbilstone, number ${i}.`,
        customerId,
      });
      expect(r.statusCode, r.body).toBe(201);
    }
    const tasks = group(await search(agent, 'gerbilstone', '&limit=2'), 'tasks');
    expect(tasks).toHaveLength(2);
    expect(tasks[0]).toMatchObject({ title: 'Call about the gerbilstone', link: `/customers/${customerId}?tab=tasks` });
    expect(tasks[1].snippet).toContain('gerbilstone');

    const platform = await t.apiKey('admin');
    const i = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+1 415 555 0199',
      agentId: agent.userId,
    });
    expect(i.statusCode, i.body).toBe(201);
    const interaction = i.json() as { id: string; version: number };
    const patched = await agent.patch(`/api/v1/interactions/${interaction.id}`, {
      notes: 'Caller asked about the hamsterprism.',
      version: interaction.version,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const byNumber = group(await search(agent, '555 0199'), 'interactions');
    expect(byNumber.map((h) => h.id)).toEqual([interaction.id]);
    expect(byNumber[0]).toMatchObject({ matchedIn: 'number', title: 'Inbound phone from +1 415 555 0199' });
    const byNotes = group(await search(agent, 'hamsterprism'), 'interactions');
    expect(byNotes[0]).toMatchObject({ id: interaction.id, matchedIn: 'notes' });
    expect(byNotes[0].snippet).toContain('hamsterprism');
  });

  it('matches the last word as a prefix (3 letters or more) in every text, whole words before it', async () => {
    const c = await newCase({ subject: 'Toner smudges' });
    await followUp(c.id, 'The ocelotprism cartridge leaks toner.', 'public');
    const hit = (q: string) => search(agent, q).then((r) => group(r, 'cases').map((h) => h.id));
    expect(await hit('ocelotpr')).toEqual([c.id]);
    expect(await hit('cartridge ocelotpr')).toEqual([c.id]);
    // Only the last word is a prefix; a shorter one, a negated one or one in quotes is whole.
    expect(await hit('ocelotpr cartridge')).toEqual([]);
    expect(await hit('ocelotprism -leak')).toEqual([c.id]);
    expect(await hit('ocelotprism -leaks')).toEqual([]);
    expect(await hit('"ocelotpr"')).toEqual([]);
    expect(await hit('cartridge oc')).toEqual([]);
    // Subjects (English configuration) too: "smudg" begins "smudges".
    expect(group(await search(agent, 'smudg'), 'cases')[0]).toMatchObject({ id: c.id, matchedIn: 'subject' });
    // Email messages, tasks and interaction notes found earlier by whole words, now by their beginnings.
    expect(group(await search(agent, 'wombatqu'), 'cases')[0]).toMatchObject({ matchedIn: 'email' });
    expect(group(await search(agent, 'gerbilst'), 'tasks').length).toBeGreaterThan(0);
    expect(group(await search(agent, 'hamsterpr'), 'interactions')[0]).toMatchObject({ matchedIn: 'notes' });
  });

  it('labels a match in a chat transcript `transcript`, for staff only, never on a hidden case', async () => {
    const platform = await t.apiKey('agent');
    const transcriptOn = async (caseId: string, text: string) => {
      const r = await platform.post('/api/v1/interactions', {
        channel: 'chat',
        direction: 'inbound',
        from: 'ada@engine.test',
        agentId: agent.userId,
      });
      expect(r.statusCode, r.body).toBe(201);
      const i = r.json() as { id: string };
      const linked = await supervisor.post(`/api/v1/interactions/${i.id}/associate`, { customerId, caseId });
      expect(linked.statusCode, linked.body).toBe(200);
      const posted = await platform.post(`/api/v1/interactions/${i.id}/transcript`, { text });
      expect(posted.statusCode, posted.body).toBe(200);
      for (const state of ['ended', 'closed']) {
        const p = await platform.patch(`/api/v1/interactions/${i.id}`, { state });
        expect(p.statusCode, p.body).toBe(200);
      }
    };
    const c = await newCase({ subject: 'Chat about the bill' });
    await transcriptOn(c.id, 'Ada: my bill shows a tapirquill charge\nAgent: let me look');
    const hidden = await newCase({ subject: 'Private chat', visibility: 'private' });
    await transcriptOn(hidden.id, 'Ada: the tapirquill charge again');

    for (const q of ['tapirquill', 'tapirqu', 'charge tapirquill']) {
      const hits = group(await search(agent, q), 'cases');
      expect(
        hits.map((h) => h.id),
        q,
      ).toEqual([c.id]);
      expect(hits[0], q).toMatchObject({ matchedIn: 'transcript' });
      expect(hits[0].snippet, q).toContain('tapirquill');
      expect(
        group(await search(supervisor, q), 'cases').map((h) => h.id),
        q,
      ).toEqual([hidden.id, c.id]);
    }
    // A note on the same case ranks before the transcript and takes its label.
    await followUp(c.id, 'Refunded the tapirquill charge.', 'public');
    expect(group(await search(agent, 'tapirquill'), 'cases')[0]).toMatchObject({ id: c.id, matchedIn: 'followUp' });
    // The transcript's follow-up is internal: a Support Center caller never finds it.
    const staff = await t.ctx.services.users.access(agent.userId!);
    if (!staff) throw new Error('the agent has no access');
    const portal = { ...staff, channel: 'portal' as const };
    const query = { text: 'tapirqu', words: ['tapirqu'], limit: 5, cap: 20 };
    expect(await t.ctx.services.cases.search(portal, query)).toMatchObject([{ id: c.id, matchedIn: 'followUp' }]);
    expect(JSON.stringify(await t.ctx.services.cases.search(portal, query))).not.toContain('look');
  });

  it('forgets the words of an erased customer: the stored word lists follow the erased text', async () => {
    const other = await t.admin.post('/api/v1/customers', {
      firstName: 'Erin',
      lastName: 'Erased',
      phones: [{ type: 'mobile', number: '+1 415 555 0142' }],
    });
    expect(other.statusCode, other.body).toBe(201);
    const r = await t.admin.post('/api/v1/cases', { customerId: other.json().id, subject: 'Parcel' });
    expect(r.statusCode, r.body).toBe(201);
    const c = r.json() as { id: string };
    const fu = await followUp(c.id, 'Ship it to the dugongveil depot.', 'public');
    await t.db.query(
      `INSERT INTO email_messages (direction, dedupe_key, case_id, follow_up_id, subject, text_body)
       VALUES ('inbound', $1, $2, $3, 'Parcel', 'Leave it at the manateeloft door.')`,
      [`test:${c.id}`, c.id, fu.id],
    );
    expect(group(await search(supervisor, 'dugongve'), 'cases').map((h) => h.id)).toEqual([c.id]);
    expect(group(await search(supervisor, 'manateeloft'), 'cases').map((h) => h.id)).toEqual([c.id]);
    // A task on the customer and a call from their number, with notes (tasks.search and
    // interactions.search, migration 1670).
    const task = await t.admin.post('/api/v1/tasks', {
      type: 'call',
      subject: 'Ring about the walrusquill',
      notes: 'Bring the narwhalbloom form.',
      customerId: other.json().id,
    });
    expect(task.statusCode, task.body).toBe(201);
    const platform = await t.apiKey('admin');
    const call = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+1 415 555 0142',
      agentId: agent.userId,
    });
    expect(call.statusCode, call.body).toBe(201);
    const noted = await agent.patch(`/api/v1/interactions/${call.json().id}`, {
      notes: 'Caller spelled out the belugaspire code.',
      version: call.json().version,
    });
    expect(noted.statusCode, noted.body).toBe(200);
    expect(group(await search(supervisor, 'walrusqu'), 'tasks').map((h) => h.id)).toEqual([task.json().id]);
    expect(group(await search(supervisor, 'narwhalbloom'), 'tasks').map((h) => h.id)).toEqual([task.json().id]);
    expect(group(await search(supervisor, 'belugasp'), 'interactions').map((h) => h.id)).toEqual([call.json().id]);
    const erased = await t.admin.post(`/api/v1/customers/${other.json().id}/erase`, { reason: 'request' });
    expect(erased.statusCode, erased.body).toBe(200);
    expect(group(await search(supervisor, 'dugongve'), 'cases')).toEqual([]);
    expect(group(await search(supervisor, 'manateeloft'), 'cases')).toEqual([]);
    for (const q of ['walrusqu', 'narwhalbloom']) expect(group(await search(supervisor, q), 'tasks'), q).toEqual([]);
    expect(group(await search(supervisor, 'belugasp'), 'interactions')).toEqual([]);
  });

  it('finds a task or an interaction by the words of its notes as they are now, after an update', async () => {
    const created = await t.admin.post('/api/v1/tasks', {
      type: 'call',
      subject: 'Follow up the ibexlantern',
      notes: 'Mention the okapidrum.',
      customerId,
    });
    expect(created.statusCode, created.body).toBe(201);
    const task = created.json() as { id: string; version: number };
    const updated = await t.admin.patch(`/api/v1/tasks/${task.id}`, {
      subject: 'Follow up the yakcompass',
      notes: 'Mention the lemurkettle.',
      version: task.version,
    });
    expect(updated.statusCode, updated.body).toBe(200);
    for (const q of ['ibexlantern', 'okapidrum']) expect(group(await search(agent, q), 'tasks'), q).toEqual([]);
    for (const q of ['yakcompass', 'lemurke']) {
      expect(
        group(await search(agent, q), 'tasks').map((h) => h.id),
        q,
      ).toEqual([task.id]);
    }

    const platform = await t.apiKey('admin');
    const r = await platform.post('/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      agentId: agent.userId,
    });
    expect(r.statusCode, r.body).toBe(201);
    let call = r.json() as { id: string; version: number };
    for (const notes of ['Asked about the quollvessel.', 'Asked about the dingoharp.']) {
      const p = await agent.patch(`/api/v1/interactions/${call.id}`, { notes, version: call.version });
      expect(p.statusCode, p.body).toBe(200);
      call = p.json() as { id: string; version: number };
    }
    expect(group(await search(agent, 'quollvessel'), 'interactions')).toEqual([]);
    expect(group(await search(agent, 'dingoha'), 'interactions').map((h) => h.id)).toEqual([call.id]);
    // Without tasks.view or customers.view, neither group is there to find them.
    const casesOnly = await t.user('agent', { privileges: ['cases.view'] });
    expect((await search(casesOnly, 'dingoharp')).groups.map((g) => g.type)).toEqual(['cases']);
    expect((await search(casesOnly, 'lemurkettle')).groups.map((g) => g.type)).toEqual(['cases']);
  });

  it('shows only the groups the caller may view', async () => {
    const casesOnly = await t.user('agent', { privileges: ['cases.view'] });
    expect((await search(casesOnly, 'anything')).groups.map((g) => g.type)).toEqual(['cases']);
    const tasksOnly = await t.user('agent', { privileges: ['tasks.view'] });
    expect((await search(tasksOnly, 'gerbilstone')).groups.map((g) => g.type)).toEqual(['tasks']);
    const customersOnly = await t.user('agent', { privileges: ['customers.view'] });
    expect((await search(customersOnly, 'hamsterprism')).groups.map((g) => g.type)).toEqual([
      'customers',
      'interactions',
    ]);
    const none = await t.user('agent', { privileges: [] });
    expect((await search(none, 'gerbilstone')).groups).toEqual([]);
    expect((await t.anonymous.get('/api/v1/search?q=x')).statusCode).toBe(401);
  });

  it('answers 400 naming q for an empty, blank, too long or NUL query, and for a bad limit', async () => {
    const bad = async (url: string, field: string) => {
      const r = await agent.get(url);
      expect(r.statusCode, url).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
      const fields = (r.json() as { errors: { field: string; message: string }[] }).errors.map((e) => e.field);
      expect(fields, url).toContain(field);
    };
    await bad('/api/v1/search', 'q');
    await bad('/api/v1/search?q=', 'q');
    await bad('/api/v1/search?q=%20%20%20', 'q');
    await bad('/api/v1/search?q=%21%3F', 'q');
    await bad(`/api/v1/search?q=${'a'.repeat(201)}`, 'q');
    await bad('/api/v1/search?q=ab%00cd', 'q');
    await bad('/api/v1/search?q=ada&limit=0', 'limit');
    await bad('/api/v1/search?q=ada&limit=21', 'limit');
    await bad('/api/v1/search?q=ada&limit=many', 'limit');
  });
});
