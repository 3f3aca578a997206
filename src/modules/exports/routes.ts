import { PassThrough, Readable } from 'node:stream';
import { Type, type TProperties } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { CUSTOM_FIELD_FILTER_DOC, customFieldFilterQuery } from '../custom-fields/schema.js';
import type { Job } from '../jobs/queue.js';
import { JobView, toJobView } from '../jobs/schema.js';
import { EXPORT_OBJECTS, OBJECTS, type ExportObject } from './objects.js';
import { EXPORT_JOB, exportJobHandler, specOf, type ExportJobParams } from './runner.js';
import type { ExportSpec } from './service.js';
import * as store from './store.js';

const tags = ['exports'];

const Common = {
  format: Type.Optional(
    Type.Unsafe<'csv' | 'jsonl'>({
      type: 'string',
      enum: ['csv', 'jsonl'],
      default: 'csv',
      description: 'csv or jsonl',
    }),
  ),
  bom: Type.Optional(Type.Boolean({ description: 'CSV: start with a UTF-8 byte-order mark (for Excel)' })),
  updatedSince: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'only records changed at or after this time, and tombstones for those deleted since',
    }),
  ),
  columns: Type.Optional(
    Type.String({
      maxLength: 4000,
      description: 'column keys in the order wanted, comma-separated (e.g. accountNumber,lastName,customFields.tier)',
    }),
  ),
};

function filterProps(object: ExportObject): TProperties {
  const props: TProperties = {};
  for (const f of OBJECTS[object].filters) {
    props[f.name] = Type.Optional(
      f.type === 'boolean'
        ? Type.Boolean({ description: f.description })
        : f.type === 'integer'
          ? Type.Integer({ minimum: 1, description: f.description })
          : Type.String({ maxLength: 200, description: f.description }),
    );
  }
  return props;
}

const FileView = Type.Object({
  id: Type.String({ description: "the export job's id" }),
  objectType: Type.String(),
  format: Type.String(),
  gzip: Type.Boolean(),
  fileName: Type.String(),
  bytes: Type.Integer(),
  rows: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

/** How far `GET /exports/{object}/count` counts: enough to tell a large export from a small one. */
const COUNT_CAP = 100_000;

export const ExportCount = Type.Object({
  rows: Type.Integer({ description: 'rows the export would hold, up to the cap' }),
  more: Type.Boolean({ description: 'true when there are more than `rows`' }),
});
const CountView = ExportCount;

export const ExportFile = FileView;

const StartBody = Type.Object(
  {
    object: Type.Unsafe<ExportObject>({ type: 'string', enum: [...EXPORT_OBJECTS] }),
    format: Common.format,
    bom: Common.bom,
    gzip: Type.Optional(Type.Boolean({ description: 'compress the file with gzip' })),
    updatedSince: Common.updatedSince,
    columns: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 })),
    filters: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String({ maxLength: 200 }), Type.Boolean(), Type.Integer()]), {
        description: "the object's list filters, and cf.<key> custom field filters",
      }),
    ),
  },
  { additionalProperties: false },
);

function columnsParam(s: string | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  const list = s
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  return list.length ? list : undefined;
}

/**
 * Exports (docs/exporting.md): a streamed download of any object's rows
 * (`GET /api/v1/exports/<object>`), and background exports kept for a while
 * under "My downloads" (`POST /api/v1/exports`, `GET /api/v1/exports/downloads`).
 */
export async function registerExportRoutes(app: App, ctx: AppContext): Promise<void> {
  const exports = ctx.services.exports;
  ctx.services.jobs.registerJobKind(EXPORT_JOB, exportJobHandler(ctx.db, ctx.clock, exports, ctx.config.exportKeepMs));
  ctx.jobs.every('export-expiry', 60_000, async () => {
    const n = await ctx.db.transaction((tx) => store.deleteExpired(tx, ctx.clock.now()));
    if (n > 0) ctx.log.info({ deleted: n }, 'expired export files deleted');
  });

  for (const object of EXPORT_OBJECTS) {
    const def = OBJECTS[object];
    const Query = Type.Object(
      { ...Common, ...filterProps(object) },
      { additionalProperties: false, ...(def.customFields ? customFieldFilterQuery : {}) },
    );
    app.get(
      `/api/v1/exports/${object}`,
      {
        config: { access: 'data.export' },
        schema: {
          tags,
          summary: `Export ${object} as CSV or JSON Lines, streamed (needs data.export and ${def.privileges.join(', ')})`,
          description:
            `Every ${object} row the filters select, from one consistent snapshot, in keyset order. ` +
            `Filters: ${def.filters.map((f) => `\`${f.name}\``).join(', ')}. ` +
            (def.customFields ? CUSTOM_FIELD_FILTER_DOC : ''),
          querystring: Query,
          produces: ['text/csv', 'application/x-ndjson'],
          response: { 200: Type.String({ description: 'the file' }), 400: Problem, 403: Problem },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const q = request.query as Record<string, unknown>;
        const {
          format = 'csv',
          bom,
          updatedSince,
          columns,
          ...filters
        } = q as {
          format?: 'csv' | 'jsonl';
          bom?: boolean;
          updatedSince?: string;
          columns?: string;
        } & Record<string, unknown>;
        const spec: ExportSpec = {
          object,
          format,
          bom,
          filters,
          updatedSince: updatedSince ? new Date(updatedSince) : undefined,
          columns: columnsParam(columns),
        };
        // Checked before the first byte: a bad filter is still a 400, not a cut stream.
        const prep = await exports.prepare(actor, spec);
        const out = new PassThrough();
        exports.write(actor, prep, out).catch((err: unknown) => {
          request.log.warn({ err }, 'export stopped');
          out.destroy(err as Error);
        });
        const day = ctx.clock.now().toISOString().slice(0, 10);
        return reply
          .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="${object}-${day}.${format}"`)
          .header('cache-control', 'private, no-store')
          .send(out as unknown as string);
      },
    );
  }

  for (const object of EXPORT_OBJECTS) {
    const def = OBJECTS[object];
    const Query = Type.Object(
      { updatedSince: Common.updatedSince, ...filterProps(object) },
      { additionalProperties: false, ...(def.customFields ? customFieldFilterQuery : {}) },
    );
    app.get(
      `/api/v1/exports/${object}/count`,
      {
        config: { access: 'data.export' },
        schema: {
          tags,
          summary: `How many ${object} an export with these filters would hold, counted up to ${COUNT_CAP.toLocaleString('en')}`,
          description:
            'Takes the same filters as the export itself (and refuses a wrong one the same way). ' +
            '`more` is true when there are more rows than the count went to.',
          querystring: Query,
          response: { 200: CountView, 400: Problem, 403: Problem },
        },
      },
      async (request) => {
        const { updatedSince, ...filters } = request.query as { updatedSince?: string } & Record<string, unknown>;
        return exports.count(
          actorOf(request),
          { object, format: 'csv', filters, updatedSince: updatedSince ? new Date(updatedSince) : undefined },
          COUNT_CAP,
        );
      },
    );
  }

  app.post(
    '/api/v1/exports',
    {
      config: { access: 'data.export' },
      schema: {
        tags,
        summary: 'Start a background export; its file is kept under "My downloads" (EXPORT_KEEP_HOURS)',
        description:
          'Answers 202 with the job (kind `export`): follow its progress at /api/v1/jobs/{id}; when it has ' +
          'succeeded, the file is at /api/v1/exports/downloads/{id}.',
        body: StartBody,
        response: { 202: JobView, 400: Problem, 403: Problem },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const b = request.body;
      const params: ExportJobParams = {
        object: b.object,
        format: b.format ?? 'csv',
        filters: b.filters ?? {},
        updatedSince: b.updatedSince ? new Date(b.updatedSince).toISOString() : null,
        columns: b.columns ?? null,
        bom: b.bom ?? false,
        gzip: b.gzip ?? false,
        requestedBy: { userId: actor.userId!, name: actor.name, privileges: [...actor.privileges] },
      };
      // The filters and columns are checked now, so a mistake is a 400 rather than a failed job.
      await exports.prepare(actor, {
        object: params.object,
        format: params.format,
        filters: params.filters,
        updatedSince: b.updatedSince ? new Date(b.updatedSince) : undefined,
        columns: b.columns,
      });
      // A bounded count gives the job a total, so "My downloads" can show how far it has gone.
      const { rows, more } = await exports.count(actor, specOf(params), COUNT_CAP);
      const job = await ctx.services.jobs.enqueue({
        kind: EXPORT_JOB,
        params,
        ownerId: actor.userId,
        total: more ? undefined : rows,
      });
      return reply.code(202).send(toJobView(job as unknown as Job));
    },
  );

  app.get(
    '/api/v1/exports/downloads',
    {
      config: { access: 'data.export' },
      schema: {
        tags,
        summary: 'My downloads: your finished exports not yet expired, newest first',
        response: { 200: Type.Object({ items: Type.Array(FileView) }) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const rows = actor.userId ? await store.listFiles(ctx.db, actor.userId, ctx.clock.now()) : [];
      return {
        items: rows.map((f) => ({
          id: f.job_id,
          objectType: f.object_type,
          format: f.format,
          gzip: f.gzip,
          fileName: f.file_name,
          bytes: f.bytes,
          rows: f.rows,
          createdAt: f.created_at.toISOString(),
          expiresAt: f.expires_at.toISOString(),
        })),
      };
    },
  );

  app.get(
    '/api/v1/exports/downloads/:id',
    {
      config: { access: 'data.export' },
      schema: {
        tags,
        summary: 'Download one of your finished exports (only its owner may; gone once expired)',
        params: IdParams,
        produces: ['text/csv', 'application/x-ndjson', 'application/gzip'],
        response: { 200: Type.String({ description: 'the file' }), 404: Problem },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const id = request.params.id;
      const file = isUuid(id) ? await store.getFile(ctx.db, id) : null;
      // Someone else's file does not exist for the caller (administrators included: it may hold what they may not see).
      if (!file || file.owner_id !== actor.userId || file.expires_at <= ctx.clock.now()) {
        throw new NotFound('Download');
      }
      async function* bytes() {
        for (let seq = 0; ; seq++) {
          const data = await store.chunk(ctx.db, id, seq);
          if (!data) return;
          yield data;
        }
      }
      return reply
        .header('content-type', file.content_type)
        .header('content-length', String(file.bytes))
        .header('content-disposition', `attachment; filename="${file.file_name}"`)
        .header('cache-control', 'private, no-store')
        .send(Readable.from(bytes()) as unknown as string);
    },
  );
}
