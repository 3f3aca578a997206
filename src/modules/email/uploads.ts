import type { Queryable } from '../../db/adapter.js';
import { maybeOne } from '../../db/adapter.js';
import { AppError, Invalid } from '../../http/errors.js';

/**
 * Files staff attach to a new follow-up (an internal note or an email reply):
 * the SQL of email_uploads (migration 1480), file-name cleaning, the size
 * limits and the virus-scan seam. An upload is pending for its uploader and
 * case until a follow-up takes it (in that follow-up's transaction) or it
 * expires.
 */

/** How long an upload waits for its follow-up before it is deleted. */
const PENDING_UPLOAD_HOURS = 24;
/** Files one follow-up may carry. */
export const MAX_FILES_PER_MESSAGE = 20;

/** One uploaded file, as the virus scanner sees it. */
interface ScannedFile {
  filename: string;
  contentType: string;
  content: Buffer;
}

/**
 * The virus-scan seam (docs/email-and-support-center.md, "Attachments on
 * notes and replies"): every uploaded file passes through `scan` before it is
 * stored. Answer null to keep the file, or a short reason (shown to the agent:
 * "… was refused by the virus scanner: <reason>") to refuse it; throwing
 * refuses it too, with a generic reason. The default keeps everything.
 */
export interface AttachmentScanner {
  scan(file: ScannedFile): Promise<string | null>;
}

export const noScanner: AttachmentScanner = { scan: async () => null };

/** 413 naming the file in plain words. */
export class FileTooLarge extends AppError {
  constructor(detail: string, field = 'file') {
    super(413, 'Payload Too Large', detail, { errors: [{ field, message: detail }] });
  }
}

/** 422: the scanner refused a file. */
export class FileRefused extends AppError {
  constructor(filename: string, reason: string) {
    const detail = `"${filename}" was refused by the virus scanner: ${reason}`;
    super(422, 'File refused', detail, { errors: [{ field: 'file', message: detail }] });
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KB`;
  return `${n} bytes`;
}

/**
 * A file name safe to store, show and send: the last path segment, without
 * control, bidi-override and reserved characters, no leading dots, at most 200
 * characters (keeping the extension).
 */
export function cleanFilename(name: string | undefined | null): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  let s = base
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f"<>:|?*\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '');
  if (s.length > 200) {
    const dot = s.lastIndexOf('.');
    const ext = dot > 0 && s.length - dot <= 16 ? s.slice(dot) : '';
    s = s.slice(0, 200 - ext.length) + ext;
  }
  return s || 'attachment';
}

/** The declared content type when it looks like one, else application/octet-stream. */
export function cleanContentType(type: string | undefined | null): string {
  const t = (type ?? '').trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(t) ? t : 'application/octet-stream';
}

export interface UploadRow {
  id: string;
  case_id: string;
  follow_up_id: string | null;
  uploaded_by: string;
  position: number;
  filename: string;
  content_type: string;
  size: number;
  created_at: Date;
  expires_at: Date | null;
}

const COLUMNS =
  'id, case_id, follow_up_id, uploaded_by, position, filename, content_type, size, created_at, expires_at';

export async function insertUpload(
  q: Queryable,
  u: { caseId: string; uploadedBy: string; filename: string; contentType: string; content: Buffer },
  now: Date,
): Promise<UploadRow> {
  const rows = await q.query<UploadRow>(
    `INSERT INTO email_uploads (case_id, uploaded_by, filename, content_type, size, content, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [
      u.caseId,
      u.uploadedBy,
      u.filename,
      u.contentType,
      u.content.length,
      u.content,
      now,
      new Date(now.getTime() + PENDING_UPLOAD_HOURS * 3600_000),
    ],
  );
  return rows[0];
}

/** Deletes pending uploads past their expiry; returns how many. */
export async function deleteExpiredUploads(q: Queryable, now: Date): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `WITH gone AS (DELETE FROM email_uploads WHERE follow_up_id IS NULL AND expires_at <= $1 RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [now],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Gives a follow-up the uploader's pending uploads `ids` (in that order), in
 * the follow-up's transaction. Every id must be a pending, unexpired upload of
 * this user on this case; otherwise nothing is taken (400 naming attachmentIds).
 */
export async function takeUploads(
  tx: Queryable,
  p: { caseId: string; followUpId: string; userId: string; ids: string[]; maxTotalBytes: number },
  now: Date,
): Promise<UploadRow[]> {
  const ids = [...new Set(p.ids)];
  if (ids.length > MAX_FILES_PER_MESSAGE) {
    throw new Invalid([
      { field: 'attachmentIds', message: `a message can carry at most ${MAX_FILES_PER_MESSAGE} files` },
    ]);
  }
  const rows = await tx.query<UploadRow>(
    `UPDATE email_uploads u SET follow_up_id = $2, expires_at = NULL, position = o.n
       FROM unnest($4::uuid[]) WITH ORDINALITY AS o(id, n)
      WHERE u.id = o.id AND u.case_id = $1 AND u.uploaded_by = $3 AND u.follow_up_id IS NULL AND u.expires_at > $5
     RETURNING u.id, u.case_id, u.follow_up_id, u.uploaded_by, u.position, u.filename, u.content_type, u.size,
       u.created_at, u.expires_at`,
    [p.caseId, p.followUpId, p.userId, ids, now],
  );
  if (rows.length !== ids.length) {
    throw new Invalid([
      {
        field: 'attachmentIds',
        message: 'an attached file is unknown, expired or already sent with another message: attach it again',
      },
    ]);
  }
  const total = rows.reduce((n, r) => n + Number(r.size), 0);
  if (total > p.maxTotalBytes) {
    throw new FileTooLarge(
      `The attached files come to ${formatBytes(total)}; one message can carry at most ${formatBytes(p.maxTotalBytes)}.`,
      'attachmentIds',
    );
  }
  return rows.sort((a, b) => a.position - b.position);
}

/** The uploader's pending uploads on a case (for the per-message total of a new upload). */
export async function pendingBytes(q: Queryable, caseId: string, userId: string, now: Date): Promise<number> {
  const row = await maybeOne<{ n: number }>(
    q,
    `SELECT coalesce(sum(size), 0)::int8 AS n FROM email_uploads
      WHERE case_id = $1 AND uploaded_by = $2 AND follow_up_id IS NULL AND expires_at > $3`,
    [caseId, userId, now],
  );
  return Number(row?.n ?? 0);
}

export async function uploadsOfFollowUps(q: Queryable, followUpIds: string[]): Promise<UploadRow[]> {
  if (followUpIds.length === 0) return [];
  return q.query<UploadRow>(
    `SELECT ${COLUMNS} FROM email_uploads WHERE follow_up_id = ANY($1::uuid[]) ORDER BY follow_up_id, position`,
    [followUpIds],
  );
}

export async function uploadsOfCase(q: Queryable, caseId: string): Promise<UploadRow[]> {
  return q.query<UploadRow>(
    `SELECT ${COLUMNS} FROM email_uploads WHERE case_id = $1 AND follow_up_id IS NOT NULL
      ORDER BY created_at, position LIMIT 2000`,
    [caseId],
  );
}

export async function findUpload(q: Queryable, id: string): Promise<UploadRow | null> {
  return maybeOne<UploadRow>(q, `SELECT ${COLUMNS} FROM email_uploads WHERE id = $1`, [id]);
}

export async function uploadContent(q: Queryable, id: string): Promise<Buffer | null> {
  const row = await maybeOne<{ content: Uint8Array }>(q, 'SELECT content FROM email_uploads WHERE id = $1', [id]);
  return row ? Buffer.from(row.content) : null;
}

/** The files of a reply, with their content, for its MIME message. */
export async function uploadFilesOfFollowUp(
  q: Queryable,
  followUpId: string,
): Promise<{ filename: string; content_type: string; content: Uint8Array }[]> {
  return q.query(
    'SELECT filename, content_type, content FROM email_uploads WHERE follow_up_id = $1 ORDER BY position',
    [followUpId],
  );
}
