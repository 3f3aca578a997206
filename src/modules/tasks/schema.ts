import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.js';
import { CUSTOM_FIELD_FILTER_DOC, CustomFieldValues, customFieldFilterQuery } from '../custom-fields/schema.js';

export const TASK_TYPES = ['call', 'email', 'meeting', 'chat', 'other'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
const TASK_STATUSES = ['open', 'done', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
const DUE_VIEWS = ['today', 'overdue', 'upcoming', 'done'] as const;
type DueView = (typeof DUE_VIEWS)[number];

/** Minutes before the due time of the default reminder. */
export const DEFAULT_REMINDER_MINUTES = 30;

const TaskTypeSchema = Type.Unsafe<TaskType>({ type: 'string', enum: [...TASK_TYPES] });
const StatusSchema = Type.Unsafe<TaskStatus>({ type: 'string', enum: [...TASK_STATUSES] });
const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);
const Id = Type.String({ maxLength: 64 });

export const Task = Type.Object({
  id: Type.String(),
  type: TaskTypeSchema,
  subject: Type.String(),
  notes: Type.Union([Type.String(), Type.Null()]),
  customerId: Type.String(),
  caseId: Type.Union([Type.String(), Type.Null()]),
  assigneeId: Type.String(),
  dueAt: NullableDateTime,
  remindAt: Type.Union([DateTime, Type.Null()], { description: 'when the reminder fires; null: no reminder' }),
  status: StatusSchema,
  outcome: Type.Union([Type.String(), Type.Null()]),
  completedAt: Type.Union([DateTime, Type.Null()], { description: 'when it was done or cancelled' }),
  overdue: Type.Boolean({ description: 'open and past its due time' }),
  customFields: CustomFieldValues,
  version: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
  createdBy: Type.Union([Type.String(), Type.Null()]),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
});
export type Task = Static<typeof Task>;

const Subject = Type.String({ minLength: 1, maxLength: 300 });
const Notes = Type.Union([Type.String({ maxLength: 20000 }), Type.Null()]);
const Outcome = Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]);

export const TaskCreate = Type.Object(
  {
    type: TaskTypeSchema,
    subject: Subject,
    notes: Type.Optional(Notes),
    customerId: Id,
    caseId: Type.Optional(Type.Union([Id, Type.Null()])),
    assigneeId: Type.Optional(Type.String({ maxLength: 64, description: 'a user id or "me"; default: me' })),
    dueAt: Type.Optional(NullableDateTime),
    remindAt: Type.Optional(
      Type.Union([DateTime, Type.Null()], {
        description: `default: ${DEFAULT_REMINDER_MINUTES} minutes before dueAt when it is set; null: no reminder`,
      }),
    ),
    status: Type.Optional(StatusSchema),
    outcome: Type.Optional(Outcome),
    completedAt: Type.Optional(
      Type.Union([DateTime, Type.Null()], { description: 'for a task logged after the fact; default now' }),
    ),
    customFields: Type.Optional(CustomFieldValues),
  },
  { additionalProperties: false },
);
export type TaskCreate = Static<typeof TaskCreate>;

export const TaskPatch = Type.Object(
  {
    type: Type.Optional(TaskTypeSchema),
    subject: Type.Optional(Subject),
    notes: Type.Optional(Notes),
    customerId: Type.Optional(Id),
    caseId: Type.Optional(Type.Union([Id, Type.Null()])),
    assigneeId: Type.Optional(Type.String({ maxLength: 64 })),
    dueAt: Type.Optional(NullableDateTime),
    remindAt: Type.Optional(Type.Union([DateTime, Type.Null()])),
    status: Type.Optional(StatusSchema),
    outcome: Type.Optional(Outcome),
    completedAt: Type.Optional(Type.Union([DateTime, Type.Null()])),
    customFields: Type.Optional(CustomFieldValues),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type TaskPatch = Static<typeof TaskPatch>;

export const TaskListQuery = Type.Object(
  {
    ...PageQuery,
    assigneeId: Type.Optional(Type.String({ maxLength: 64, description: 'a user id, or "me"' })),
    status: Type.Optional(StatusSchema),
    due: Type.Optional(
      Type.Unsafe<DueView>({
        type: 'string',
        enum: [...DUE_VIEWS],
        description:
          'today: open, due today (in tz); overdue: open, due before now; upcoming: open, due after today; done: completed, newest first',
      }),
    ),
    customerId: Type.Optional(Type.String({ maxLength: 64 })),
    caseId: Type.Optional(Type.String({ maxLength: 64 })),
    tz: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone for "today"; default UTC' })),
    dueFrom: Type.Optional({ ...DateTime, description: 'due at or after this time' }),
    dueTo: Type.Optional({ ...DateTime, description: 'due before this time' }),
    onTime: Type.Optional(
      Type.Boolean({ description: 'true: done no later than its due time; false: done after it (done tasks only)' }),
    ),
  },
  { ...customFieldFilterQuery, description: CUSTOM_FIELD_FILTER_DOC },
);
export type TaskListQuery = Static<typeof TaskListQuery>;

export const Snooze = Type.Object(
  {
    minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 60, description: 'the console offers 5, 10, 30' })),
    until: Type.Optional(DateTime),
  },
  { additionalProperties: false },
);
export type Snooze = Static<typeof Snooze>;

const ReminderKind = Type.Unsafe<'before' | 'overdue'>({ type: 'string', enum: ['before', 'overdue'] });

export const ActiveReminder = Type.Object({
  id: Type.String(),
  taskId: Type.String(),
  kind: ReminderKind,
  state: Type.String(),
  firedAt: NullableDateTime,
  fireAt: DateTime,
  subject: Type.String(),
  taskType: TaskTypeSchema,
  dueAt: NullableDateTime,
  customerId: Type.String(),
  caseId: Type.Union([Type.String(), Type.Null()]),
});
export type ActiveReminder = Static<typeof ActiveReminder>;
