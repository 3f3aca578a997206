import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../http/actor.js';
import { createTestDb, type TestDb } from '../../../test/helpers.js';
import { recordAudit } from './service.js';

describe('audit trail', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => {
    await t.drop();
  });

  it('appends a line with the actor and refuses updates and deletes', async () => {
    await t.db.transaction((tx) =>
      recordAudit(tx, systemActor(), { action: 'settings.changed', targetType: 'settings', details: { key: 'x' } }),
    );
    const rows = await t.db.query<{ actor_kind: string; action: string; details: unknown }>(
      'SELECT actor_kind, action, details FROM audit_log',
    );
    expect(rows).toEqual([{ actor_kind: 'system', action: 'settings.changed', details: { key: 'x' } }]);
    await expect(t.db.query('UPDATE audit_log SET action = $1', ['auth.signin'])).rejects.toThrow(/append-only/);
    await expect(t.db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });

  it('refuses an action that is not <area>.<verb>', async () => {
    await expect(t.db.transaction((tx) => recordAudit(tx, null, { action: 'Bad Action' }))).rejects.toThrow();
  });
});
