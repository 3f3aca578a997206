import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.js';
import type { Job } from './queue.js';

const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

/** A background job as the API shows it (imports, exports and the like keep their own richer views). */
export const JobView = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: 'what the job does, e.g. `import`' }),
  status: Type.Unsafe<(typeof JOB_STATUSES)[number]>({ type: 'string', enum: [...JOB_STATUSES] }),
  ownerId: Nullable(Type.String()),
  params: Type.Record(Type.String(), Type.Unknown()),
  progress: Type.Object({
    done: Type.Integer(),
    total: Type.Union([Type.Integer(), Type.Null()]),
    details: Type.Record(Type.String(), Type.Unknown()),
  }),
  result: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  error: Nullable(Type.String()),
  cancelRequested: Type.Boolean(),
  attempts: Type.Integer({ description: 'claims so far (a restart after a crash is one more)' }),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Nullable(Type.String({ format: 'date-time' })),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type JobView = Static<typeof JobView>;

export const JobListQuery = Type.Object(
  {
    kind: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$' })),
    status: Type.Optional(Type.Unsafe<(typeof JOB_STATUSES)[number]>({ type: 'string', enum: [...JOB_STATUSES] })),
    all: Type.Optional(
      Type.Boolean({ description: "every job you may manage (administrators: everyone's), not only yours" }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export function toJobView(j: Job): JobView {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    ownerId: j.ownerId,
    params: j.params,
    progress: j.progress,
    result: j.result,
    error: j.error,
    cancelRequested: j.cancelRequested,
    attempts: j.attempts,
    createdAt: j.createdAt.toISOString(),
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
    updatedAt: j.updatedAt.toISOString(),
  };
}
