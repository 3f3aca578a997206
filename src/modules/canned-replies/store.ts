import type { Queryable } from '../../db/adapter.js';
import type { CannedReply } from './schema.js';

export interface CannedReplyRow {
  id: string;
  owner_id: string | null;
  title: string;
  body: string;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const COLUMNS = 'id, owner_id, title, body, created_at, updated_at, version';

export function toCannedReply(r: CannedReplyRow): CannedReply {
  return {
    id: r.id,
    title: r.title,
    body: r.body,
    shared: r.owner_id === null,
    ownerId: r.owner_id,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
  };
}

/** The shared replies and, when userId is given, that user's own; shared first, then by title. */
export async function listReplies(
  q: Queryable,
  userId: string | null,
  scope: 'all' | 'shared' | 'personal',
): Promise<CannedReplyRow[]> {
  const where =
    scope === 'shared'
      ? 'owner_id IS NULL'
      : scope === 'personal'
        ? 'owner_id = $1'
        : '(owner_id IS NULL OR owner_id = $1)';
  return q.query<CannedReplyRow>(
    `SELECT ${COLUMNS} FROM canned_replies WHERE ${where}
      ORDER BY owner_id IS NOT NULL, lower(title), id LIMIT 1000`,
    scope === 'shared' ? [] : [userId],
  );
}

export async function findReply(q: Queryable, id: string, lock = false): Promise<CannedReplyRow | null> {
  const rows = await q.query<CannedReplyRow>(
    `SELECT ${COLUMNS} FROM canned_replies WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function insertReply(
  q: Queryable,
  r: { ownerId: string | null; title: string; body: string; by: string | null; now: Date },
): Promise<CannedReplyRow> {
  const rows = await q.query<CannedReplyRow>(
    `INSERT INTO canned_replies (owner_id, title, body, created_by, updated_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $4, $5, $5) RETURNING ${COLUMNS}`,
    [r.ownerId, r.title, r.body, r.by, r.now],
  );
  return rows[0];
}

export async function updateReply(
  q: Queryable,
  id: string,
  r: { title: string; body: string; by: string | null; now: Date },
): Promise<CannedReplyRow> {
  const rows = await q.query<CannedReplyRow>(
    `UPDATE canned_replies SET title = $2, body = $3, updated_by = $4, updated_at = $5, version = version + 1
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, r.title, r.body, r.by, r.now],
  );
  return rows[0];
}

export async function deleteReply(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM canned_replies WHERE id = $1', [id]);
}
