import type { Queryable } from '../../db/adapter.js';
import type { TaskType } from './schema.js';

export type ReminderKindName = 'before' | 'overdue';
type ReminderState = 'pending' | 'fired' | 'dismissed' | 'cancelled';

interface ReminderRow {
  id: string;
  task_id: string;
  kind: ReminderKindName;
  user_id: string;
  scheduled_for: Date;
  fire_at: Date;
  state: ReminderState;
  fired_at: Date | null;
  fire_count: number;
  snooze_count: number;
  acknowledged_at: Date | null;
}

/** A reminder with what the console shows of its task. */
export interface ReminderWithTask extends ReminderRow {
  subject: string;
  type: TaskType;
  due_at: Date | null;
  customer_id: string;
  case_id: string | null;
}

const WITH_TASK = `r.*, t.subject, t.type, t.due_at, t.customer_id, t.case_id`;

export async function remindersOfTask(q: Queryable, taskId: string): Promise<ReminderRow[]> {
  return q.query<ReminderRow>('SELECT * FROM reminders WHERE task_id = $1 ORDER BY kind FOR UPDATE', [taskId]);
}

export async function insertReminder(
  q: Queryable,
  r: { taskId: string; kind: ReminderKindName; userId: string; at: Date },
): Promise<void> {
  await q.query(`INSERT INTO reminders (task_id, kind, user_id, scheduled_for, fire_at) VALUES ($1, $2, $3, $4, $4)`, [
    r.taskId,
    r.kind,
    r.userId,
    r.at,
  ]);
}

/** Puts a reminder back to pending for (possibly) another user and time. */
export async function reschedule(
  q: Queryable,
  id: string,
  r: { userId: string; scheduledFor: Date; fireAt: Date },
): Promise<void> {
  await q.query(
    `UPDATE reminders SET state = 'pending', user_id = $2, scheduled_for = $3, fire_at = $4, fired_at = NULL,
       acknowledged_at = NULL, updated_at = now()
     WHERE id = $1`,
    [id, r.userId, r.scheduledFor, r.fireAt],
  );
}

export async function setReminderUser(q: Queryable, id: string, userId: string): Promise<void> {
  await q.query('UPDATE reminders SET user_id = $2, updated_at = now() WHERE id = $1', [id, userId]);
}

export async function cancelReminder(q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE reminders SET state = 'cancelled', updated_at = now() WHERE id = $1`, [id]);
}

/** Whether any reminder is due at `now` (the Clock's): a cheap read that spares an idle poll its transaction. */
export async function anyDue(q: Queryable, now: Date): Promise<boolean> {
  const rows = await q.query(`SELECT 1 FROM reminders WHERE state = 'pending' AND fire_at <= $1 LIMIT 1`, [now]);
  return rows.length > 0;
}

/**
 * Claims up to `limit` due reminders and marks them fired, in the caller's
 * transaction. SKIP LOCKED: another process's claim is passed over, never
 * waited for or taken twice. A "before" reminder of a task that is already past
 * due is cancelled instead (the "overdue" reminder says it), as is anything of
 * a task no longer open. Returns the rows with their new state. `now` is the
 * Clock's (tests move it instead of waiting).
 */
export async function claimDue(q: Queryable, limit: number, now: Date): Promise<ReminderWithTask[]> {
  return q.query<ReminderWithTask>(
    `WITH due AS (
       SELECT id FROM reminders WHERE state = 'pending' AND fire_at <= $2::timestamptz
       ORDER BY fire_at LIMIT $1 FOR UPDATE SKIP LOCKED
     ), decided AS (
       SELECT r.id,
              CASE WHEN t.status <> 'open' THEN 'cancelled'
                   WHEN r.kind = 'before' AND t.due_at IS NOT NULL AND t.due_at <= $2::timestamptz THEN 'cancelled'
                   ELSE 'fired' END AS state
       FROM due JOIN reminders r ON r.id = due.id JOIN tasks t ON t.id = r.task_id
     ), upd AS (
       UPDATE reminders r SET state = d.state,
         fired_at = CASE WHEN d.state = 'fired' THEN $2::timestamptz ELSE r.fired_at END,
         fire_count = r.fire_count + CASE WHEN d.state = 'fired' THEN 1 ELSE 0 END,
         updated_at = now()
       FROM decided d WHERE r.id = d.id
       RETURNING r.*
     )
     SELECT ${WITH_TASK} FROM upd r JOIN tasks t ON t.id = r.task_id ORDER BY r.fire_at, r.id`,
    [limit, now],
  );
}

/** When a task's "overdue" reminder fires, its "before" reminder (shown or waiting) is superseded. */
export async function cancelBeforeReminders(
  q: Queryable,
  taskIds: string[],
): Promise<(ReminderRow & { previous_state: ReminderState })[]> {
  if (taskIds.length === 0) return [];
  return q.query<ReminderRow & { previous_state: ReminderState }>(
    `WITH old AS (
       SELECT id, state FROM reminders
       WHERE task_id = ANY($1::uuid[]) AND kind = 'before' AND state IN ('pending', 'fired') FOR UPDATE
     )
     UPDATE reminders r SET state = 'cancelled', updated_at = now() FROM old WHERE r.id = old.id
     RETURNING r.*, old.state AS previous_state`,
    [taskIds],
  );
}

/** The reminders a user has been shown and not yet dismissed or snoozed (oldest first, bounded). */
export async function activeReminders(q: Queryable, userId: string, limit: number): Promise<ReminderWithTask[]> {
  return q.query<ReminderWithTask>(
    `SELECT ${WITH_TASK} FROM reminders r JOIN tasks t ON t.id = r.task_id
     WHERE r.user_id = $1 AND r.state = 'fired' ORDER BY r.fired_at, r.id LIMIT $2`,
    [userId, limit],
  );
}

/** Snoozes the user's shown reminders of a task until `until`. */
export async function snoozeReminders(
  q: Queryable,
  taskId: string,
  userId: string,
  until: Date,
): Promise<ReminderWithTask[]> {
  return q.query<ReminderWithTask>(
    `WITH upd AS (
       UPDATE reminders SET state = 'pending', fire_at = $3, snooze_count = snooze_count + 1, updated_at = now()
       WHERE task_id = $1 AND user_id = $2 AND state = 'fired' RETURNING *
     )
     SELECT ${WITH_TASK} FROM upd r JOIN tasks t ON t.id = r.task_id ORDER BY r.kind`,
    [taskId, userId, until],
  );
}

export async function dismissReminders(q: Queryable, taskId: string, userId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `UPDATE reminders SET state = 'dismissed', acknowledged_at = now(), updated_at = now()
     WHERE task_id = $1 AND user_id = $2 AND state = 'fired' RETURNING id`,
    [taskId, userId],
  );
  return rows.map((r) => r.id);
}
