import { isOverdue } from '../../formats/due.js';
import { Invalid } from '../../http/errors.js';
import type { Task } from './schema.js';
import type { TaskFields, TaskRow } from './store.js';

/** Row ↔ API shapes of a task, and the view its history of changes records. */

export const iso = (d: Date | null) => d?.toISOString() ?? null;

/** `now` is the caller's clock (ctx.clock): a task is overdue only once its due time has passed. */
export function toTask(r: TaskRow, now: Date): Task {
  return {
    id: r.id,
    type: r.type,
    subject: r.subject,
    notes: r.notes,
    customerId: r.customer_id,
    caseId: r.case_id,
    assigneeId: r.assignee_id,
    dueAt: iso(r.due_at),
    remindAt: iso(r.remind_at),
    status: r.status,
    outcome: r.outcome,
    completedAt: iso(r.completed_at),
    overdue: r.status === 'open' && r.due_at !== null && isOverdue(r.due_at, now),
    customFields: r.custom_fields,
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    createdBy: r.created_by,
    updatedBy: r.updated_by,
  };
}

/** The fields the history of changes shows. */
export function historyView(r: TaskRow | TaskFields): Record<string, unknown> {
  const f = 'customer_id' in r ? fieldsOf(r) : r;
  return {
    type: f.type,
    subject: f.subject,
    notes: f.notes,
    customerId: f.customerId,
    caseId: f.caseId,
    assigneeId: f.assigneeId,
    dueAt: iso(f.dueAt),
    remindAt: iso(f.remindAt),
    status: f.status,
    outcome: f.outcome,
    completedAt: iso(f.completedAt),
    customFields: f.customFields,
  };
}

export function fieldsOf(r: TaskRow): TaskFields {
  return {
    type: r.type,
    subject: r.subject,
    notes: r.notes,
    customerId: r.customer_id,
    caseId: r.case_id,
    assigneeId: r.assignee_id,
    dueAt: r.due_at,
    remindAt: r.remind_at,
    status: r.status,
    outcome: r.outcome,
    completedAt: r.completed_at,
    customFields: r.custom_fields,
  };
}

/** ISO text → Date at millisecond precision (what is stored, so cursors and comparisons are exact). */
export function toDate(value: string | null | undefined, field: string): Date | null {
  if (value === null || value === undefined) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new Invalid([{ field, message: 'not a valid time' }]);
  return d;
}
