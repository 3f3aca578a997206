import type { Queryable } from '../../db/adapter.js';
import type { Notification, NotificationKind } from './schema.js';

/** The notifications module's SQL: the only code that touches `notifications`. */

interface NotificationRow {
  id: string;
  seq: number;
  user_id: string;
  kind: NotificationKind;
  record_type: string | null;
  record_id: string | null;
  title: string;
  payload: Record<string, unknown>;
  read_at: Date | null;
  created_at: Date;
}

const COLUMNS = 'id, seq, user_id, kind, record_type, record_id, title, payload, read_at, created_at';

export function toNotification(r: NotificationRow): Notification {
  return {
    id: r.id,
    kind: r.kind,
    recordType: r.record_type,
    recordId: r.record_id,
    title: r.title,
    payload: r.payload,
    readAt: r.read_at ? r.read_at.toISOString() : null,
    createdAt: r.created_at.toISOString(),
  };
}

export interface NewNotification {
  userId: string;
  kind: NotificationKind;
  recordType: string | null;
  recordId: string | null;
  title: string;
  payload: Record<string, unknown>;
}

export async function insertNotifications(tx: Queryable, items: NewNotification[]): Promise<NotificationRow[]> {
  if (items.length === 0) return [];
  return tx.query<NotificationRow>(
    `INSERT INTO notifications (user_id, kind, record_type, record_id, title, payload)
     SELECT x.user_id, x.kind, x.record_type, x.record_id, x.title, x.payload
     FROM jsonb_to_recordset($1::jsonb) AS x(user_id uuid, kind text, record_type text, record_id uuid, title text,
                                              payload jsonb)
     RETURNING ${COLUMNS}`,
    [
      JSON.stringify(
        items.map((i) => ({
          user_id: i.userId,
          kind: i.kind,
          record_type: i.recordType,
          record_id: i.recordId,
          title: i.title.length > 500 ? `${i.title.slice(0, 499)}…` : i.title,
          payload: i.payload,
        })),
      ),
    ],
  );
}

/** A page of a user's inbox, newest first, keyset on seq. */
export async function listNotifications(
  q: Queryable,
  userId: string,
  opts: { beforeSeq: number | null; unread: boolean; limit: number },
): Promise<NotificationRow[]> {
  return q.query<NotificationRow>(
    `SELECT ${COLUMNS} FROM notifications
     WHERE user_id = $1 AND ($2::bigint IS NULL OR seq < $2) AND (NOT $3 OR read_at IS NULL)
     ORDER BY seq DESC LIMIT $4`,
    [userId, opts.beforeSeq, opts.unread, opts.limit],
  );
}

export async function countUnread(q: Queryable, userId: string): Promise<number> {
  const rows = await q.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL',
    [userId],
  );
  return rows[0].n;
}

/** Marks one (id) or every unread notification of the user read; returns how many changed. */
export async function markRead(q: Queryable, userId: string, id: string | null): Promise<number> {
  const rows = await q.query<{ id: string }>(
    `UPDATE notifications SET read_at = now()
     WHERE user_id = $1 AND read_at IS NULL AND ($2::uuid IS NULL OR id = $2) RETURNING id`,
    [userId, id],
  );
  return rows.length;
}

export async function existsFor(q: Queryable, userId: string, id: string): Promise<boolean> {
  const rows = await q.query('SELECT 1 FROM notifications WHERE id = $1 AND user_id = $2', [id, userId]);
  return rows.length > 0;
}

/** The kinds each of these users also wants by email (users without a row want none). */
export async function emailKindsOf(q: Queryable, userIds: string[]): Promise<Map<string, NotificationKind[]>> {
  if (userIds.length === 0) return new Map();
  const rows = await q.query<{ user_id: string; kinds: NotificationKind[] }>(
    'SELECT user_id, kinds FROM notification_email_kinds WHERE user_id = ANY($1::uuid[])',
    [userIds],
  );
  return new Map(rows.map((r) => [r.user_id, r.kinds]));
}

export async function setEmailKinds(q: Queryable, userId: string, kinds: NotificationKind[]): Promise<void> {
  await q.query(
    `INSERT INTO notification_email_kinds (user_id, kinds) VALUES ($1, $2::text[])
     ON CONFLICT (user_id) DO UPDATE SET kinds = EXCLUDED.kinds, updated_at = now()`,
    [userId, kinds],
  );
}
