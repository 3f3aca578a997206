import { maybeOne, one, type Queryable } from '../../db/adapter.js';
import { capSql, recencyOrder, walkRecency, walkStatement, wordsMatch } from '../../db/word-frequencies.js';
import type { PreparedCondition } from '../custom-fields/filters.js';
import type { TaskStatus, TaskType } from './schema.js';
import { excerptSql, textQuery, tsQuerySql } from '../../formats/search-text.js';

/** The tasks table as stored. Timestamps are kept to the millisecond, so cursors round-trip exactly. */
export interface TaskRow {
  id: string;
  type: TaskType;
  subject: string;
  notes: string | null;
  customer_id: string;
  case_id: string | null;
  assignee_id: string;
  due_at: Date | null;
  remind_at: Date | null;
  status: TaskStatus;
  outcome: string | null;
  completed_at: Date | null;
  custom_fields: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
  created_by: string | null;
  updated_by: string | null;
}

/** Everything a command sets on a task (the service merges a PATCH into this). */
export interface TaskFields {
  type: TaskType;
  subject: string;
  notes: string | null;
  customerId: string;
  caseId: string | null;
  assigneeId: string;
  dueAt: Date | null;
  remindAt: Date | null;
  status: TaskStatus;
  outcome: string | null;
  completedAt: Date | null;
  customFields: Record<string, unknown>;
}

const NOW_MS = `date_trunc('milliseconds', now())`;

/**
 * The columns of TaskRow, read instead of `*`: the table also keeps the search's word list
 * (`search`, migration 1670), which no task read needs.
 */
const TASK_COLUMNS = `id, type, subject, notes, customer_id, case_id, assignee_id, due_at, remind_at, status, outcome,
  completed_at, custom_fields, version, created_at, updated_at, created_by, updated_by`;

function params(f: TaskFields): unknown[] {
  return [
    f.type,
    f.subject,
    f.notes,
    f.customerId,
    f.caseId,
    f.assigneeId,
    f.dueAt,
    f.remindAt,
    f.status,
    f.outcome,
    f.completedAt,
    JSON.stringify(f.customFields),
  ];
}

export async function insertTask(q: Queryable, f: TaskFields, actorId: string | null): Promise<TaskRow> {
  return one<TaskRow>(
    q,
    `INSERT INTO tasks (type, subject, notes, customer_id, case_id, assignee_id, due_at, remind_at, status, outcome,
                        completed_at, custom_fields, created_by, updated_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, ${NOW_MS}, ${NOW_MS})
     RETURNING ${TASK_COLUMNS}`,
    [...params(f), actorId],
  );
}

export async function updateTask(q: Queryable, id: string, f: TaskFields, actorId: string | null): Promise<TaskRow> {
  return one<TaskRow>(
    q,
    `UPDATE tasks SET type = $2, subject = $3, notes = $4, customer_id = $5, case_id = $6, assignee_id = $7,
       due_at = $8, remind_at = $9, status = $10, outcome = $11, completed_at = $12, custom_fields = $13,
       updated_by = $14, updated_at = ${NOW_MS}, version = version + 1
     WHERE id = $1 RETURNING ${TASK_COLUMNS}`,
    [id, ...params(f), actorId],
  );
}

export async function getTask(q: Queryable, id: string, lock = false): Promise<TaskRow | null> {
  return maybeOne<TaskRow>(q, `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
}

export async function deleteTask(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM tasks WHERE id = $1', [id]);
}

/** Moves every task of one customer to another (merging duplicates). Returns the ids moved. */
export async function moveTasksToCustomer(q: Queryable, fromId: string, toId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `UPDATE tasks SET customer_id = $2, version = version + 1, updated_at = ${NOW_MS}
     WHERE customer_id = $1 RETURNING id`,
    [fromId, toId],
  );
  return rows.map((r) => r.id);
}

export interface TaskFilter {
  assigneeId?: string;
  statuses: TaskStatus[];
  customerId?: string;
  caseId?: string;
  /** due_at >= dueFrom */
  dueFrom?: Date;
  /** due_at < dueBefore */
  dueBefore?: Date;
  /** Explicit due range (the report's click-through): due_at >= dueAtFrom, due_at < dueAtTo. */
  dueAtFrom?: string;
  dueAtTo?: string;
  /** Done tasks only: completed no later than (true) or after (false) their due time. */
  onTime?: boolean;
  /** 'due': by due time, soonest first, no due time last; 'completed': most recently completed first. */
  order: 'due' | 'completed';
  /** Custom field filters (cf.*), rendered with this query's placeholders. */
  custom?: PreparedCondition;
}

/** A keyset position: [due or completion time as ISO (or null), id]. */
export type TaskKey = [string | null, string];

/** The WHERE conditions of a task filter (the list's, and the reports' over the same definitions). */
export function taskConditions(filter: Omit<TaskFilter, 'order'>, arg: (v: unknown) => string): string[] {
  const conds: string[] = [];
  if (filter.assigneeId) conds.push(`assignee_id = ${arg(filter.assigneeId)}`);
  for (const s of filter.statuses) conds.push(`status = ${arg(s)}`);
  if (filter.customerId) conds.push(`customer_id = ${arg(filter.customerId)}`);
  if (filter.caseId) conds.push(`case_id = ${arg(filter.caseId)}`);
  if (filter.dueFrom) conds.push(`due_at >= ${arg(filter.dueFrom)}`);
  if (filter.dueBefore) conds.push(`due_at < ${arg(filter.dueBefore)}`);
  if (filter.dueAtFrom) conds.push(`due_at >= ${arg(filter.dueAtFrom)}::timestamptz`);
  if (filter.dueAtTo) conds.push(`due_at < ${arg(filter.dueAtTo)}::timestamptz`);
  if (filter.onTime !== undefined) {
    conds.push(`status = 'done' AND completed_at ${filter.onTime ? '<=' : '>'} due_at`);
  }
  if (filter.custom) conds.push(filter.custom.render(arg));
  return conds;
}

/**
 * One page of tasks. Each branch is a range scan on an index in the sort order
 * (never OFFSET): the "due" order continues among dated tasks, then the undated.
 */
export async function listTasks(
  q: Queryable,
  filter: TaskFilter,
  after: TaskKey | null,
  limit: number,
): Promise<TaskRow[]> {
  const args: unknown[] = [];
  const arg = (v: unknown) => {
    args.push(v);
    return `$${args.length}`;
  };
  const conds = taskConditions(filter, arg);
  const where = (extra: string[]) => {
    const all = [...conds, ...extra];
    return all.length ? `WHERE ${all.join(' AND ')}` : '';
  };
  const n = arg(limit);

  if (filter.order === 'completed') {
    const extra = after ? [`(completed_at, id) < (${arg(after[0])}::timestamptz, ${arg(after[1])}::uuid)`] : [];
    return q.query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM tasks ${where(['completed_at IS NOT NULL', ...extra])} ORDER BY completed_at DESC, id DESC LIMIT ${n}`,
      args,
    );
  }
  if (!after) {
    return q.query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM tasks ${where([])} ORDER BY due_at ASC NULLS LAST, id ASC LIMIT ${n}`,
      args,
    );
  }
  if (after[0] === null) {
    return q.query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM tasks ${where(['due_at IS NULL', `id > ${arg(after[1])}::uuid`])} ORDER BY id ASC LIMIT ${n}`,
      args,
    );
  }
  const dated = where([`(due_at, id) > (${arg(after[0])}::timestamptz, ${arg(after[1])}::uuid)`]);
  const undated = where(['due_at IS NULL']);
  return q.query<TaskRow>(
    `SELECT * FROM (
       (SELECT ${TASK_COLUMNS} FROM tasks ${dated} ORDER BY due_at ASC, id ASC LIMIT ${n})
       UNION ALL
       (SELECT ${TASK_COLUMNS} FROM tasks ${undated} ORDER BY id ASC LIMIT ${n})
     ) page ORDER BY due_at ASC NULLS LAST, id ASC LIMIT ${n}`,
    args,
  );
}

/**
 * The global search's tasks part: the newest `cap` tasks whose subject or notes hold the
 * words, the last one as a prefix (their stored words `tasks.search` and its GIN index,
 * migration 1670; tasks_created_idx), with a bounded excerpt.
 */
export async function searchTasks(
  q: Queryable,
  text: string,
  words: string[],
  cap: number,
): Promise<(TaskRow & { excerpt: string })[]> {
  const query = textQuery(text);
  const walk = await walkRecency(q, { table: 'tasks', column: 'search' }, query.words, cap, query.prefix);
  const order = recencyOrder(
    [
      { column: 'created_at', kind: 'time' },
      { column: 'id', kind: 'uuid' },
    ],
    walk,
  );
  const params: unknown[] = [words[0] ?? ''];
  const sql = `SELECT id, type, subject, customer_id, case_id, status, due_at, created_at,
       ${excerptSql(`coalesce(notes, '')`, '$1')} AS excerpt
     FROM tasks WHERE ${wordsMatch('search', tsQuerySql('simple', query, params), walk)}
     ORDER BY ${order} LIMIT ${capSql(cap)}`;
  return q.query<TaskRow & { excerpt: string }>(sql, params, walkStatement(sql, walk));
}
