import type { Clock } from '../../clock.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { requirePrivilege, systemActor, type Actor } from '../../http/actor.js';
import { Conflict, Invalid } from '../../http/errors.js';
import { recordAudit } from '../../modules/audit/service.js';

export const RETENTION_MIN_MONTHS = 1;
export const RETENTION_MAX_MONTHS = 1200;
/** Cases erased per transaction, and transactions per run: a run stays short; the next run goes on. */
const BATCH = 200;
const MAX_BATCHES_PER_RUN = 25;
const ERASED_TEXT = '[erased]';

interface RetentionSetting {
  /** Closed cases are erased this many months after closing; null keeps them for ever. */
  closedCaseMonths: number | null;
  version: number;
}

/**
 * Retention of closed cases (docs/exporting.md, "Retention"): an administrator
 * sets how many months after closing a case is erased with its follow-ups and
 * emails; the job runner applies it. An erased case keeps its number, customer,
 * status, dates and owner (so counts and reports stay right); its subject,
 * description, custom fields, follow-up bodies, email headers and bodies, raw
 * messages, attachments and the values in its history go. Each run records on
 * the audit trail how many cases it erased and which numbers.
 *
 * Like the customer erasure (service.ts) this reaches into the cases, email,
 * history, events and notifications tables in one transaction per batch,
 * through the erasure bypass of their append-only guards (migration 1001).
 */
export class CaseRetention {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  private async load(q: Queryable, forUpdate = false): Promise<RetentionSetting> {
    const [row] = await q.query<{ closed_case_months: number | null; version: number }>(
      `SELECT closed_case_months, version FROM privacy_retention${forUpdate ? ' FOR UPDATE' : ''}`,
    );
    return { closedCaseMonths: row?.closed_case_months ?? null, version: row?.version ?? 1 };
  }

  async get(actor: Actor): Promise<RetentionSetting> {
    requirePrivilege(actor, 'admin');
    return this.load(this.db);
  }

  async set(actor: Actor, months: number | null, expectedVersion: number | null, tx?: Queryable) {
    requirePrivilege(actor, 'admin');
    if (
      months !== null &&
      (!Number.isInteger(months) || months < RETENTION_MIN_MONTHS || months > RETENTION_MAX_MONTHS)
    ) {
      throw new Invalid([
        {
          field: 'closedCaseMonths',
          message: `erase closed cases between ${RETENTION_MIN_MONTHS} and ${RETENTION_MAX_MONTHS} months after closing, or null to keep them`,
        },
      ]);
    }
    return inTransaction(this.db, tx, async (q) => {
      const before = await this.load(q, true);
      if (expectedVersion !== null && expectedVersion !== before.version) throw Conflict.stale(before);
      const [row] = await q.query<{ version: number }>(
        `UPDATE privacy_retention SET closed_case_months = $1, version = version + 1, updated_at = $2 RETURNING version`,
        [months, this.clock.now()],
      );
      await recordAudit(q, actor, {
        action: 'settings.changed',
        targetType: 'settings',
        targetId: 'privacy.closedCaseMonths',
        details: { from: before.closedCaseMonths, to: months },
      });
      return { closedCaseMonths: months, version: row.version };
    });
  }

  /**
   * The retention job: erases the closed cases past the retention, oldest first,
   * in batches. Safe in several processes at once (rows are claimed with SKIP LOCKED).
   * Returns how many cases it erased.
   */
  async apply(): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
      const n = await this.db.transaction((tx) => this.eraseBatch(tx));
      total += n;
      if (n < BATCH) break;
    }
    return total;
  }

  private async eraseBatch(tx: Queryable): Promise<number> {
    const { closedCaseMonths: months } = await this.load(tx);
    if (months === null) return 0;
    const now = this.clock.now();
    const due = await tx.query<{ id: string; case_number: string; closed_at: Date }>(
      `SELECT c.id, c.case_number, c.closed_at FROM cases c
        WHERE c.closed_at IS NOT NULL AND c.closed_at < $1::timestamptz - make_interval(months => $2)
          AND NOT EXISTS (SELECT 1 FROM privacy_case_erasures e WHERE e.case_id = c.id)
        ORDER BY c.closed_at, c.id LIMIT ${BATCH} FOR UPDATE OF c SKIP LOCKED`,
      [now, months],
    );
    if (due.length === 0) return 0;
    const caseIds = due.map((c) => c.id);
    await tx.query(`SELECT set_config('switchboard.erasure', 'on', true)`);
    const counts: Record<string, number> = {};
    const run = async (name: string, sql: string, params: unknown[]) => {
      const r = await tx.query(`WITH changed AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM changed`, params);
      counts[name] = Number(r[0].n);
    };
    const followUpIds = (
      await tx.query<{ id: string }>('SELECT id FROM case_follow_ups WHERE case_id = ANY($1::uuid[])', [caseIds])
    ).map((r) => r.id);
    const messageIds = (
      await tx.query<{ id: string }>('SELECT id FROM email_messages WHERE case_id = ANY($1::uuid[])', [caseIds])
    ).map((r) => r.id);
    const recordIds = [...caseIds, ...followUpIds];

    await run('emailAttachments', 'DELETE FROM email_attachments WHERE message_id = ANY($1::uuid[])', [messageIds]);
    await run('emailUploads', 'DELETE FROM email_uploads WHERE case_id = ANY($1::uuid[])', [caseIds]);
    await run(
      'emailMessages',
      `UPDATE email_messages SET from_address = NULL, subject = $2, text_body = NULL, html_body = NULL, raw = NULL,
              envelope = '{}'::jsonb WHERE id = ANY($1::uuid[])`,
      [messageIds, ERASED_TEXT],
    );
    await run(
      'emailOutbox',
      `UPDATE email_outbox SET to_addresses = '{}', cc_addresses = '{}', bcc_addresses = '{}', subject = $2, body = ''
        WHERE case_id = ANY($1::uuid[])`,
      [caseIds, ERASED_TEXT],
    );
    await run(
      'followUps',
      `UPDATE case_follow_ups SET body = $2, email = NULL, custom_fields = '{}'::jsonb, notified = '{}'
        WHERE id = ANY($1::uuid[])`,
      [followUpIds, ERASED_TEXT],
    );
    await run(
      'cases',
      `UPDATE cases SET subject = $2, description = '', custom_fields = '{}'::jsonb, tags = '{}', version = version + 1
        WHERE id = ANY($1::uuid[])`,
      [caseIds, ERASED_TEXT],
    );
    await run(`history`, `UPDATE history SET changes = '[]'::jsonb WHERE record_id = ANY($1::uuid[])`, [recordIds]);
    await run('events', 'DELETE FROM events WHERE record_id = ANY($1::uuid[])', [recordIds]);
    await run('notifications', 'DELETE FROM notifications WHERE record_id = ANY($1::uuid[])', [recordIds]);
    await tx.query(
      `INSERT INTO privacy_case_erasures (case_id, case_number, closed_at, erased_at, counts)
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[]) AS d(case_id, case_number, closed_at),
              (SELECT $4::timestamptz, $5::jsonb) AS x(erased_at, counts)`,
      [caseIds, due.map((c) => c.case_number), due.map((c) => c.closed_at), now, JSON.stringify(counts)],
    );
    await recordAudit(tx, systemActor('system', 'case retention'), {
      action: 'cases.retention_erased',
      targetType: 'settings',
      targetId: 'privacy.closedCaseMonths',
      details: { months, cases: due.length, caseNumbers: due.map((c) => Number(c.case_number)), counts },
    });
    return due.length;
  }
}
