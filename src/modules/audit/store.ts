import type { Queryable } from '../../db/adapter.js';
import { maybeOne } from '../../db/adapter.js';

/** The audit trail's SQL (audit_log, and its retention in settings). */

export interface AuditRow {
  id: number;
  at: Date;
  actor_id: string | null;
  actor_name: string;
  actor_kind: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  /** An exact action, or a prefix ending in `.*` (`auth.*`). */
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
}

/** Newest first, keyset on (at, id): `after` is the last row of the previous page. */
export function listAudit(
  q: Queryable,
  f: AuditFilter,
  limit: number,
  after: { at: Date; id: number } | null,
): Promise<AuditRow[]> {
  const prefix = f.action?.endsWith('.*') ? f.action.slice(0, -1) : null;
  return q.query<AuditRow>(
    `SELECT id, at, actor_id, actor_name, actor_kind, action, target_type, target_id, ip, user_agent, details
     FROM audit_log
     WHERE ($1::text IS NULL OR action = $1)
       AND ($2::text IS NULL OR starts_with(action, $2))
       AND ($3::uuid IS NULL OR actor_id = $3)
       AND ($4::text IS NULL OR target_type = $4)
       AND ($5::text IS NULL OR target_id = $5)
       AND ($6::timestamptz IS NULL OR at >= $6)
       AND ($7::timestamptz IS NULL OR at < $7)
       AND ($8::timestamptz IS NULL OR (at, id) < ($8, $9))
     ORDER BY at DESC, id DESC
     LIMIT $10`,
    [
      prefix ? null : (f.action ?? null),
      prefix,
      f.actorId ?? null,
      f.targetType ?? null,
      f.targetId ?? null,
      f.from ?? null,
      f.to ?? null,
      after?.at ?? null,
      after?.id ?? 0,
      limit,
    ],
  );
}

export const RETENTION_KEY = 'audit.retentionDays';

export async function loadRetention(
  q: Queryable,
  forUpdate = false,
): Promise<{ retentionDays: number | null; version: number }> {
  const row = await maybeOne<{ value: unknown; version: number }>(
    q,
    `SELECT value, version FROM settings WHERE key = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [RETENTION_KEY],
  );
  return { retentionDays: typeof row?.value === 'number' ? row.value : null, version: row?.version ?? 0 };
}

export async function saveRetention(q: Queryable, days: number | null): Promise<number> {
  const rows = await q.query<{ version: number }>(
    `INSERT INTO settings (key, value) VALUES ($1, $2::jsonb)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = settings.version + 1, updated_at = now()
     RETURNING version`,
    [RETENTION_KEY, JSON.stringify(days)],
  );
  return rows[0].version;
}

/** Deletes the lines older than the retention (the only delete the table's trigger lets through). */
export async function pruneAudit(q: Queryable): Promise<number> {
  const rows = await q.query<{ n: number }>('SELECT sb_prune_audit_log() AS n');
  return rows[0].n;
}
