import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { type Actor, requirePrivilege, systemActor } from '../../http/actor.js';
import { Conflict, Invalid } from '../../http/errors.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';
import * as store from './store.js';

/**
 * One line of the audit trail. `action` is `<area>.<verb>` in lower case
 * (`auth.signin`, `auth.signin_failed`, `api_key.created`, `import.started`,
 * `customer.erased`, `webhook.updated` …); `details` never holds secrets or
 * the personal data an erasure removes.
 */
interface AuditEntry {
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  details?: Record<string, unknown>;
  /** Defaults to the actor's request address and user agent when it has them. */
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * Appends to the audit trail in the caller's transaction, so the change and
 * its audit line commit together. `actor` null: nobody signed in (a failed
 * sign-in by an unknown address).
 */
export async function recordAudit(tx: Queryable, actor: Actor | null, entry: AuditEntry): Promise<void> {
  await tx.query(
    `INSERT INTO audit_log (actor_id, actor_name, actor_kind, action, target_type, target_id, ip, user_agent, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      actor?.userId ?? null,
      actor?.name ?? 'anonymous',
      actor?.kind ?? 'anonymous',
      entry.action,
      entry.targetType ?? null,
      entry.targetId ?? null,
      entry.ip ?? actor?.ip ?? null,
      (entry.userAgent ?? actor?.userAgent ?? null)?.slice(0, 512) ?? null,
      JSON.stringify(entry.details ?? {}),
    ],
  );
}

/** Retention bounds: at least 30 days (a prune never empties recent history), at most 10 years. */
export const RETENTION_MIN_DAYS = 30;
export const RETENTION_MAX_DAYS = 3650;
/** The CSV export stops at this many lines (narrow the dates for more). */
const EXPORT_MAX_ROWS = 100_000;

export interface AuditEvent {
  id: string;
  at: string;
  actorId: string | null;
  actorName: string;
  actorKind: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

function toEvent(r: store.AuditRow): AuditEvent {
  return {
    id: String(r.id),
    at: r.at.toISOString(),
    actorId: r.actor_id,
    actorName: r.actor_name,
    actorKind: r.actor_kind,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    ip: r.ip,
    userAgent: r.user_agent,
    details: r.details,
  };
}

/**
 * Reading the audit trail (administrators): filtered pages, a CSV export, and
 * the retention setting with its prune. Writing is recordAudit, above, in the
 * transaction of whatever is recorded.
 */
export class AuditService {
  constructor(private readonly db: Db) {}

  private checkFilter(f: store.AuditFilter): void {
    if (f.from && f.to && f.from >= f.to) throw new Invalid([{ field: 'to', message: 'must be after from' }]);
  }

  async list(actor: Actor, f: store.AuditFilter, limit: number, cursor?: string): Promise<Page<AuditEvent>> {
    requirePrivilege(actor, 'admin');
    this.checkFilter(f);
    let after: { at: Date; id: number } | null = null;
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['date', 'number']) as [string, number];
      after = { at: new Date(at), id };
    }
    const rows = await store.listAudit(this.db, f, limit + 1, after);
    return keysetPage(rows, limit, (last) => [last.at.toISOString(), last.id], toEvent);
  }

  /** The filtered lines, newest first, page by page (for the CSV export), at most EXPORT_MAX_ROWS. */
  async *exportRows(actor: Actor, f: store.AuditFilter, tx?: Queryable): AsyncGenerator<AuditEvent> {
    requirePrivilege(actor, 'admin');
    this.checkFilter(f);
    const q = tx ?? this.db;
    let after: { at: Date; id: number } | null = null;
    let sent = 0;
    while (sent < EXPORT_MAX_ROWS) {
      const rows = await store.listAudit(q, f, Math.min(1000, EXPORT_MAX_ROWS - sent), after);
      for (const r of rows) yield toEvent(r);
      sent += rows.length;
      if (rows.length < 1000) return;
      const last = rows[rows.length - 1];
      after = { at: last.at, id: last.id };
    }
  }

  async getSettings(actor: Actor): Promise<{ retentionDays: number | null; version: number }> {
    requirePrivilege(actor, 'admin');
    return store.loadRetention(this.db);
  }

  async setSettings(
    actor: Actor,
    input: { retentionDays: number | null },
    expectedVersion: number | null,
    tx?: Queryable,
  ): Promise<{ retentionDays: number | null; version: number }> {
    requirePrivilege(actor, 'admin');
    const days = input.retentionDays;
    if (days !== null && (!Number.isInteger(days) || days < RETENTION_MIN_DAYS || days > RETENTION_MAX_DAYS)) {
      throw new Invalid([
        {
          field: 'retentionDays',
          message: `keep lines between ${RETENTION_MIN_DAYS} and ${RETENTION_MAX_DAYS} days, or null for ever`,
        },
      ]);
    }
    return inTransaction(this.db, tx, async (q) => {
      const before = await store.loadRetention(q, true);
      if (expectedVersion !== null && expectedVersion !== before.version) throw Conflict.stale(before);
      const version = await store.saveRetention(q, days);
      await recordAudit(q, actor, {
        action: 'settings.changed',
        targetType: 'settings',
        targetId: store.RETENTION_KEY,
        details: { from: before.retentionDays, to: days },
      });
      return { retentionDays: days, version };
    });
  }

  /** The retention job: deletes lines past the retention and records how many went. */
  async prune(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const n = await store.pruneAudit(tx);
      if (n > 0) {
        await recordAudit(tx, systemActor(), {
          action: 'audit.pruned',
          targetType: 'settings',
          targetId: store.RETENTION_KEY,
          details: { count: n },
        });
      }
      return n;
    });
  }
}
