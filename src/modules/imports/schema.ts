import { Type, type Static } from '@sinclair/typebox';
import type { Clock } from '../../clock.js';
import { PageQuery } from '../../http/pagination.js';
import { DELIMITERS, ENCODINGS } from './files.js';
import { Mapping, OBJECT_TYPES, type Target } from './mapping.js';
import { countsOf } from './runner.js';
import type { ImportRow, MappingRow, RunRow } from './store.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const ObjectType = Type.Unsafe<(typeof OBJECT_TYPES)[number]>({ type: 'string', enum: [...OBJECT_TYPES] });

export const UploadQuery = Type.Object(
  {
    objectType: ObjectType,
    fileName: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'default: the multipart file name' }),
    ),
    format: Type.Optional(
      Type.Unsafe<'csv' | 'jsonl'>({ type: 'string', enum: ['csv', 'jsonl'], description: 'default: detected' }),
    ),
    encoding: Type.Optional(
      Type.Unsafe<(typeof ENCODINGS)[number]>({
        type: 'string',
        enum: [...ENCODINGS],
        description: 'default: detected',
      }),
    ),
    delimiter: Type.Optional(
      Type.Unsafe<(typeof DELIMITERS)[number]>({
        type: 'string',
        enum: [...DELIMITERS],
        description: 'CSV delimiter (default: detected; tab as %09)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const Settings = Type.Object(
  {
    mapping: Type.Optional(Mapping),
    mappingId: Type.Optional(Type.String({ description: 'a saved mapping instead of `mapping`' })),
    mode: Type.Optional(
      Type.Unsafe<'create' | 'upsert' | 'update'>({
        type: 'string',
        enum: ['create', 'upsert', 'update'],
        description: 'create only (default), create or update, update only',
      }),
    ),
    match: Type.Optional(
      Type.Array(Type.String({ maxLength: 40 }), {
        maxItems: 4,
        description: 'match keys in order (customers: accountNumber, email, phone; cases: caseNumber)',
      }),
    ),
    region: Type.Optional(Type.String({ description: 'country for phone numbers without a country code' })),
    replacePhones: Type.Optional(
      Type.Boolean({ description: "the file's phones replace a matched customer's (default: missing ones are added)" }),
    ),
  },
  { additionalProperties: false },
);

const Counts = Type.Object({
  read: Type.Integer(),
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  failed: Type.Integer(),
});

const Run = Type.Object({
  jobId: Type.String(),
  status: Type.String({ description: 'queued, running, completed, failed, cancelled' }),
  settings: Type.Record(Type.String(), Type.Unknown()),
  counts: Counts,
  total: Type.Integer(),
  rowsPerSecond: Type.Union([Type.Number(), Type.Null()]),
  secondsLeft: Type.Union([Type.Integer(), Type.Null()]),
  startedBy: Type.Object({ id: Nullable(Type.String()), name: Type.String() }),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
  error: Nullable(Type.String()),
});

export const ImportView = Type.Object({
  id: Type.String(),
  objectType: ObjectType,
  status: Type.String({ description: 'uploaded (not started), or the real run’s status' }),
  fileName: Type.String(),
  fileSize: Type.Integer(),
  format: Type.String(),
  encoding: Type.String(),
  delimiter: Nullable(Type.String()),
  columns: Type.Array(Type.String()),
  sample: Type.Array(Type.Unknown()),
  totalRows: Type.Integer(),
  createdBy: Type.Object({ id: Nullable(Type.String()), name: Type.String() }),
  createdAt: Type.String({ format: 'date-time' }),
  run: Type.Union([Run, Type.Null()]),
  dryRun: Type.Union([Run, Type.Null()]),
});
export type ImportView = Static<typeof ImportView>;

export const ImportDetail = Type.Intersect([
  ImportView,
  Type.Object({
    suggestedMapping: Mapping,
    unmappedColumns: Type.Array(Type.String()),
    targets: Type.Array(Type.Object({ field: Type.String(), label: Type.String(), kind: Type.String() })),
  }),
]);

export const PreviewAnswer = Type.Object({
  rows: Type.Array(
    Type.Object({
      row: Type.Integer(),
      outcome: Type.String({ description: 'create, update, unchanged or failed' }),
      record: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
      values: Type.Unknown(),
      errors: Type.Array(
        Type.Object({ column: Nullable(Type.String()), value: Nullable(Type.String()), message: Type.String() }),
      ),
    }),
  ),
  settings: Type.Record(Type.String(), Type.Unknown()),
  unmappedColumns: Type.Array(Type.String()),
});

export const ErrorsQuery = Type.Object(
  {
    dryRun: Type.Optional(Type.Boolean({ description: 'the dry run’s failed rows instead of the real run’s' })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const MappingView = Type.Object({
  id: Type.String(),
  objectType: ObjectType,
  name: Type.String(),
  mapping: Mapping,
  version: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export const MappingCreate = Type.Object(
  { objectType: ObjectType, name: Type.String({ minLength: 1, maxLength: 100 }), mapping: Mapping },
  { additionalProperties: false },
);
export const MappingPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    mapping: Type.Optional(Mapping),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

export function toMappingView(m: MappingRow) {
  return {
    id: m.id,
    objectType: m.object_type,
    name: m.name,
    mapping: m.mapping,
    version: m.version,
    createdAt: m.created_at.toISOString(),
    updatedAt: m.updated_at.toISOString(),
  };
}

function runView(imp: ImportRow, r: RunRow, clock: Clock): Static<typeof Run> {
  const counts = countsOf(r);
  const going = r.status === 'running' || r.status === 'queued';
  const elapsed = ((r.finished_at ?? clock.now()).getTime() - r.started_at.getTime()) / 1000;
  const rate = elapsed > 0 && counts.read > 0 ? counts.read / elapsed : null;
  const left = imp.total_rows - counts.read;
  return {
    jobId: r.job_id,
    status: r.status,
    settings: r.settings,
    counts,
    total: imp.total_rows,
    rowsPerSecond: rate === null ? null : Math.round(rate),
    secondsLeft: going && rate ? Math.ceil(left / rate) : null,
    startedBy: { id: r.started_by, name: r.started_by_name },
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
    error: r.error,
  };
}

export function toImportView(imp: ImportRow, runs: RunRow[], clock: Clock): ImportView {
  const real = runs.find((r) => !r.dry_run);
  const dry = runs.find((r) => r.dry_run);
  return {
    id: imp.id,
    objectType: imp.object_type,
    status: real ? real.status : 'uploaded',
    fileName: imp.file_name,
    fileSize: imp.file_size,
    format: imp.format,
    encoding: imp.encoding,
    delimiter: imp.delimiter,
    columns: imp.columns,
    sample: imp.sample,
    totalRows: imp.total_rows,
    createdBy: { id: imp.created_by, name: imp.created_by_name },
    createdAt: imp.created_at.toISOString(),
    run: real ? runView(imp, real, clock) : null,
    dryRun: dry ? runView(imp, dry, clock) : null,
  };
}

export const targetView = (t: Target) => ({ field: t.field, label: t.label, kind: t.kind });
