import { systemClock, type Clock } from '../../clock.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Conflict, Invalid, NotFound, type FieldError } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';
import { emitEvents, type NewEvent } from '../../events/outbox.js';
import { enqueueWebhook } from '../webhooks/outbox.js';
import { diffFields, listHistory, recordHistory, type HistoryEntry } from '../history/service.js';
import { validateCustomFields } from '../custom-fields/validate.js';
import { prepareCustomFieldFilters } from '../custom-fields/filters.js';
import type { UsersService } from '../users/service.js';
import { syncReminders } from './reminders.js';
import { DEFAULT_REMINDER_MINUTES, type Task, type TaskCreate, type TaskListQuery, type TaskPatch } from './schema.js';
import {
  deleteTask,
  getTask,
  insertTask,
  listTasks,
  moveTasksToCustomer,
  searchTasks,
  updateTask,
  type TaskFields,
  type TaskFilter,
  type TaskKey,
  type TaskRow,
} from './store.js';
import { dayBounds, isTimeZone } from './time.js';
import { snippetOf } from '../../formats/search-text.js';
import { fieldsOf, historyView, iso, toDate, toTask } from './mapping.js';

export { toTask };

/** How far in the future a "logged after the fact" completion time may be (clock skew). */
const COMPLETION_SKEW_MS = 5 * 60_000;

/**
 * What tasks need from the customers and cases modules, through their services.
 * Unset: the database's foreign key on customer_id still refuses unknown customers.
 */
export interface TaskReferences {
  customerExists?(id: string): Promise<boolean>;
  /** The customer of a case the actor may see; null when there is no such case (for them). */
  caseCustomer?(actor: Actor, id: string): Promise<string | null>;
}

export class TasksService {
  constructor(
    private readonly db: Db,
    private readonly users: UsersService,
    private readonly refs: TaskReferences = {},
    /** The current time (due views, overdue, reminders): tests pass a ManualClock. */
    private readonly clock: Clock = systemClock,
  ) {}

  async get(actor: Actor, id: string): Promise<Task> {
    requirePrivilege(actor, 'tasks.view');
    const row = isUuid(id) ? await getTask(this.db, id) : null;
    if (!row) throw new NotFound('Task');
    return toTask(row, this.clock.now());
  }

  /**
   * The global search's tasks group: tasks whose subject or notes hold the words, the
   * subject matches first, then newest first (store.searchTasks bounds the candidates).
   */
  async search(
    actor: Actor,
    query: { text: string; words: string[]; limit: number; cap: number },
  ): Promise<
    { id: string; subject: string; status: string; customerId: string; caseId: string | null; snippet: string }[]
  > {
    requirePrivilege(actor, 'tasks.view');
    const rows = await searchTasks(this.db, query.text, query.words, query.cap);
    const inSubject = (r: { subject: string }) => query.words.some((w) => r.subject.toLowerCase().includes(w));
    return rows
      .map((r, i) => ({ r, i, subject: inSubject(r) }))
      .sort((a, b) => Number(b.subject) - Number(a.subject) || a.i - b.i)
      .slice(0, query.limit)
      .map(({ r }) => ({
        id: r.id,
        subject: r.subject,
        status: r.status,
        customerId: r.customer_id,
        caseId: r.case_id,
        snippet: snippetOf(r.excerpt, query.words),
      }));
  }

  async list(actor: Actor, query: TaskListQuery, now = this.clock.now()): Promise<Page<Task>> {
    requirePrivilege(actor, 'tasks.view');
    const errors: FieldError[] = [];
    const idFilter = (value: string | undefined, field: string) => {
      if (value === undefined) return undefined;
      if (field === 'assigneeId' && value === 'me') return actor.userId ?? undefined;
      if (!isUuid(value)) errors.push({ field, message: field === 'assigneeId' ? 'a user id or "me"' : 'not an id' });
      return value;
    };
    const tz = query.tz ?? 'UTC';
    if (!isTimeZone(tz)) errors.push({ field: 'tz', message: 'not an IANA time zone' });
    const filter: TaskFilter = {
      assigneeId: idFilter(query.assigneeId, 'assigneeId'),
      customerId: idFilter(query.customerId, 'customerId'),
      caseId: idFilter(query.caseId, 'caseId'),
      statuses: query.status ? [query.status] : [],
      order: 'due',
      dueAtFrom: query.dueFrom,
      dueAtTo: query.dueTo,
      onTime: query.onTime,
    };
    if (errors.length) throw new Invalid(errors);
    const custom = await prepareCustomFieldFilters(this.db, 'task', query as Record<string, unknown>);
    if (custom) filter.custom = custom;
    if (query.due === 'done') {
      filter.statuses.push('done');
      filter.order = 'completed';
    } else if (query.due) {
      filter.statuses.push('open');
      const { start, end } = dayBounds(tz, now);
      if (query.due === 'today') Object.assign(filter, { dueFrom: start, dueBefore: end });
      if (query.due === 'overdue') filter.dueBefore = now;
      if (query.due === 'upcoming') filter.dueFrom = end;
    }
    const limit = query.limit ?? 50;
    let after: TaskKey | null = null;
    if (query.cursor) {
      const raw = decodeCursor(query.cursor, [filter.order === 'completed' ? 'date' : 'nullable-string', 'string']);
      const [at, id] = raw as [string | null, string];
      if ((at !== null && Number.isNaN(Date.parse(at))) || !isUuid(id)) {
        throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
      }
      after = [at, id];
    }
    const rows = await listTasks(this.db, filter, after, limit + 1);
    const key = (r: TaskRow) => (filter.order === 'completed' ? r.completed_at : r.due_at);
    return keysetPage(
      rows,
      limit,
      (last) => [iso(key(last)), last.id],
      (r) => toTask(r, now),
    );
  }

  /**
   * `tx`: inside another module's transaction (an interaction's follow-on
   * call). The references are then left to the caller, which checked them
   * through the services, and to the foreign keys (reads through other
   * services cannot run inside a transaction on PGlite's one connection).
   */
  async create(actor: Actor, input: TaskCreate, tx?: Queryable): Promise<Task> {
    requirePrivilege(actor, 'tasks.create');
    const now = this.clock.now();
    const dueAt = toDate(input.dueAt, 'dueAt');
    const status = input.status ?? 'open';
    let remindAt = toDate(input.remindAt, 'remindAt');
    if (input.remindAt === undefined && dueAt && status === 'open') {
      remindAt = new Date(dueAt.getTime() - DEFAULT_REMINDER_MINUTES * 60_000);
    }
    const fields: TaskFields = {
      type: input.type,
      subject: input.subject,
      notes: input.notes ?? null,
      customerId: input.customerId,
      caseId: input.caseId ?? null,
      assigneeId: input.assigneeId === undefined || input.assigneeId === 'me' ? (actor.userId ?? '') : input.assigneeId,
      dueAt,
      remindAt,
      status,
      outcome: input.outcome ?? null,
      completedAt: status === 'open' ? null : (toDate(input.completedAt, 'completedAt') ?? now),
      customFields: {},
    };
    if (status === 'open' && input.completedAt) {
      throw new Invalid([{ field: 'completedAt', message: 'only for a done or cancelled task' }]);
    }
    if (!tx) await this.checkReferences(actor, fields, null, now);
    return inTransaction(this.db, tx, async (tx) => {
      fields.customFields = await validateCustomFields(tx, 'task', input.customFields);
      const row = await insertTask(tx, fields, actor.userId);
      await recordHistory(tx, actor, {
        recordType: 'task',
        recordId: row.id,
        action: 'create',
        changes: diffFields({}, historyView(row)),
      });
      const events = await syncReminders(tx, row, now);
      events.push(...this.changeEvents(actor, row, null, 'create'));
      await emitEvents(tx, events);
      await enqueueWebhook(tx, 'task.created', toTask(row, now));
      return toTask(row, now);
    });
  }

  async update(
    actor: Actor,
    id: string,
    patch: TaskPatch,
    expectedVersion: number,
    now = this.clock.now(),
  ): Promise<Task> {
    requirePrivilege(actor, 'tasks.edit');
    if (!isUuid(id)) throw new NotFound('Task');
    const peek = await getTask(this.db, id);
    if (!peek) throw new NotFound('Task');
    // Reference checks outside the transaction (they read other modules); re-checked by the foreign keys.
    const probe = this.merge(actor, peek, patch, now);
    await this.checkReferences(actor, probe, peek, now);
    return this.db.transaction(async (tx) => {
      const before = await getTask(tx, id, true);
      if (!before) throw new NotFound('Task');
      if (before.version !== expectedVersion) throw Conflict.stale(toTask(before, now));
      const fields = this.merge(actor, before, patch, now);
      if (patch.customFields !== undefined) {
        fields.customFields = await validateCustomFields(tx, 'task', patch.customFields, before.custom_fields);
      }
      const after = await updateTask(tx, id, fields, actor.userId);
      const action = before.status !== after.status && after.status !== 'open' ? after.status : 'update';
      await recordHistory(tx, actor, {
        recordType: 'task',
        recordId: id,
        action: action === 'update' ? 'update' : action === 'done' ? 'complete' : 'cancel',
        changes: diffFields(historyView(before), historyView(after)),
      });
      const events = await syncReminders(tx, after, now);
      events.push(...this.changeEvents(actor, after, before, 'update'));
      await emitEvents(tx, events);
      await enqueueWebhook(tx, action === 'done' ? 'task.completed' : 'task.updated', toTask(after, now));
      return toTask(after, now);
    });
  }

  async delete(actor: Actor, id: string, expectedVersion: number | null): Promise<void> {
    requirePrivilege(actor, 'tasks.delete');
    if (!isUuid(id)) throw new NotFound('Task');
    await this.db.transaction(async (tx) => {
      const before = await getTask(tx, id, true);
      if (!before) throw new NotFound('Task');
      if (expectedVersion !== null && before.version !== expectedVersion)
        throw Conflict.stale(toTask(before, this.clock.now()));
      // Closing first takes any shown reminder down on the assignee's console.
      const events = await syncReminders(tx, { ...before, status: 'cancelled' }, this.clock.now());
      await deleteTask(tx, id);
      await recordHistory(tx, actor, {
        recordType: 'task',
        recordId: id,
        action: 'delete',
        changes: diffFields(historyView(before), {}),
      });
      events.push(...this.changeEvents(actor, before, null, 'delete'));
      await emitEvents(tx, events);
    });
  }

  async history(actor: Actor, id: string, page: { limit: number; cursor?: string }): Promise<Page<HistoryEntry>> {
    requirePrivilege(actor, 'tasks.view');
    if (!isUuid(id)) throw new NotFound('Task');
    const row = await getTask(this.db, id);
    // A deleted task's history stays readable (its last entry says who deleted it).
    if (!row) {
      const past = await listHistory(this.db, 'task', id, { limit: 1 });
      if (past.items.length === 0) throw new NotFound('Task');
    }
    return listHistory(this.db, 'task', id, page);
  }

  /**
   * For a customer merge, in its transaction: moves every task of one
   * customer to the other, with history and change events.
   */
  async moveToCustomer(actor: Actor, fromCustomerId: string, toCustomerId: string, tx?: Queryable): Promise<number> {
    requirePrivilege(actor, 'tasks.edit');
    return inTransaction(this.db, tx, async (tx) => {
      const ids = await moveTasksToCustomer(tx, fromCustomerId, toCustomerId);
      for (const id of ids) {
        await recordHistory(tx, actor, {
          recordType: 'task',
          recordId: id,
          action: 'update',
          changes: [{ field: 'customerId', from: fromCustomerId, to: toCustomerId }],
        });
      }
      await emitEvents(
        tx,
        ids.map((id) => ({
          type: 'record.changed' as const,
          recordType: 'task',
          recordId: id,
          requires: 'tasks.view' as const,
          payload: { action: 'update', by: actor.userId },
        })),
      );
      return ids.length;
    });
  }

  /** A PATCH applied to the stored task: the complete new state, with the reminder and completion rules. */
  private merge(actor: Actor, before: TaskRow, patch: TaskPatch, now: Date): TaskFields {
    const f = fieldsOf(before);
    if (patch.type !== undefined) f.type = patch.type;
    if (patch.subject !== undefined) f.subject = patch.subject;
    if (patch.notes !== undefined) f.notes = patch.notes;
    if (patch.customerId !== undefined) f.customerId = patch.customerId;
    if (patch.caseId !== undefined) f.caseId = patch.caseId;
    if (patch.assigneeId !== undefined)
      f.assigneeId = patch.assigneeId === 'me' ? (actor.userId ?? '') : patch.assigneeId;
    if (patch.outcome !== undefined) f.outcome = patch.outcome;
    if (patch.dueAt !== undefined) {
      f.dueAt = toDate(patch.dueAt, 'dueAt');
      if (patch.remindAt === undefined && f.dueAt && !sameInstant(f.dueAt, before.due_at)) {
        // Moving the due time moves the reminder with it (same lead); a task that had neither gets the default.
        if (before.due_at && before.remind_at) {
          f.remindAt = new Date(f.dueAt.getTime() - (before.due_at.getTime() - before.remind_at.getTime()));
        } else if (!before.due_at && !before.remind_at) {
          f.remindAt = new Date(f.dueAt.getTime() - DEFAULT_REMINDER_MINUTES * 60_000);
        }
      }
    }
    if (patch.remindAt !== undefined) f.remindAt = toDate(patch.remindAt, 'remindAt');
    if (patch.status !== undefined) f.status = patch.status;
    if (f.status === 'open') {
      if (patch.completedAt)
        throw new Invalid([{ field: 'completedAt', message: 'only for a done or cancelled task' }]);
      f.completedAt = null;
    } else if (patch.completedAt !== undefined && patch.completedAt !== null) {
      f.completedAt = toDate(patch.completedAt, 'completedAt');
    } else if (before.status !== f.status || !f.completedAt) {
      f.completedAt = now;
    }
    return f;
  }

  private async checkReferences(actor: Actor, f: TaskFields, before: TaskRow | null, now: Date): Promise<void> {
    const errors: FieldError[] = [];
    if (!isUuid(f.customerId)) errors.push({ field: 'customerId', message: 'no such customer' });
    else if (this.refs.customerExists && f.customerId !== before?.customer_id) {
      if (!(await this.refs.customerExists(f.customerId)))
        errors.push({ field: 'customerId', message: 'no such customer' });
    }
    if (f.caseId !== null) {
      if (!isUuid(f.caseId)) errors.push({ field: 'caseId', message: 'no such case' });
      else if (this.refs.caseCustomer && (f.caseId !== before?.case_id || f.customerId !== before?.customer_id)) {
        const owner = await this.refs.caseCustomer(actor, f.caseId);
        if (owner === null) errors.push({ field: 'caseId', message: 'no such case' });
        else if (owner !== f.customerId)
          errors.push({ field: 'caseId', message: "is not one of this customer's cases" });
      }
    }
    if (f.assigneeId !== before?.assignee_id) {
      const user = isUuid(f.assigneeId) ? await this.users.getIdentity(f.assigneeId) : null;
      if (!user || user.disabled) errors.push({ field: 'assigneeId', message: 'no such active user' });
    }
    if (f.completedAt && f.completedAt.getTime() > now.getTime() + COMPLETION_SKEW_MS) {
      errors.push({ field: 'completedAt', message: 'cannot be in the future' });
    }
    if (errors.length) throw new Invalid(errors);
  }

  /** A change every console showing the task refreshes on; an assignment pops for the new assignee. */
  private changeEvents(actor: Actor, row: TaskRow, before: TaskRow | null, action: string): NewEvent[] {
    const events: NewEvent[] = [
      {
        type: 'record.changed',
        recordType: 'task',
        recordId: row.id,
        requires: 'tasks.view',
        payload: { action, version: row.version, by: actor.userId },
      },
    ];
    const assigned = action !== 'delete' && row.status === 'open' && row.assignee_id !== before?.assignee_id;
    if (assigned && row.assignee_id !== actor.userId) {
      events.push({
        type: 'task.assigned',
        userId: row.assignee_id,
        recordType: 'task',
        recordId: row.id,
        requires: 'tasks.view',
        payload: { taskId: row.id, subject: row.subject, dueAt: iso(row.due_at), by: actor.name },
      });
    }
    return events;
  }
}

function sameInstant(a: Date | null, b: Date | null): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}
