import type { Queryable } from '../../db/adapter.js';
import { one } from '../../db/adapter.js';
import type { CaseSettings } from './schema.js';

/** SQL of the case settings: the status/priority/severity lists and the reopen policy. */

export type RankTable = 'case_priorities' | 'case_severities';

interface StatusRow {
  key: string;
  label: string;
  position: number;
  is_open: boolean;
  retired: boolean;
}
interface RankRow {
  key: string;
  label: string;
  position: number;
  is_default: boolean;
  retired: boolean;
}
interface PolicyRow {
  reopen_policy: 'never' | 'always' | 'withinDays';
  reopen_days: number | null;
  default_visibility: 'public' | 'private';
  version: number;
}

export async function loadSettings(q: Queryable, forUpdate = false): Promise<CaseSettings> {
  const policy = await one<PolicyRow>(
    q,
    `SELECT reopen_policy, reopen_days, default_visibility, version FROM case_settings${forUpdate ? ' FOR UPDATE' : ''}`,
  );
  const statuses = await q.query<StatusRow>(
    'SELECT key, label, position, is_open, retired FROM case_statuses ORDER BY position, key',
  );
  const rank = (table: RankTable) =>
    q.query<RankRow>(`SELECT key, label, position, is_default, retired FROM ${table} ORDER BY position, key`);
  const [priorities, severities] = [await rank('case_priorities'), await rank('case_severities')];
  const toRank = (r: RankRow) => ({
    key: r.key,
    label: r.label,
    order: r.position,
    isDefault: r.is_default,
    retired: r.retired,
  });
  return {
    statuses: statuses.map((r) => ({
      key: r.key,
      label: r.label,
      order: r.position,
      isOpen: r.is_open,
      builtin: r.key === 'open' || r.key === 'closed',
      retired: r.retired,
    })),
    priorities: priorities.map(toRank),
    severities: severities.map(toRank),
    reopen: { policy: policy.reopen_policy, days: policy.reopen_days },
    defaultVisibility: policy.default_visibility,
    version: policy.version,
  };
}

/** The reopen policy alone (one row, read on every customer-side follow-up). */
export async function loadReopenPolicy(q: Queryable): Promise<CaseSettings['reopen']> {
  const r = await one<PolicyRow>(q, 'SELECT reopen_policy, reopen_days, version FROM case_settings');
  return { policy: r.reopen_policy, days: r.reopen_days };
}

export async function statusInfo(q: Queryable, key: string): Promise<{ is_open: boolean; retired: boolean } | null> {
  const rows = await q.query<{ is_open: boolean; retired: boolean }>(
    'SELECT is_open, retired FROM case_statuses WHERE key = $1',
    [key],
  );
  return rows[0] ?? null;
}

export async function rankInfo(q: Queryable, table: RankTable, key: string): Promise<{ retired: boolean } | null> {
  const rows = await q.query<{ retired: boolean }>(`SELECT retired FROM ${table} WHERE key = $1`, [key]);
  return rows[0] ?? null;
}

export async function rankDefault(q: Queryable, table: RankTable): Promise<string> {
  const r = await one<{ key: string }>(q, `SELECT key FROM ${table} WHERE is_default`);
  return r.key;
}

export async function deleteStatus(tx: Queryable, key: string): Promise<void> {
  await tx.query('DELETE FROM case_statuses WHERE key = $1', [key]);
}

export async function upsertStatus(
  tx: Queryable,
  s: { key: string; label: string; position: number; isOpen: boolean; retired: boolean },
): Promise<void> {
  await tx.query(
    `INSERT INTO case_statuses (key, label, position, is_open, retired) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (key) DO UPDATE SET label = $2, position = $3, is_open = $4, retired = $5`,
    [s.key, s.label, s.position, s.isOpen, s.retired],
  );
}

export async function deleteRank(tx: Queryable, table: RankTable, key: string): Promise<void> {
  await tx.query(`DELETE FROM ${table} WHERE key = $1`, [key]);
}

/** Replaces one ordered list's items (the caller has removed the keys that go). */
export async function upsertRanks(
  tx: Queryable,
  table: RankTable,
  items: { key: string; label: string; position: number; isDefault: boolean; retired: boolean }[],
): Promise<void> {
  // The one-default index is checked per row: clear the flag first, then set it.
  await tx.query(`UPDATE ${table} SET is_default = false WHERE is_default`);
  for (const i of items) {
    await tx.query(
      `INSERT INTO ${table} (key, label, position, is_default, retired) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key) DO UPDATE SET label = $2, position = $3, is_default = $4, retired = $5`,
      [i.key, i.label, i.position, i.isDefault, i.retired],
    );
  }
}

export async function updatePolicy(
  tx: Queryable,
  reopen: { policy: string; days: number | null },
  defaultVisibility: 'public' | 'private',
): Promise<{ version: number }> {
  return one<{ version: number }>(
    tx,
    `UPDATE case_settings SET reopen_policy = $1, reopen_days = $2, default_visibility = $3,
       version = version + 1, updated_at = now()
     RETURNING version`,
    [reopen.policy, reopen.days, defaultVisibility],
  );
}
