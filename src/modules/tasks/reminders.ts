import { systemClock, type Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/adapter.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { emitEvent, emitEvents, type NewEvent } from '../../events/outbox.js';
import {
  activeReminders,
  anyDue,
  cancelBeforeReminders,
  cancelReminder,
  claimDue,
  dismissReminders,
  insertReminder,
  remindersOfTask,
  reschedule,
  setReminderUser,
  snoozeReminders,
  type ReminderKindName,
  type ReminderWithTask,
} from './reminder-store.js';
import type { ActiveReminder, Snooze } from './schema.js';
import { getTask, type TaskRow } from './store.js';

/** Reminders claimed per transaction, and transactions per poll at most (then the next poll goes on). */
const CLAIM_BATCH = 200;
const MAX_BATCHES_PER_POLL = 50;
/** At most this many shown reminders are listed for one user. */
export const ACTIVE_LIMIT = 200;
const MAX_SNOOZE_MS = 366 * 24 * 3600_000;

/** The event a console pops; `fireAt` is when it was due (a late delivery still shows the right time). */
function reminderEvent(r: ReminderWithTask): NewEvent {
  return {
    type: 'reminder',
    userId: r.user_id,
    recordType: 'task',
    recordId: r.task_id,
    requires: 'tasks.view',
    payload: {
      reminderId: r.id,
      taskId: r.task_id,
      kind: r.kind,
      fireAt: r.fire_at.toISOString(),
      subject: r.subject,
      taskType: r.type,
      dueAt: r.due_at?.toISOString() ?? null,
      customerId: r.customer_id,
      caseId: r.case_id,
    },
  };
}

/** Tells the user's consoles to take a reminder popup down (dismissed, snoozed elsewhere, task closed). */
function clearedEvent(
  userId: string,
  taskId: string,
  reminderIds: string[],
  reason: 'dismissed' | 'snoozed' | 'cancelled' | 'reassigned',
  extra: Record<string, unknown> = {},
): NewEvent {
  return {
    type: 'reminder.cleared',
    userId,
    recordType: 'task',
    recordId: taskId,
    requires: 'tasks.view',
    payload: { taskId, reminderIds, reason, ...extra },
  };
}

function toActiveReminder(r: ReminderWithTask): ActiveReminder {
  return {
    id: r.id,
    taskId: r.task_id,
    kind: r.kind,
    state: r.state,
    firedAt: r.fired_at?.toISOString() ?? null,
    fireAt: r.fire_at.toISOString(),
    subject: r.subject,
    taskType: r.type,
    dueAt: r.due_at?.toISOString() ?? null,
    customerId: r.customer_id,
    caseId: r.case_id,
  };
}

const sameTime = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

/**
 * Brings a task's reminder rows in line with the task, in the task's transaction.
 * - open, remind_at set → a "before" reminder at remind_at (not created when the
 *   task is already past due: the "overdue" one says it);
 * - open, due_at set → an "overdue" reminder at due_at;
 * - a changed time re-arms the reminder; a new assignee takes it over (a shown one
 *   is shown to them afresh); a closed task cancels them all.
 * Returns the events to emit (popups to take down).
 */
export async function syncReminders(tx: Queryable, task: TaskRow, now = new Date()): Promise<NewEvent[]> {
  const rows = await remindersOfTask(tx, task.id);
  const events: NewEvent[] = [];
  const open = task.status === 'open';
  const wanted: Record<ReminderKindName, Date | null> = {
    before: open ? task.remind_at : null,
    overdue: open ? task.due_at : null,
  };
  const pastDue = task.due_at !== null && task.due_at.getTime() <= now.getTime();
  for (const kind of ['before', 'overdue'] as const) {
    const at = wanted[kind];
    const row = rows.find((r) => r.kind === kind);
    const live = row !== undefined && (row.state === 'pending' || row.state === 'fired');
    const shown = row?.state === 'fired';
    if (!at) {
      if (row && live) await cancelReminder(tx, row.id);
      if (row && shown) events.push(clearedEvent(row.user_id, task.id, [row.id], 'cancelled'));
      continue;
    }
    // A new time, or a reopened task, arms the reminder again.
    if (!row || row.state === 'cancelled' || !sameTime(row.scheduled_for, at)) {
      const pointless = kind === 'before' && pastDue;
      if (!row) {
        if (!pointless) await insertReminder(tx, { taskId: task.id, kind, userId: task.assignee_id, at });
      } else if (pointless) {
        if (live) await cancelReminder(tx, row.id);
      } else {
        await reschedule(tx, row.id, { userId: task.assignee_id, scheduledFor: at, fireAt: at });
      }
      if (row && shown) events.push(clearedEvent(row.user_id, task.id, [row.id], 'cancelled'));
      continue;
    }
    if (row.user_id !== task.assignee_id) {
      if (shown) {
        // Shown to the previous assignee: take it down there and show it to the new one now.
        await reschedule(tx, row.id, { userId: task.assignee_id, scheduledFor: at, fireAt: now });
        events.push(clearedEvent(row.user_id, task.id, [row.id], 'reassigned'));
      } else {
        await setReminderUser(tx, row.id, task.assignee_id);
      }
    }
  }
  return events;
}

export class RemindersService {
  constructor(
    private readonly db: Db,
    /** The current time for what is due and for snoozes: tests pass a ManualClock and move it. */
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Set by services.ts to the work notices flow (src/flows/work-notices.ts):
   * called with each batch of reminders that fired, in the transaction that fired them.
   */
  onFired: ((fired: (ActiveReminder & { userId: string })[], tx: Queryable) => Promise<void>) | null = null;

  /**
   * The poller every server process runs: claims due reminders in batches,
   * marks them fired and writes their events in the same transaction, so each
   * fires exactly once however many processes poll, and one that fell due
   * while no server ran fires at the next start. Returns how many fired.
   */
  async fireDue(): Promise<number> {
    let fired = 0;
    const now = this.clock.now();
    if (!(await anyDue(this.db, now))) return 0;
    for (let i = 0; i < MAX_BATCHES_PER_POLL; i++) {
      const claimed = await this.db.transaction(async (tx) => {
        const rows = await claimDue(tx, CLAIM_BATCH, now);
        const firing = rows.filter((r) => r.state === 'fired');
        const superseded = await cancelBeforeReminders(
          tx,
          firing.filter((r) => r.kind === 'overdue').map((r) => r.task_id),
        );
        const events = firing.map(reminderEvent);
        for (const s of superseded) {
          if (s.previous_state === 'fired') events.push(clearedEvent(s.user_id, s.task_id, [s.id], 'cancelled'));
        }
        await emitEvents(tx, events);
        if (this.onFired && firing.length > 0) {
          await this.onFired(
            firing.map((r) => ({ ...toActiveReminder(r), userId: r.user_id })),
            tx,
          );
        }
        fired += firing.length;
        return rows.length;
      });
      if (claimed < CLAIM_BATCH) break;
    }
    return fired;
  }

  /** The reminders shown to me and not yet dismissed or snoozed: the console loads them at start. */
  async active(actor: Actor): Promise<ActiveReminder[]> {
    requirePrivilege(actor, 'tasks.view');
    if (!actor.userId) return [];
    return (await activeReminders(this.db, actor.userId, ACTIVE_LIMIT)).map(toActiveReminder);
  }

  /** Snoozes my shown reminder(s) of a task for some minutes or until a time. */
  async snooze(actor: Actor, taskId: string, input: Snooze, now = this.clock.now()): Promise<ActiveReminder[]> {
    requirePrivilege(actor, 'tasks.view');
    if ((input.minutes === undefined) === (input.until === undefined)) {
      throw new Invalid([{ field: 'minutes', message: 'send either minutes or until' }]);
    }
    const until =
      input.minutes !== undefined ? new Date(now.getTime() + input.minutes * 60_000) : new Date(input.until!);
    if (Number.isNaN(until.getTime()) || until.getTime() <= now.getTime()) {
      throw new Invalid([{ field: 'until', message: 'must be in the future' }]);
    }
    if (until.getTime() - now.getTime() > MAX_SNOOZE_MS) {
      throw new Invalid([{ field: 'until', message: 'must be within a year' }]);
    }
    return this.db.transaction(async (tx) => {
      await this.visibleTask(tx, taskId);
      const rows = await snoozeReminders(tx, taskId, actor.userId ?? '', until);
      if (rows.length === 0) throw new NotFound('An active reminder of this task');
      await emitEvent(
        tx,
        clearedEvent(
          actor.userId!,
          taskId,
          rows.map((r) => r.id),
          'snoozed',
          { until: until.toISOString() },
        ),
      );
      return rows.map(toActiveReminder);
    });
  }

  /** Dismisses my shown reminder(s) of a task. Dismissing twice is harmless (another console did it first). */
  async dismiss(actor: Actor, taskId: string): Promise<void> {
    requirePrivilege(actor, 'tasks.view');
    await this.db.transaction(async (tx) => {
      await this.visibleTask(tx, taskId);
      const ids = await dismissReminders(tx, taskId, actor.userId ?? '');
      if (ids.length > 0) await emitEvent(tx, clearedEvent(actor.userId!, taskId, ids, 'dismissed'));
    });
  }

  private async visibleTask(tx: Queryable, taskId: string): Promise<TaskRow> {
    const task = isUuid(taskId) ? await getTask(tx, taskId) : null;
    if (!task) throw new NotFound('Task');
    return task;
  }
}
