import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Reports (docs/reports.md): the query every report takes, and the shapes it answers with. */

const BUCKETS = ['day', 'week', 'month'] as const;
export type BucketUnit = (typeof BUCKETS)[number];

const Csv = (description: string) => Type.Optional(Type.String({ maxLength: 1000, description }));

export const ReportQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({ format: 'date', description: 'first day of the range (YYYY-MM-DD, in tz); default: to − 29 days' }),
    ),
    to: Type.Optional(
      Type.String({ format: 'date', description: 'last day of the range, included (in tz); default: today in tz' }),
    ),
    tz: Type.Optional(Type.String({ maxLength: 64, description: "the viewer's IANA time zone; default UTC" })),
    bucket: Type.Optional(
      Type.Unsafe<BucketUnit>({ type: 'string', enum: [...BUCKETS], description: 'day (default), week or month' }),
    ),
    channel: Csv(
      'channels, comma-separated (cases: phone, chat, email, web, portal, other; interactions: the first three)',
    ),
    priority: Csv('case priority keys, comma-separated'),
    severity: Csv('case severity keys, comma-separated'),
    status: Csv('case status keys, comma-separated; `open`/`closed` mean every open-like/closed-like status'),
    ownerId: Type.Optional(
      Type.String({
        maxLength: 64,
        description: "a user id (case owner, task assignee, interaction's agent) or `none`",
      }),
    ),
    repeatDays: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 90, description: 'repeat callers: again within this many days (default 7)' }),
    ),
    firstResponseTargetMinutes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10080, description: 'wallboard: first-response target (default 60)' }),
    ),
  },
  { additionalProperties: false },
);
export type ReportQuery = Static<typeof ReportQuery>;

/** The list behind a figure: GET `path` with `query` (plus limit/cursor) yields exactly its records. */
export const ListRef = Type.Object({
  path: Type.String({ description: 'a list endpoint, e.g. /api/v1/cases' }),
  query: Type.Record(Type.String(), Type.String()),
});
export type ListRef = Static<typeof ListRef>;

export const Figure = Type.Object({
  count: Type.Integer(),
  list: Type.Union([ListRef, Type.Null()], { description: 'null: no list applies (the count is 0)' }),
});
export type Figure = Static<typeof Figure>;

export const Timing = Type.Object({
  n: Figure,
  medianSeconds: Type.Union([Type.Number(), Type.Null()]),
  p90Seconds: Type.Union([Type.Number(), Type.Null()]),
});
export type Timing = Static<typeof Timing>;

export const Bucket = Type.Object({
  key: Type.String({ description: 'the local date the bucket starts on (YYYY-MM-DD)' }),
  start: Type.String({ format: 'date-time' }),
  end: Type.String({ format: 'date-time' }),
});
export type Bucket = Static<typeof Bucket>;

const Range = Type.Object({
  from: Type.String(),
  to: Type.String(),
  tz: Type.String(),
  bucket: Type.String(),
  start: Type.String({ format: 'date-time' }),
  end: Type.String({ format: 'date-time' }),
  generatedAt: Type.String({ format: 'date-time' }),
});

/** Figures by a key (a status, a priority, an age band, an owner's id: null for unassigned). */
const Keyed = <T extends TSchema>(value: T) =>
  Type.Array(Type.Object({ key: Type.Union([Type.String(), Type.Null()]), value }));

export const CasesReport = Type.Object({
  range: Range,
  buckets: Type.Array(Bucket),
  opened: Type.Array(Figure),
  closed: Type.Array(Figure),
  reopened: Type.Array(Figure),
  totals: Type.Object({ opened: Figure, closed: Figure, reopened: Figure }),
  backlog: Type.Object({
    byStatus: Keyed(Figure),
    byPriority: Keyed(Figure),
    byAge: Keyed(Figure),
    unassigned: Figure,
    total: Figure,
  }),
  firstResponse: Type.Object({
    buckets: Type.Array(Timing),
    byOwner: Keyed(Timing),
    total: Timing,
  }),
  resolution: Type.Object({
    buckets: Type.Array(Timing),
    byOwner: Keyed(Timing),
    total: Timing,
  }),
  firstContactResolution: Type.Object({
    closed: Figure,
    resolved: Figure,
    rate: Type.Union([Type.Number(), Type.Null()]),
  }),
  reopenRate: Type.Object({ closed: Figure, reopened: Figure, rate: Type.Union([Type.Number(), Type.Null()]) }),
});
export type CasesReport = Static<typeof CasesReport>;

const Series = Type.Object({ channel: Type.String(), direction: Type.String(), values: Type.Array(Figure) });

export const InteractionsReport = Type.Object({
  range: Range,
  buckets: Type.Array(Bucket),
  perBucket: Type.Array(Series),
  perHour: Type.Array(Series, { description: 'values[h]: started in hour h of the day (tz), over the range' }),
  total: Figure,
  unmatched: Figure,
  repeatCallers: Type.Object({ days: Type.Integer(), interactions: Figure }),
});
export type InteractionsReport = Static<typeof InteractionsReport>;

export const WorkloadReport = Type.Object({
  range: Range,
  agents: Type.Array(
    Type.Object({
      userId: Type.String(),
      name: Type.String(),
      role: Type.String(),
      openCases: Figure,
      openTasks: Figure,
      overdueTasks: Figure,
      interactions: Figure,
      wrappedUp: Figure,
      wrapUpRate: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
});
export type WorkloadReport = Static<typeof WorkloadReport>;

export const TasksReport = Type.Object({
  range: Range,
  buckets: Type.Array(Bucket),
  due: Type.Array(Figure),
  doneOnTime: Type.Array(Figure),
  doneLate: Type.Array(Figure),
  overdue: Type.Array(Figure),
  totals: Type.Object({ due: Figure, doneOnTime: Figure, doneLate: Figure, overdue: Figure }),
});
export type TasksReport = Static<typeof TasksReport>;

export const Wallboard = Type.Object({
  generatedAt: Type.String({ format: 'date-time' }),
  interactionsLastHour: Figure,
  interactionsToday: Figure,
  openCases: Figure,
  unassignedCases: Figure,
  firstResponseBreaches: Type.Object({ targetMinutes: Type.Integer(), cases: Figure }),
  overdueTasks: Figure,
  agentsConnected: Type.Integer({ description: 'staff with a console (event stream) connected to this server' }),
});
export type Wallboard = Static<typeof Wallboard>;
