import type { Queryable } from '../../db/adapter.js';
import { capSql, recencyOrder, walkRecency, walkStatement, wordsMatch } from '../../db/word-frequencies.js';
import { maybeOne, one } from '../../db/adapter.js';
import { excerptSql, textQuery, tsQuerySql } from '../../formats/search-text.js';

/** The email module's SQL: the only code that touches email_messages, email_attachments and email_quarantine. */

interface MessageRow {
  id: string;
  direction: 'inbound' | 'outbound';
  dedupe_key: string;
  message_id: string | null;
  in_reply_to: string | null;
  reference_ids: string[];
  case_id: string | null;
  follow_up_id: string | null;
  from_address: string | null;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
  remote_images_blocked: boolean;
  envelope: Record<string, unknown>;
  created_at: Date;
}

const MESSAGE_COLUMNS = `id, direction, dedupe_key, message_id, in_reply_to, reference_ids, case_id, follow_up_id,
  from_address, subject, text_body, html_body, remote_images_blocked, envelope, created_at`;

interface NewMessage {
  direction: 'inbound' | 'outbound';
  dedupeKey: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  fromAddress: string | null;
  subject: string | null;
  textBody: string | null;
  htmlBody: string | null;
  remoteImagesBlocked: boolean;
  raw: Buffer | null;
  envelope: Record<string, unknown>;
}

/** Inserts a message unless one with its dedupe key exists; null means "already stored". */
export async function insertMessage(tx: Queryable, m: NewMessage): Promise<string | null> {
  const row = await maybeOne<{ id: string }>(
    tx,
    `INSERT INTO email_messages (direction, dedupe_key, message_id, in_reply_to, reference_ids, from_address, subject,
       text_body, html_body, remote_images_blocked, raw, envelope)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    [
      m.direction,
      m.dedupeKey,
      m.messageId,
      m.inReplyTo,
      m.references,
      m.fromAddress,
      m.subject,
      m.textBody,
      m.htmlBody,
      m.remoteImagesBlocked,
      m.raw,
      JSON.stringify(m.envelope),
    ],
  );
  return row?.id ?? null;
}

export async function linkMessage(
  tx: Queryable,
  id: string,
  caseId: string,
  followUpId: string,
  unverifiedSender = false,
): Promise<void> {
  await tx.query('UPDATE email_messages SET case_id = $2, follow_up_id = $3, unverified_sender = $4 WHERE id = $1', [
    id,
    caseId,
    followUpId,
    unverifiedSender,
  ]);
}

/**
 * Whether an address is already on a case's email thread: it sent a message
 * that was taken in as the customer's (not one flagged "unverified sender"),
 * or we sent one to it (To or CC).
 */
export async function addressOnThread(q: Queryable, caseId: string, address: string): Promise<boolean> {
  const rows = await q.query<{ yes: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM email_messages
        WHERE case_id = $1 AND direction = 'inbound' AND NOT unverified_sender AND lower(from_address) = lower($2)
     ) OR EXISTS (
       SELECT 1 FROM email_outbox o, unnest(o.to_addresses || o.cc_addresses) AS a(address)
        WHERE o.case_id = $1 AND lower(a.address) = lower($2)
     ) AS yes`,
    [caseId, address],
  );
  return rows[0]?.yes ?? false;
}

export async function setMessageRaw(q: Queryable, id: string, raw: Buffer): Promise<void> {
  await q.query('UPDATE email_messages SET raw = $2 WHERE id = $1', [id, raw]);
}

export async function findByDedupeKey(
  q: Queryable,
  key: string,
): Promise<{ id: string; case_id: string | null; follow_up_id: string | null } | null> {
  return maybeOne(q, 'SELECT id, case_id, follow_up_id FROM email_messages WHERE dedupe_key = $1', [key]);
}

/** The case of a message we sent or received with one of these Message-IDs, preferring the earliest in `ids`. */
export async function caseOfMessageIds(q: Queryable, ids: string[]): Promise<string | null> {
  if (ids.length === 0) return null;
  const rows = await q.query<{ message_id: string; case_id: string }>(
    `SELECT message_id, case_id FROM email_messages
     WHERE message_id = ANY($1::text[]) AND case_id IS NOT NULL LIMIT 100`,
    [ids],
  );
  for (const id of ids) {
    const hit = rows.find((r) => r.message_id === id);
    if (hit) return hit.case_id;
  }
  return null;
}

export async function messageOfFollowUp(q: Queryable, followUpId: string): Promise<MessageRow | null> {
  return maybeOne<MessageRow>(q, `SELECT ${MESSAGE_COLUMNS} FROM email_messages WHERE follow_up_id = $1`, [followUpId]);
}

export async function rawOfFollowUp(q: Queryable, followUpId: string): Promise<Buffer | null> {
  const row = await maybeOne<{ raw: Uint8Array | null }>(q, 'SELECT raw FROM email_messages WHERE follow_up_id = $1', [
    followUpId,
  ]);
  return row?.raw ? Buffer.from(row.raw) : null;
}

/** The thread of a case, newest last (bounded): for In-Reply-To and References of a reply. */
export async function caseThread(
  q: Queryable,
  caseId: string,
  limit = 20,
): Promise<{ message_id: string; direction: string }[]> {
  const rows = await q.query<{ message_id: string; direction: string }>(
    `SELECT message_id, direction FROM email_messages
     WHERE case_id = $1 AND message_id IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT $2`,
    [caseId, limit],
  );
  return rows.reverse();
}

// ---------------------------------------------------------------- attachments

interface AttachmentRow {
  id: string;
  message_id: string;
  case_id: string | null;
  follow_up_id: string | null;
  position: number;
  filename: string;
  content_type: string;
  content_id: string | null;
  inline: boolean;
  size: number;
  omitted: boolean;
}

export interface NewAttachment {
  id: string;
  position: number;
  filename: string;
  contentType: string;
  contentId: string | null;
  inline: boolean;
  size: number;
  content: Buffer | null;
}

export async function insertAttachments(tx: Queryable, messageId: string, list: NewAttachment[]): Promise<void> {
  for (const a of list) {
    await tx.query(
      `INSERT INTO email_attachments (id, message_id, position, filename, content_type, content_id, inline, size,
         omitted, content)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        a.id,
        messageId,
        a.position,
        a.filename,
        a.contentType,
        a.contentId,
        a.inline,
        a.size,
        a.content === null,
        a.content,
      ],
    );
  }
}

const ATTACHMENT_COLUMNS = `a.id, a.message_id, m.case_id, m.follow_up_id, a.position, a.filename, a.content_type,
  a.content_id, a.inline, a.size, a.omitted`;

export async function attachmentsOfMessage(q: Queryable, messageId: string): Promise<AttachmentRow[]> {
  return q.query<AttachmentRow>(
    `SELECT ${ATTACHMENT_COLUMNS} FROM email_attachments a JOIN email_messages m ON m.id = a.message_id
     WHERE a.message_id = $1 ORDER BY a.position`,
    [messageId],
  );
}

export async function findAttachment(q: Queryable, id: string): Promise<AttachmentRow | null> {
  return maybeOne<AttachmentRow>(
    q,
    `SELECT ${ATTACHMENT_COLUMNS} FROM email_attachments a JOIN email_messages m ON m.id = a.message_id
     WHERE a.id = $1`,
    [id],
  );
}

export async function attachmentContent(q: Queryable, id: string): Promise<Buffer | null> {
  const row = await maybeOne<{ content: Uint8Array | null }>(q, 'SELECT content FROM email_attachments WHERE id = $1', [
    id,
  ]);
  return row?.content ? Buffer.from(row.content) : null;
}

// ---------------------------------------------------------------- quarantine

export interface QuarantineRow {
  id: string;
  dedupe_key: string;
  reason: string;
  status: 'held' | 'resolved';
  source: 'smtp' | 'http';
  envelope: Record<string, unknown>;
  subject: string | null;
  from_address: string | null;
  size: number;
  deliveries: number;
  attempts: number;
  resolved_case_id: string | null;
  resolved_follow_up_id: string | null;
  received_at: Date;
  updated_at: Date;
}

const QUARANTINE_COLUMNS = `id, dedupe_key, reason, status, source, envelope, subject, from_address, size, deliveries,
  attempts, resolved_case_id, resolved_follow_up_id, received_at, updated_at`;

interface NewQuarantine {
  dedupeKey: string;
  reason: string;
  source: 'smtp' | 'http';
  envelope: Record<string, unknown>;
  subject: string | null;
  fromAddress: string | null;
  raw: Buffer;
}

/** Holds a message; a second delivery of the same message counts on the same row. */
export async function upsertQuarantine(q: Queryable, m: NewQuarantine): Promise<QuarantineRow> {
  return one<QuarantineRow>(
    q,
    `INSERT INTO email_quarantine (dedupe_key, reason, source, envelope, subject, from_address, size, raw)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (dedupe_key) DO UPDATE SET deliveries = email_quarantine.deliveries + 1, updated_at = now(),
       reason = CASE WHEN email_quarantine.status = 'held' THEN EXCLUDED.reason ELSE email_quarantine.reason END
     RETURNING ${QUARANTINE_COLUMNS}`,
    [
      m.dedupeKey,
      m.reason.slice(0, 2000),
      m.source,
      JSON.stringify(m.envelope),
      m.subject,
      m.fromAddress,
      m.raw.length,
      m.raw,
    ],
  );
}

export async function findQuarantine(q: Queryable, id: string): Promise<QuarantineRow | null> {
  return maybeOne<QuarantineRow>(q, `SELECT ${QUARANTINE_COLUMNS} FROM email_quarantine WHERE id = $1`, [id]);
}

export async function quarantineRaw(q: Queryable, id: string): Promise<Buffer | null> {
  const row = await maybeOne<{ raw: Uint8Array }>(q, 'SELECT raw FROM email_quarantine WHERE id = $1', [id]);
  return row ? Buffer.from(row.raw) : null;
}

export async function listQuarantine(
  q: Queryable,
  status: 'held' | 'resolved',
  after: [string, string] | null,
  limit: number,
): Promise<(QuarantineRow & { sort_key: string })[]> {
  const params: unknown[] = [status, limit];
  let where = 'status = $1';
  if (after) {
    params.push(after[0], after[1]);
    where += ' AND (received_at, id) < ($3::timestamptz, $4::uuid)';
  }
  return q.query(
    `SELECT ${QUARANTINE_COLUMNS},
       to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sort_key
     FROM email_quarantine WHERE ${where} ORDER BY received_at DESC, id DESC LIMIT $2`,
    params,
  );
}

export async function quarantineRetried(
  q: Queryable,
  id: string,
  outcome: { reason: string } | { caseId: string | null; followUpId: string | null },
): Promise<QuarantineRow> {
  if ('reason' in outcome) {
    return one<QuarantineRow>(
      q,
      `UPDATE email_quarantine SET attempts = attempts + 1, reason = $2, updated_at = now()
       WHERE id = $1 RETURNING ${QUARANTINE_COLUMNS}`,
      [id, outcome.reason.slice(0, 2000)],
    );
  }
  return one<QuarantineRow>(
    q,
    `UPDATE email_quarantine SET attempts = attempts + 1, status = 'resolved', resolved_case_id = $2,
       resolved_follow_up_id = $3, updated_at = now()
     WHERE id = $1 RETURNING ${QUARANTINE_COLUMNS}`,
    [id, outcome.caseId, outcome.followUpId],
  );
}

/**
 * The global search's email part: the newest `cap` stored messages on a case whose subject
 * or text body holds the words, the last one as a prefix (the stored `search` column and
 * its GIN index, migration 1570; newest first by email_messages_created_idx). The cases
 * module then keeps only those on cases (and follow-ups) the caller may see.
 */
export async function searchMessages(
  q: Queryable,
  text: string,
  words: string[],
  cap: number,
): Promise<{ caseId: string; followUpId: string | null; excerpt: string; at: Date }[]> {
  const doc = `coalesce(subject, '') || ' ' || coalesce(text_body, '')`;
  const query = textQuery(text);
  const walk = await walkRecency(q, { table: 'email_messages', column: 'search' }, query.words, cap, query.prefix);
  const order = recencyOrder(
    [
      { column: 'created_at', kind: 'time' },
      { column: 'id', kind: 'uuid' },
    ],
    walk,
  );
  const params: unknown[] = [words[0] ?? ''];
  const sql = `SELECT case_id, follow_up_id, ${excerptSql(doc, '$1')} AS excerpt, created_at FROM email_messages
     WHERE case_id IS NOT NULL AND ${wordsMatch('search', tsQuerySql('simple', query, params), walk)}
     ORDER BY ${order} LIMIT ${capSql(cap)}`;
  const rows = await q.query<{ case_id: string; follow_up_id: string | null; excerpt: string; created_at: Date }>(
    sql,
    params,
    walkStatement(sql, walk),
  );
  return rows.map((r) => ({ caseId: r.case_id, followUpId: r.follow_up_id, excerpt: r.excerpt, at: r.created_at }));
}
