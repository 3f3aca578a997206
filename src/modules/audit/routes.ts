import { Type, type Static } from '@sinclair/typebox';
import { stringify } from 'csv-stringify';
import { Readable } from 'node:stream';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { Invalid } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { PageOf, PageQuery } from '../../http/pagination.js';
import { Problem } from '../../http/schemas.js';
import type { Actor } from '../../http/actor.js';
import { versionRead } from '../../http/versions.js';
import { neutraliseCell } from '../../formats/spreadsheet-cells.js';
import { recordAudit, RETENTION_MAX_DAYS, RETENTION_MIN_DAYS, type AuditEvent } from './service.js';
import type { AuditFilter } from './store.js';

const AuditEventSchema = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  actorId: Type.Union([Type.String(), Type.Null()]),
  actorName: Type.String(),
  actorKind: Type.String({ description: 'user, apiKey, system or anonymous' }),
  action: Type.String({ description: '<area>.<verb>, e.g. auth.signin, api_key.created, user.privileges_changed' }),
  targetType: Type.Union([Type.String(), Type.Null()]),
  targetId: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
});

const FilterQuery = {
  action: Type.Optional(
    Type.String({
      maxLength: 100,
      pattern: '^[a-z][a-z0-9_.]*(\\.\\*)?$',
      description: 'an exact action, or a prefix with .* (auth.*)',
    }),
  ),
  actorId: Type.Optional(Type.String({ maxLength: 36, description: 'the user who acted' })),
  targetType: Type.Optional(Type.String({ maxLength: 40 })),
  targetId: Type.Optional(Type.String({ maxLength: 200 })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'from this time (inclusive)' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'before this time' })),
};
const AuditQuery = Type.Object({ ...FilterQuery, ...PageQuery });
const ExportQuery = Type.Object(FilterQuery);

const Retention = Type.Object({
  retentionDays: Type.Union([Type.Integer(), Type.Null()], {
    description: `lines older than this are deleted by an hourly job (${RETENTION_MIN_DAYS}–${RETENTION_MAX_DAYS}); null keeps them for ever`,
  }),
  version: Type.Integer(),
});
const RetentionPut = Type.Object(
  {
    retentionDays: Type.Union([
      Type.Integer({ minimum: RETENTION_MIN_DAYS, maximum: RETENTION_MAX_DAYS }),
      Type.Null(),
    ]),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

function filterOf(q: Static<typeof ExportQuery>): AuditFilter {
  if (q.actorId !== undefined && !isUuid(q.actorId)) {
    throw new Invalid([{ field: 'actorId', message: 'not a user id' }]);
  }
  return {
    action: q.action,
    actorId: q.actorId,
    targetType: q.targetType,
    targetId: q.targetId,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
  };
}

/** Spreadsheets run cells that begin with = + - @ as formulas: such text is exported with a leading quote. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return neutraliseCell(typeof value === 'string' ? value : JSON.stringify(value));
}

const CSV_COLUMNS: (keyof AuditEvent)[] = [
  'at',
  'action',
  'actorName',
  'actorKind',
  'actorId',
  'targetType',
  'targetId',
  'ip',
  'userAgent',
  'details',
  'id',
];

/** The audit trail for administrators: Admin → Audit in the console. */
export async function registerAuditRoutes(app: App, ctx: AppContext): Promise<void> {
  const audit = ctx.services.audit;
  const tags = ['audit'];

  ctx.jobs.every('audit-retention', 60 * 60_000, async () => {
    const n = await audit.prune();
    if (n > 0) ctx.log.info({ pruned: n }, 'audit lines past their retention deleted');
  });

  app.get(
    '/api/v1/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'The audit trail, newest first: sign-ins, keys, users, privileges, settings … (admin)',
        querystring: AuditQuery,
        response: { 200: PageOf(AuditEventSchema), 400: Problem },
      },
    },
    async (request) => {
      const { limit, cursor, ...rest } = request.query;
      return audit.list(actorOf(request), filterOf(rest), limit ?? 50, cursor);
    },
  );

  app.get(
    '/api/v1/audit/export',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: `The filtered audit trail as CSV (at most 100,000 lines, newest first) (admin)`,
        querystring: ExportQuery,
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'text/csv' }), 400: Problem },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const filter = filterOf(request.query);
      // The first page is read before answering, so a bad filter is still a 400 rather than a cut stream.
      const rows = audit.exportRows(actor, filter);
      const first = await rows.next();
      async function* lines() {
        if (!first.done) yield CSV_COLUMNS.map((c) => cell(first.value[c]));
        for await (const e of rows) yield CSV_COLUMNS.map((c) => cell(e[c]));
      }
      const csv = stringify({ header: true, columns: CSV_COLUMNS.map(String) });
      const source = Readable.from(lines());
      source.pipe(csv);
      source.on('error', (err) => csv.destroy(err));
      const day = new Date().toISOString().slice(0, 10);
      await recordExport(ctx, actor, filter);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-${day}.csv"`)
        .header('cache-control', 'private, no-store')
        .send(csv as unknown as string);
    },
  );

  app.get(
    '/api/v1/audit/settings',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'How long the audit trail is kept (admin)', response: { 200: Retention } },
    },
    async (request) => audit.getSettings(actorOf(request)),
  );

  app.put(
    '/api/v1/audit/settings',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Set how long the audit trail is kept (admin)',
        body: RetentionPut,
        response: { 200: Retention, 400: Problem, 409: Problem },
      },
    },
    async (request) =>
      audit.setSettings(
        actorOf(request),
        { retentionDays: request.body.retentionDays },
        versionRead(request, request.body, false),
      ),
  );
}

/** Exporting the trail is itself recorded (who took a copy, of what). */
async function recordExport(ctx: AppContext, actor: Actor, filter: AuditFilter): Promise<void> {
  await recordAudit(ctx.db, actor, {
    action: 'audit.exported',
    targetType: 'audit',
    details: {
      filter: {
        ...filter,
        from: filter.from?.toISOString(),
        to: filter.to?.toISOString(),
      },
    },
  });
}
