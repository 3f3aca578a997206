import type { Queryable } from '../../db/adapter.js';
import type { Actor } from '../../http/actor.js';

/**
 * One line of the audit trail. `action` is `<area>.<verb>` in lower case
 * (`auth.signin`, `auth.signin_failed`, `api_key.created`, `import.started`,
 * `customer.erased`, `webhook.updated` …); `details` never holds secrets or
 * the personal data an erasure removes.
 */
export interface AuditEntry {
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
