import type { Queryable } from '../../db/adapter.js';
import { maybeOne, one } from '../../db/adapter.js';

/** The SQL of email_outbox: outgoing mail waiting for, or done with, the SMTP relay. */

export type OutboxKind = 'reply' | 'credentials' | 'passwordReset' | 'notification';
export type OutboxStatus = 'queued' | 'sent' | 'failed';

export interface OutboxRow {
  id: string;
  kind: OutboxKind;
  status: OutboxStatus;
  case_id: string | null;
  follow_up_id: string | null;
  email_message_id: string | null;
  message_id: string;
  from_address: string;
  to_addresses: string[];
  cc_addresses: string[];
  bcc_addresses: string[];
  subject: string;
  body: string;
  /** A rich-text reply's sanitised HTML part (null: plain text only). */
  html: string | null;
  in_reply_to: string | null;
  reference_ids: string[];
  sensitive: boolean;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  sent_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, kind, status, case_id, follow_up_id, email_message_id, message_id, from_address, to_addresses,
  cc_addresses, bcc_addresses, subject, body, html, in_reply_to, reference_ids, sensitive, attempts, next_attempt_at,
  last_error, sent_at, created_at, updated_at`;

interface NewOutbox {
  kind: OutboxKind;
  caseId: string | null;
  followUpId: string | null;
  emailMessageId: string | null;
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  body: string;
  html?: string | null;
  inReplyTo: string | null;
  references: string[];
  sensitive: boolean;
}

export async function insertOutbox(tx: Queryable, m: NewOutbox): Promise<OutboxRow> {
  return one<OutboxRow>(
    tx,
    `INSERT INTO email_outbox (kind, case_id, follow_up_id, email_message_id, message_id, from_address, to_addresses,
       cc_addresses, bcc_addresses, subject, body, in_reply_to, reference_ids, sensitive, html)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING ${COLUMNS}`,
    [
      m.kind,
      m.caseId,
      m.followUpId,
      m.emailMessageId,
      m.messageId,
      m.from,
      m.to,
      m.cc,
      m.bcc,
      m.subject,
      m.body,
      m.inReplyTo,
      m.references,
      m.sensitive,
      m.html ?? null,
    ],
  );
}

/**
 * Claims the next due row. With `lock` (PostgreSQL) the row stays locked by
 * the caller's transaction (FOR UPDATE SKIP LOCKED: other processes pass it
 * by); without (PGlite, one process) a lease marks it taken for `leaseSeconds`.
 */
export async function claimDue(q: Queryable, mode: 'lock' | 'lease', leaseSeconds: number): Promise<OutboxRow | null> {
  if (mode === 'lock') {
    return maybeOne<OutboxRow>(
      q,
      `SELECT ${COLUMNS} FROM email_outbox
       WHERE status = 'queued' AND next_attempt_at <= now()
       ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
    );
  }
  return maybeOne<OutboxRow>(
    q,
    `UPDATE email_outbox SET lease_until = now() + make_interval(secs => $1)
     WHERE id = (SELECT id FROM email_outbox
                 WHERE status = 'queued' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
                 ORDER BY next_attempt_at, id LIMIT 1)
     RETURNING ${COLUMNS}`,
    [leaseSeconds],
  );
}

export async function markSent(q: Queryable, id: string): Promise<OutboxRow> {
  return one<OutboxRow>(
    q,
    `UPDATE email_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL,
       lease_until = NULL, updated_at = now(), body = CASE WHEN sensitive THEN '(sent; not kept)' ELSE body END
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
}

/** A failed attempt: retried at `retryInSeconds`, or given up (`failed`) when null. */
export async function markAttemptFailed(
  q: Queryable,
  id: string,
  error: string,
  retryInSeconds: number | null,
): Promise<OutboxRow> {
  return one<OutboxRow>(
    q,
    `UPDATE email_outbox SET attempts = attempts + 1, last_error = $2, lease_until = NULL, updated_at = now(),
       status = CASE WHEN $3::int IS NULL THEN 'failed' ELSE 'queued' END,
       next_attempt_at = CASE WHEN $3::int IS NULL THEN next_attempt_at ELSE now() + make_interval(secs => $3::int) END,
       body = CASE WHEN $3::int IS NULL AND sensitive THEN '(not sent; not kept)' ELSE body END
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, error.slice(0, 1000), retryInSeconds],
  );
}

/** Puts a row back in the queue, due now (an administrator's "retry now"). */
export async function requeue(q: Queryable, id: string): Promise<OutboxRow | null> {
  return maybeOne<OutboxRow>(
    q,
    `UPDATE email_outbox SET status = 'queued', next_attempt_at = now(), lease_until = NULL, updated_at = now()
     WHERE id = $1 AND status <> 'sent' AND NOT (sensitive AND status = 'failed') RETURNING ${COLUMNS}`,
    [id],
  );
}

/** How many messages are in each state, and when the oldest queued one was queued (GET /email/status). */
export async function outboxSummary(
  q: Queryable,
): Promise<{ queued: number; sent: number; failed: number; oldestQueuedAt: Date | null }> {
  return one(
    q,
    `SELECT count(*) FILTER (WHERE status = 'queued') AS queued,
            count(*) FILTER (WHERE status = 'sent') AS sent,
            count(*) FILTER (WHERE status = 'failed') AS failed,
            min(created_at) FILTER (WHERE status = 'queued') AS "oldestQueuedAt"
     FROM email_outbox`,
  );
}

export async function findOutbox(q: Queryable, id: string): Promise<OutboxRow | null> {
  return maybeOne<OutboxRow>(q, `SELECT ${COLUMNS} FROM email_outbox WHERE id = $1`, [id]);
}

export async function outboxOfFollowUp(q: Queryable, followUpId: string): Promise<OutboxRow | null> {
  return maybeOne<OutboxRow>(
    q,
    `SELECT ${COLUMNS} FROM email_outbox WHERE follow_up_id = $1 ORDER BY created_at DESC LIMIT 1`,
    [followUpId],
  );
}

export async function listOutbox(
  q: Queryable,
  status: OutboxStatus | null,
  after: [string, string] | null,
  limit: number,
): Promise<(OutboxRow & { sort_key: string })[]> {
  const params: unknown[] = [limit];
  const where: string[] = [];
  if (status) {
    params.push(status);
    where.push(`status = $${params.length}`);
  }
  if (after) {
    params.push(after[0], after[1]);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  return q.query(
    `SELECT ${COLUMNS}, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sort_key
     FROM email_outbox ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
     ORDER BY created_at DESC, id DESC LIMIT $1`,
    params,
  );
}
