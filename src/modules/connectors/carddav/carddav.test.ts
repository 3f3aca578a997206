import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import { startTestApp, type TestApp, type TestClient } from '../../../../test/helpers.js';
import { startRadicale, type RunningRadicale } from '../../../../test/infra/radicale.js';

const BASE = '/api/v1/integrations/connectors';
const SYSTEM = 'addressbook';

/** A vCard 3.0 as another CardDAV client (a phone) writes it. */
function vcard(uid: string, o: { first: string; last: string; org?: string; email?: string; rev?: string }): string {
  return [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `UID:${uid}`,
    `FN:${o.first} ${o.last}`,
    `N:${o.last};${o.first};;;`,
    ...(o.org ? [`ORG:${o.org}`] : []),
    ...(o.email ? [`EMAIL;TYPE=INTERNET:${o.email}`] : []),
    'TEL;TYPE=CELL:+1 415 555 0100',
    'TEL;TYPE=WORK,VOICE:+1 415 555 0199',
    'ADR;TYPE=HOME,PREF:;;1 Main St;Springfield;IL;62701;USA',
    'ADR;TYPE=WORK:;;2 Office Rd;Shelbyville;IL;62565;USA',
    ...(o.rev ? [`REV:${o.rev}`] : []),
    'END:VCARD',
    '',
  ].join('\r\n');
}

describe('the CardDAV connector against Radicale', () => {
  let t: TestApp;
  let radicale: RunningRadicale;
  let admin: TestClient;
  let connectorId: string;
  let book: string;
  const clock = new ManualClock();

  /** A request to Radicale as another CardDAV client would send it. */
  const dav = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const auth = Buffer.from(`${radicale.username}:${radicale.password}`).toString('base64');
    const res = await fetch(`${radicale.url}${path}`, {
      method,
      body,
      headers: { authorization: `Basic ${auth}`, 'content-type': 'text/vcard', ...headers },
    });
    return { status: res.status, etag: res.headers.get('etag'), body: await res.text() };
  };

  const sync = async () => {
    const started = await admin.post(`${BASE}/${connectorId}/sync`);
    expect(started.statusCode, started.body).toBe(202);
    await t.ctx.services.jobs.runUntilIdle();
    return (await admin.get(`/api/v1/jobs/${started.json().jobId}`)).json();
  };
  const customer = async (uid: string) => admin.get(`/api/v1/customers/by-external-id/${SYSTEM}/${uid}`);
  const history = async (id: string) =>
    (await admin.get(`/api/v1/customers/${id}/history`)).json().items as {
      action: string;
      actor: { name: string };
      changes: { field: string; from: unknown; to: unknown }[];
    }[];

  beforeAll(async () => {
    radicale = await startRadicale();
    book = `/${radicale.username}/contacts/`;
    const made = await dav(
      'MKCOL',
      book,
      '<?xml version="1.0"?><mkcol xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><set><prop>' +
        '<resourcetype><collection/><C:addressbook/></resourcetype></prop></set></mkcol>',
      { 'content-type': 'application/xml' },
    );
    expect(made.status).toBe(201);
    t = await startTestApp({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }, clock, checkResponses: true });
    admin = await t.apiKey('admin');
  });

  afterAll(async () => {
    await t?.close();
    await radicale?.remove();
  });

  it('settings are checked field by field; the password is never returned; the connection test works', async () => {
    const base = { kind: 'carddav', name: 'Phones', system: SYSTEM, baseUrl: `${radicale.url}${book}` };
    const noPassword = await admin.post(BASE, { ...base, username: radicale.username });
    expect(noPassword.statusCode).toBe(400);
    expect(noPassword.json().errors[0].field).toBe('password');
    const httpWithPassword = await admin.post(BASE, { ...base, kind: 'http', system: 'x', password: 'p' });
    expect(httpWithPassword.statusCode).toBe(400);
    expect(httpWithPassword.json().errors[0].field).toBe('password');
    const badInterval = await admin.post(BASE, { ...base, username: 'u', password: 'p', syncIntervalMinutes: 1 });
    expect(badInterval.statusCode).toBe(400);
    expect(badInterval.body).toContain('syncIntervalMinutes');

    const wrong = await admin.post(BASE, { ...base, username: radicale.username, password: 'wrong' });
    expect(wrong.statusCode, wrong.body).toBe(201);
    expect(JSON.stringify(wrong.json())).not.toContain('wrong');
    expect(wrong.json()).not.toHaveProperty('secret');
    connectorId = wrong.json().id;
    const failed = (await admin.post(`${BASE}/${connectorId}/test`)).json();
    expect(failed).toMatchObject({ ok: false, error: expect.stringMatching(/401.*user name and password/) });

    const fixed = await admin.patch(`${BASE}/${connectorId}`, { password: radicale.password });
    expect(fixed.statusCode, fixed.body).toBe(200);
    expect(JSON.stringify(fixed.json())).not.toContain(radicale.password);
    expect((await admin.post(`${BASE}/${connectorId}/test`)).json()).toMatchObject({ ok: true, error: null });
    const read = (await admin.get(`${BASE}/${connectorId}`)).json();
    expect(read).toMatchObject({
      kind: 'carddav',
      username: radicale.username,
      syncContacts: true,
      useForLookup: false,
    });
    expect(JSON.stringify(read)).not.toContain(radicale.password);
    expect(JSON.stringify((await admin.get('/api/v1/audit')).json())).not.toContain(radicale.password);
  });

  it('CardDAV round trip with Radicale including an edit on each side', async () => {
    // Import: two vCards written by another client become customers, every mapped field with them.
    expect(
      (
        await dav(
          'PUT',
          `${book}ada.vcf`,
          vcard('uid-ada', { first: 'Ada', last: 'Lovelace', org: 'Analytical', email: 'ada@example.test' }),
        )
      ).status,
    ).toBe(201);
    expect(
      (await dav('PUT', `${book}alan.vcf`, vcard('uid-alan', { first: 'Alan', last: 'Turing', org: 'NPL' }))).status,
    ).toBe(201);
    const first = await sync();
    expect(first, JSON.stringify(first)).toMatchObject({ status: 'succeeded', result: { created: 2, pushed: 0 } });
    const ada = (await customer('uid-ada')).json();
    expect(ada).toMatchObject({
      firstName: 'Ada',
      lastName: 'Lovelace',
      company: 'Analytical',
      email: 'ada@example.test',
      phones: [
        { type: 'mobile', e164: '+14155550100' },
        { type: 'work', e164: '+14155550199' },
      ],
      primaryAddress: { street: '1 Main St', city: 'Springfield', region: 'IL', postalCode: '62701', country: 'USA' },
      secondaryAddress: { street: '2 Office Rd', city: 'Shelbyville' },
    });
    const connector = (await admin.get(`${BASE}/${connectorId}`)).json();
    expect(connector).toMatchObject({ lastSyncError: null, lastSyncCounts: { created: 2 } });
    expect(connector.lastSyncAt).not.toBeNull();

    // Nothing changed: the sync-token answers nothing, nothing is written either way.
    expect((await sync()).result).toMatchObject({ created: 0, updated: 0, pushed: 0, conflicts: 0 });

    // An edit in Switchboard is pushed (If-Match the ETag last read).
    const edited = await admin.patch(`/api/v1/customers/${ada.id}`, { company: 'Babbage & Co', version: ada.version });
    expect(edited.statusCode, edited.body).toBe(200);
    expect((await sync()).result).toMatchObject({ pushed: 1, updated: 0 });
    const pushed = await dav('GET', `${book}ada.vcf`);
    expect(pushed.body).toContain('ORG:Babbage & Co');
    expect(pushed.body).toMatch(/TEL;TYPE=cell:\+1 415 555 0100/);
    expect(pushed.body).toContain('ADR;PREF=1:;;1 Main St;Springfield;IL;62701;USA');
    // Its own write comes back through the sync-token: recognised by its ETag, not applied again.
    const echo = await sync();
    expect(echo.result).toMatchObject({ updated: 0, pushed: 0, unchanged: 1 });

    // An edit in the address book is pulled.
    const changed = await dav(
      'PUT',
      `${book}ada.vcf`,
      vcard('uid-ada', { first: 'Ada', last: 'King', org: 'Babbage & Co', email: 'ada@king.test' }),
      { 'if-match': pushed.etag! },
    );
    expect([201, 204]).toContain(changed.status);
    expect((await sync()).result).toMatchObject({ updated: 1, pushed: 0, conflicts: 0 });
    const pulled = (await customer('uid-ada')).json();
    expect(pulled).toMatchObject({ id: ada.id, lastName: 'King', email: 'ada@king.test' });

    // Both sides edited, the address book's change newer (REV): it wins, and the history says so.
    await admin.patch(`/api/v1/customers/${ada.id}`, { notes: 'VIP', company: 'Local Co', version: pulled.version });
    await dav(
      'PUT',
      `${book}ada.vcf`,
      vcard('uid-ada', { first: 'Ada', last: 'King', org: 'Remote Co', rev: '2100-01-01T00:00:00Z' }),
    );
    expect((await sync()).result).toMatchObject({ conflicts: 1 });
    const remoteWon = (await customer('uid-ada')).json();
    expect(remoteWon).toMatchObject({ company: 'Remote Co', notes: 'VIP' });
    const [won, conflict] = await history(ada.id);
    expect(won.action).toBe('update');
    expect(conflict).toMatchObject({
      action: 'sync_conflict',
      actor: { name: 'CRM sync (conflict)' },
      changes: expect.arrayContaining([
        { field: 'conflict', from: null, to: expect.stringMatching(/^addressbook won/) },
        { field: 'company', from: 'Local Co', to: 'Remote Co' },
      ]),
    });

    // Both sides edited, Switchboard's change newer: it wins and is pushed over the address book's.
    await admin.patch(`/api/v1/customers/${ada.id}`, { company: 'Switchboard Co', version: remoteWon.version });
    await dav(
      'PUT',
      `${book}ada.vcf`,
      vcard('uid-ada', { first: 'Ada', last: 'King', org: 'Old Co', rev: '2001-01-01T00:00:00Z' }),
    );
    expect((await sync()).result).toMatchObject({ conflicts: 1, pushed: 1 });
    expect((await customer('uid-ada')).json().company).toBe('Switchboard Co');
    expect((await dav('GET', `${book}ada.vcf`)).body).toContain('ORG:Switchboard Co');
    const [localWon] = await history(ada.id);
    expect(localWon).toMatchObject({
      action: 'sync_conflict',
      changes: expect.arrayContaining([
        { field: 'conflict', from: null, to: expect.stringMatching(/^Switchboard won/) },
        { field: 'addressbook.company', from: 'Old Co', to: 'Switchboard Co' },
      ]),
    });
    expect((await sync()).result).toMatchObject({ conflicts: 0, pushed: 0, updated: 0 });

    // A customer given an id in the system is created in the address book (If-None-Match *).
    const added = await admin.put(`/api/v1/customers/by-external-id/${SYSTEM}/uid-grace`, {
      firstName: 'Grace',
      lastName: 'Hopper',
      phones: [{ type: 'work', number: '+1 212 555 0123' }],
    });
    expect(added.statusCode, added.body).toBe(201);
    expect((await sync()).result).toMatchObject({ pushed: 1 });
    const grace = await dav('GET', `${book}uid-grace.vcf`);
    expect(grace.status).toBe(200);
    expect(grace.body).toContain('UID:uid-grace');
    expect(grace.body).toContain('N:Hopper;Grace;;;');

    // Deleted in the address book: the customer stays, without its id there; the history says why.
    const alan = (await customer('uid-alan')).json();
    expect((await dav('DELETE', `${book}alan.vcf`)).status).toBe(200);
    expect((await sync()).result).toMatchObject({ deleted: 1 });
    expect((await customer('uid-alan')).statusCode).toBe(404);
    expect((await admin.get(`/api/v1/customers/${alan.id}`)).statusCode).toBe(200);
    expect((await history(alan.id))[0]).toMatchObject({ action: 'sync_deleted' });

    // Deleted in Switchboard: deleted in the address book.
    expect((await admin.delete(`/api/v1/customers/${added.json().id}`)).statusCode).toBe(204);
    expect((await sync()).result).toMatchObject({ removed: 1 });
    expect((await dav('GET', `${book}uid-grace.vcf`)).status).toBe(404);
  });

  it('vCard properties Switchboard does not map survive an edit made in Switchboard', async () => {
    const card = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'UID:uid-emmy',
      'FN:Emmy Noether',
      'N:Noether;Emmy;;;',
      'ORG:Erlangen',
      'BDAY:1882-03-23',
      'NOTE:Prefers email\\, never calls',
      'URL:https://emmy.example',
      'X-SWITCHBOARD-TEST;TYPE=home:keep me',
      'item1.X-ABLabel:Assistant',
      'END:VCARD',
      '',
    ].join('\r\n');
    expect((await dav('PUT', `${book}emmy.vcf`, card)).status).toBe(201);
    expect((await sync()).result).toMatchObject({ created: 1 });
    const emmy = (await customer('uid-emmy')).json();
    const edited = await admin.patch(`/api/v1/customers/${emmy.id}`, { company: 'Göttingen', version: emmy.version });
    expect(edited.statusCode, edited.body).toBe(200);
    expect((await sync()).result).toMatchObject({ pushed: 1 });
    const pushed = (await dav('GET', `${book}emmy.vcf`)).body;
    expect(pushed).toContain('ORG:Göttingen');
    expect(pushed).not.toContain('ORG:Erlangen');
    for (const kept of [
      'BDAY:1882-03-23',
      'NOTE:Prefers email\\, never calls',
      'URL:https://emmy.example',
      'X-SWITCHBOARD-TEST;TYPE=home:keep me',
    ]) {
      expect(pushed).toContain(kept);
    }
    // Radicale writes property names in capitals (names are case-insensitive).
    expect(pushed).toMatch(/^item1\.X-ABLabel:Assistant\r$/im);
    // A second edit keeps them too (the vCard written is the one kept for the next push).
    const again = (await customer('uid-emmy')).json();
    await admin.patch(`/api/v1/customers/${emmy.id}`, { lastName: 'Noether-Fischer', version: again.version });
    expect((await sync()).result).toMatchObject({ pushed: 1 });
    const second = (await dav('GET', `${book}emmy.vcf`)).body;
    expect(second).toContain('N:Noether-Fischer;Emmy;;;');
    expect(second).toContain('BDAY:1882-03-23');
    expect(second).toContain('X-SWITCHBOARD-TEST;TYPE=home:keep me');
    expect(second.match(/BDAY/g)).toHaveLength(1);

    // A privacy erasure clears the vCard kept for the contact.
    const kept = async () =>
      (
        await t.db.query<{ document: string | null }>(
          `SELECT document FROM connector_contacts WHERE connector_id = $1 AND external_id = 'uid-emmy'`,
          [connectorId],
        )
      )[0]?.document;
    expect(await kept()).toContain('BDAY');
    const erased = await admin.post(`/api/v1/customers/${emmy.id}/erase`, { reason: 'privacy request' });
    expect(erased.statusCode, erased.body).toBe(200);
    expect(erased.json().counts).toMatchObject({ connectorDocuments: 1 });
    expect(await kept()).toBeNull();
  });

  it('several emails: the customer holds the first, every other one survives pushes both ways', async () => {
    const emailLines = (card: string) => card.split(/\r?\n/).filter((l) => /^(?:[\w-]+\.)?EMAIL[;:]/i.test(l));
    const card = (emails: string[]) =>
      [
        'BEGIN:VCARD',
        'VERSION:3.0',
        'UID:uid-ada-mail',
        'FN:Ada Byron',
        'N:Byron;Ada;;;',
        ...emails,
        'END:VCARD',
        '',
      ].join('\r\n');
    const put = await dav(
      'PUT',
      `${book}ada-mail.vcf`,
      card(['EMAIL;TYPE=WORK:ada@work.example', 'EMAIL;TYPE=HOME:ada@home.example', 'item2.EMAIL:ada@club.example']),
    );
    expect(put.status).toBe(201);
    expect((await sync()).result).toMatchObject({ created: 1 });
    const ada = (await customer('uid-ada-mail')).json();
    expect(ada.email).toBe('ada@work.example');

    // The customer's email changes: only that one is replaced; the others are written back as they were.
    await admin.patch(`/api/v1/customers/${ada.id}`, { email: 'ada@new.example', version: ada.version });
    expect((await sync()).result).toMatchObject({ pushed: 1, conflicts: 0 });
    const first = (await dav('GET', `${book}ada-mail.vcf`)).body;
    expect(emailLines(first)).toEqual([
      expect.stringMatching(/^EMAIL.*:ada@new\.example$/),
      'EMAIL;TYPE=HOME:ada@home.example',
      expect.stringMatching(/^item2\.EMAIL:ada@club\.example$/i),
    ]);
    // Its own write coming back is not a change.
    expect((await sync()).result).toMatchObject({ unchanged: 1, updated: 0, pushed: 0, conflicts: 0 });
    expect((await customer('uid-ada-mail')).json()).toMatchObject({
      email: 'ada@new.example',
      version: ada.version + 1,
    });

    // The customer takes one of the others: it is written once, not twice.
    const v2 = (await customer('uid-ada-mail')).json().version as number;
    await admin.patch(`/api/v1/customers/${ada.id}`, { email: 'ada@home.example', version: v2 });
    expect((await sync()).result).toMatchObject({ pushed: 1 });
    const second = (await dav('GET', `${book}ada-mail.vcf`)).body;
    expect(emailLines(second).map((l) => l.slice(l.indexOf(':') + 1))).toEqual([
      'ada@home.example',
      'ada@club.example',
    ]);

    // A phone adds an email: it arrives (the customer still holds the first), and a later push keeps it.
    const phone = await dav(
      'PUT',
      `${book}ada-mail.vcf`,
      card(['EMAIL:ada@home.example', 'item2.EMAIL:ada@club.example', 'EMAIL;TYPE=WORK:ada@lab.example']),
    );
    expect([201, 204]).toContain(phone.status);
    expect((await sync()).result).toMatchObject({ updated: 1, conflicts: 0 });
    const v3 = (await customer('uid-ada-mail')).json();
    expect(v3.email).toBe('ada@home.example');
    await admin.patch(`/api/v1/customers/${ada.id}`, { company: 'Analytical Engines', version: v3.version });
    expect((await sync()).result).toMatchObject({ pushed: 1 });
    const third = (await dav('GET', `${book}ada-mail.vcf`)).body;
    expect(third).toContain('ORG:Analytical Engines');
    expect(emailLines(third).map((l) => l.slice(l.indexOf(':') + 1))).toEqual([
      'ada@home.example',
      'ada@club.example',
      'ada@lab.example',
    ]);
  });

  it('a deletion the address book refuses (changed there since) is recorded; the rest of the sync completes', async () => {
    expect((await dav('PUT', `${book}kept.vcf`, vcard('uid-kept', { first: 'Mary', last: 'Somerville' }))).status).toBe(
      201,
    );
    expect((await sync()).result).toMatchObject({ created: 1 });
    const mary = (await customer('uid-kept')).json();
    await admin.patch(`/api/v1/customers/${mary.id}`, { company: 'Royal Society', version: mary.version });
    // Ada deleted here; the vCard changed in the address book after the last sync, in a way the changes
    // feed has not shown yet (the ETag kept for it is no longer the server's): Radicale answers 412.
    const ada = (await customer('uid-ada-mail')).json();
    expect((await admin.delete(`/api/v1/customers/${ada.id}`)).statusCode).toBe(204);
    await t.db.query(
      `UPDATE connector_contacts SET etag = '"changed-since"' WHERE connector_id = $1 AND external_id = 'uid-ada-mail'`,
      [connectorId],
    );
    const job = await sync();
    expect(job).toMatchObject({ status: 'succeeded', result: { pushed: 1, conflicts: 1, removed: 0, failed: 0 } });
    const problem = {
      externalId: 'uid-ada-mail',
      error: expect.stringMatching(/^not deleted in addressbook: it changed there since/),
    };
    expect(job.result.problems).toEqual([problem]);
    const connector = (await admin.get(`${BASE}/${connectorId}`)).json();
    expect(connector).toMatchObject({ lastSyncError: null, lastSyncProblems: [problem] });
    expect((await dav('GET', `${book}kept.vcf`)).body).toContain('ORG:Royal Society');
    expect((await dav('GET', `${book}ada-mail.vcf`)).status).toBe(200);
    // Ada's history (it outlives her) says why the address book still has her.
    const lines = (await admin.get(`/api/v1/customers/${ada.id}/history`)).json().items as { action: string }[];
    expect(lines.filter((h) => h.action === 'sync_failed')).toEqual([
      expect.objectContaining({
        changes: [
          { field: 'connector', from: null, to: expect.stringMatching(/\(addressbook\)$/) },
          { field: 'failure', from: null, to: 'deletion refused' },
          { field: 'reason', from: null, to: expect.stringMatching(/^not deleted in addressbook: it changed there/) },
        ],
      }),
    ]);
    // Not linked any more: the next sync leaves it alone.
    expect((await sync()).result).toMatchObject({ removed: 0, conflicts: 0, problems: [] });
    expect((await dav('GET', `${book}ada-mail.vcf`)).status).toBe(200);
    // Its deletion there later is nothing to apply here.
    expect((await dav('DELETE', `${book}ada-mail.vcf`)).status).toBe(200);
    expect((await sync()).result).toMatchObject({ deleted: 0, created: 0, problems: [] });
  });

  it('a Radicale that is down: the error is recorded and visible, and the job retries', async () => {
    await radicale.stop();
    const started = await admin.post(`${BASE}/${connectorId}/sync`);
    await t.ctx.services.jobs.runUntilIdle();
    const job = (await admin.get(`/api/v1/jobs/${started.json().jobId}`)).json();
    expect(job).toMatchObject({ status: 'queued', attempts: 1, error: expect.stringMatching(/ECONNREFUSED/) });
    const down = (await admin.get(`${BASE}/${connectorId}`)).json();
    expect(down.lastSyncError).toMatch(/ECONNREFUSED/);
    await radicale.restart();
    clock.advance(60_000);
    await t.ctx.services.jobs.runUntilIdle();
    expect((await admin.get(`/api/v1/jobs/${started.json().jobId}`)).json().status).toBe('succeeded');
    expect((await admin.get(`${BASE}/${connectorId}`)).json().lastSyncError).toBeNull();
  });

  it('a server that forgot the sync-token: a full listing, compared by ETag, finds what changed and what was deleted', async () => {
    const before = (await sync()).result;
    expect(before).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    const linus = await dav('PUT', `${book}linus.vcf`, vcard('uid-linus', { first: 'Linus', last: 'Pauling' }));
    expect(linus.status).toBe(201);
    expect((await sync()).result).toMatchObject({ created: 1 });
    const linusId = (await customer('uid-linus')).json().id;
    await dav('PUT', `${book}linus.vcf`, vcard('uid-linus', { first: 'Linus', last: 'Pauling', org: 'Caltech' }));
    await dav('DELETE', `${book}ada.vcf`);
    // A token the server does not know (e.g. its storage was restored): it answers valid-sync-token.
    await t.db.query('UPDATE connectors SET sync_cursor = $2 WHERE id = $1', [
      connectorId,
      'http://radicale.org/ns/sync/0000000000000000000000000000000000000000000000000000000000000000',
    ]);
    const full = await sync();
    expect(full, JSON.stringify(full)).toMatchObject({
      status: 'succeeded',
      result: { updated: 1, deleted: 1, created: 0, pushed: 0 },
    });
    expect((await customer('uid-linus')).json()).toMatchObject({ id: linusId, company: 'Caltech' });
    expect((await customer('uid-ada')).statusCode).toBe(404);
    expect((await sync()).result).toMatchObject({ created: 0, updated: 0, deleted: 0, pushed: 0 });
  });

  it('a scheduled sync every N minutes is enqueued once however many processes look', async () => {
    const svc = t.ctx.services.connectors;
    await admin.patch(`${BASE}/${connectorId}`, { syncIntervalMinutes: 15 });
    expect(await svc.scheduleSyncs()).toBe(1);
    expect(await svc.scheduleSyncs()).toBe(0);
    await dav('PUT', `${book}marie.vcf`, vcard('uid-marie', { first: 'Marie', last: 'Curie' }));
    await t.ctx.services.jobs.runUntilIdle();
    expect((await customer('uid-marie')).statusCode).toBe(200);
    clock.advance(14 * 60_000);
    expect(await svc.scheduleSyncs()).toBe(0);
    clock.advance(60_000);
    expect(await svc.scheduleSyncs()).toBe(1);
    await t.ctx.services.jobs.runUntilIdle();
    expect((await admin.get(`${BASE}/${connectorId}`)).json()).toMatchObject({ syncIntervalMinutes: 15 });
  });
});
