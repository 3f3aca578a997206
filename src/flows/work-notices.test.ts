import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { startTestApp, type TestApp, type TestClient } from '../../test/helpers.js';

interface NotificationWire {
  id: string;
  kind: string;
  recordType: string | null;
  recordId: string | null;
  title: string;
  payload: Record<string, unknown>;
}

const MIN = 60_000;

describe('notifications that wait: reminders that fire, imports and exports that finish', () => {
  const clock = new ManualClock();
  let t: TestApp;
  let agent: TestClient;
  let customerId: string;

  beforeAll(async () => {
    t = await startTestApp({ clock, env: { SESSION_IDLE_MINUTES: '600' } });
    agent = await t.user('agent');
    customerId = (await t.admin.post('/api/v1/customers', { firstName: 'Ada', lastName: 'Lovelace' })).json().id;
  });
  afterAll(async () => t?.close());

  const inbox = async (as: TestClient, kind: string): Promise<NotificationWire[]> =>
    ((await as.get('/api/v1/notifications?limit=200')).json().items as NotificationWire[]).filter(
      (n) => n.kind === kind,
    );

  it('a reminder that fires while no console is open waits in the inbox; each fires once', async () => {
    const due = new Date(clock.now().getTime() + 60 * MIN).toISOString();
    const res = await agent.post('/api/v1/tasks', { type: 'call', subject: 'Call Ada back', customerId, dueAt: due });
    expect(res.statusCode, res.body).toBe(201);
    const taskId = res.json().id as string;
    expect(await t.ctx.services.reminders.fireDue()).toBe(0);
    expect(await inbox(agent, 'reminder')).toHaveLength(0);

    clock.advance(31 * MIN); // past the "before" reminder (30 min before due)
    expect(await t.ctx.services.reminders.fireDue()).toBe(1);
    expect(await t.ctx.services.reminders.fireDue()).toBe(0);
    let mine = await inbox(agent, 'reminder');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ recordType: 'task', recordId: taskId, title: 'Reminder: Call Ada back' });
    expect(mine[0].payload).toMatchObject({ reminderKind: 'before', dueAt: due });

    clock.advance(30 * MIN); // past due: the "overdue" one
    expect(await t.ctx.services.reminders.fireDue()).toBe(1);
    mine = await inbox(agent, 'reminder');
    expect(mine.map((n) => n.title)).toEqual(['Task overdue: Call Ada back', 'Reminder: Call Ada back']);
  });

  it('an export that finishes tells the user who started it; nobody else', async () => {
    const exporter = await t.user('admin');
    const started = await exporter.post('/api/v1/exports', { object: 'customers', format: 'csv' });
    expect(started.statusCode, started.body).toBe(202);
    const jobId = started.json().id as string;
    expect(await inbox(exporter, 'job.finished')).toHaveLength(0);
    await t.ctx.services.jobs.runUntilIdle();
    const mine = await inbox(exporter, 'job.finished');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ recordType: 'job', recordId: jobId, title: 'Your export is ready to download' });
    expect(mine[0].payload).toMatchObject({ jobKind: 'export', status: 'succeeded', object: 'customers' });
    expect(await inbox(t.admin, 'job.finished')).toHaveLength(0);
  });

  it('a queued export cancelled by someone else tells its owner; cancelling my own does not', async () => {
    const exporter = await t.user('admin');
    const a = (await exporter.post('/api/v1/exports', { object: 'customers' })).json().id as string;
    const b = (await exporter.post('/api/v1/exports', { object: 'customers' })).json().id as string;
    expect((await t.admin.post(`/api/v1/jobs/${a}/cancel`, {})).statusCode).toBe(200);
    expect((await exporter.post(`/api/v1/jobs/${b}/cancel`, {})).statusCode).toBe(200);
    const mine = await inbox(exporter, 'job.finished');
    expect(mine.map((n) => [n.recordId, n.title])).toEqual([[a, 'Your export was cancelled']]);
  });

  it('an import (and a dry run) that finishes tells the user who started it', async () => {
    const importer = await t.user('admin');
    const up = await importer.request(
      'POST',
      '/api/v1/imports?objectType=customers&fileName=people.csv',
      'First name,Last name\nGrace,Hopper\n',
      { 'content-type': 'text/csv' },
    );
    expect(up.statusCode, up.body).toBe(201);
    const id = up.json().id as string;
    expect((await importer.post(`/api/v1/imports/${id}/dry-run`, {})).statusCode).toBe(202);
    await t.ctx.services.jobs.runUntilIdle();
    expect((await importer.post(`/api/v1/imports/${id}/start`, {})).statusCode).toBe(202);
    await t.ctx.services.jobs.runUntilIdle();
    const mine = await inbox(importer, 'job.finished');
    expect(mine.map((n) => n.title)).toEqual(['Your import finished', 'The dry run of your import finished']);
    expect(mine[0].payload).toMatchObject({ jobKind: 'import', importId: id, status: 'succeeded', dryRun: false });
  });
});
