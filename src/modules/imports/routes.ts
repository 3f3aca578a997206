import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import { stringify } from 'csv-stringify/sync';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { Invalid } from '../../http/errors.js';
import { decodeCursor, keysetPage, PageOf, PageQuery } from '../../http/pagination.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import { OBJECT_TYPES } from './mapping.js';
import { importJobHandler, previewImport } from './runner.js';
import {
  ErrorsQuery,
  ImportDetail,
  ImportView,
  MappingCreate,
  MappingPatch,
  MappingView,
  PreviewAnswer,
  Settings,
  toImportView,
  toMappingView,
  targetView,
  UploadQuery,
} from './schema.js';
import { IMPORT_JOB, ImportsService } from './service.js';
import type { ImportRow } from './store.js';

const tags = ['imports'];
const errors = { 400: Problem, 404: Problem, 409: Problem };

/** Imports (docs/importing.md): upload, preview, dry run, run, cancel, list, errors file; saved mappings. */
export async function registerImportRoutes(app: App, ctx: AppContext): Promise<void> {
  const imports = new ImportsService(ctx.db, ctx.config, ctx.clock, ctx.services, ctx.services.jobs);
  ctx.services.jobs.registerJobKind(IMPORT_JOB, importJobHandler(ctx.db, ctx.clock, ctx.services, imports));
  const view = (imp: ImportRow, runs: Parameters<typeof toImportView>[1]) => toImportView(imp, runs, ctx.clock);

  // The upload reads the body as a stream (raw, or the file part of a multipart form): never buffered whole.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    await scope.register(multipart, {
      limits: { fileSize: ctx.config.importMaxBytes + 1, files: 1, fields: 20 },
      throwFileSizeLimit: false,
    });
    (scope as unknown as App).post(
      '/api/v1/imports',
      {
        config: { access: 'data.import' },
        schema: {
          tags,
          summary: 'Upload a file to import (CSV or JSON Lines), streamed: the raw body, or a multipart `file` part',
          description:
            'The file is stored and read once whole: encoding (UTF-8 with or without BOM, UTF-16, Windows-1252), ' +
            'delimiter (`,` `;` tab `|`) and format are detected unless given; the header and every row are ' +
            'checked. A problem with the file as a whole is a 400 naming it (413 over IMPORT_MAX_BYTES) and ' +
            'nothing is kept. The answer lists the columns, a few rows, the row count and the suggested mapping.',
          querystring: UploadQuery,
          response: { 201: ImportDetail, 400: Problem, 413: Problem },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const q = request.query;
        let body: AsyncIterable<Buffer>;
        let fileName = q.fileName;
        if (request.isMultipart()) {
          const part = await request.file();
          if (!part) throw new Invalid([{ field: 'file', message: 'the form has no file part' }]);
          body = part.file;
          fileName ??= part.filename;
        } else {
          body = request.body as AsyncIterable<Buffer>;
        }
        const length = Number(request.headers['content-length']);
        const imp = await imports.upload(actor, body, {
          objectType: q.objectType,
          fileName: fileName || 'upload',
          format: q.format,
          encoding: q.encoding,
          delimiter: q.delimiter,
          declaredBytes: Number.isFinite(length) && !request.isMultipart() ? length : undefined,
        });
        const help = await imports.mappingHelp(imp);
        return reply.status(201).send({
          ...view(imp, []),
          suggestedMapping: help.suggested,
          unmappedColumns: imports.unmapped(imp, help.suggested),
          targets: help.targets.map(targetView),
        });
      },
    );
  });

  app.get(
    '/api/v1/imports',
    {
      config: { access: 'data.import' },
      schema: {
        tags,
        summary: 'Every import, newest first: who ran it, file, mode, status and counts',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: PageOf(ImportView), 400: Problem },
      },
    },
    async (request) => {
      const page = await imports.list(actorOf(request), {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      });
      return { items: page.items.map((i) => view(i.imp, i.runs)), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/imports/:id',
    {
      config: { access: 'data.import' },
      schema: {
        tags,
        summary: 'One import, with its runs, the fields its columns may map to and the suggested mapping',
        params: IdParams,
        response: { 200: ImportDetail, 404: Problem },
      },
    },
    async (request) => {
      const { imp, runs } = await imports.get(actorOf(request), request.params.id);
      const help = await imports.mappingHelp(imp);
      return {
        ...view(imp, runs),
        suggestedMapping: help.suggested,
        unmappedColumns: imports.unmapped(imp, help.suggested),
        targets: help.targets.map(targetView),
      };
    },
  );

  app.post(
    '/api/v1/imports/:id/preview',
    {
      config: { access: 'data.import' },
      schema: {
        tags,
        summary: 'The first 20 rows as they would be stored, with each row’s outcome and errors (writes nothing)',
        params: IdParams,
        body: Settings,
        response: { 200: PreviewAnswer, ...errors },
      },
    },
    async (request) => {
      const p = await previewImport(ctx.db, ctx.services, imports, actorOf(request), request.params.id, request.body);
      return { ...p, settings: { ...p.settings } };
    },
  );

  for (const [path, dryRun] of [
    ['dry-run', true],
    ['start', false],
  ] as const) {
    app.post(
      `/api/v1/imports/:id/${path}`,
      {
        config: { access: 'data.import' },
        schema: {
          tags,
          summary: dryRun
            ? 'Dry run: the whole file read, checked and matched as the run will, nothing written; same counts'
            : 'Start the import: a background job writing in chunks, resumed after a restart',
          params: IdParams,
          body: Settings,
          response: { 202: ImportView, ...errors },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        await imports.start(actor, request.params.id, request.body, dryRun);
        const { imp, runs } = await imports.get(actor, request.params.id);
        return reply.status(202).send(view(imp, runs));
      },
    );
  }

  app.post(
    '/api/v1/imports/:id/cancel',
    {
      config: { access: 'data.import' },
      schema: {
        tags,
        summary: 'Cancel the run going on: it stops between two chunks (what was written stays, and is counted)',
        params: IdParams,
        response: { 200: ImportView, ...errors },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      await imports.cancel(actor, request.params.id);
      const { imp, runs } = await imports.get(actor, request.params.id);
      return view(imp, runs);
    },
  );

  app.delete(
    '/api/v1/imports/:id',
    {
      config: { access: 'data.import' },
      schema: {
        tags,
        summary: 'Delete an import never started (and its file)',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await imports.delete(actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/imports/:id/errors',
    {
      config: { access: 'data.import' },
      schema: {
        tags,
        summary: 'The failed rows of the run (or `dryRun=true`), in row order: row, errors (column, value, message)',
        params: IdParams,
        querystring: ErrorsQuery,
        response: {
          200: PageOf(
            Type.Object({
              row: Type.Integer(),
              errors: Type.Array(
                Type.Object({
                  column: Type.Union([Type.String(), Type.Null()]),
                  value: Type.Union([Type.String(), Type.Null()]),
                  message: Type.String(),
                }),
              ),
            }),
          ),
          404: Problem,
        },
      },
    },
    async (request) => {
      const { dryRun = false, limit = 50, cursor } = request.query;
      const after = cursor ? (decodeCursor(cursor, ['number'])[0] as number) : 0;
      if (!Number.isSafeInteger(after))
        throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
      const rows = await imports.errors(actorOf(request), request.params.id, dryRun, after, limit + 1);
      return keysetPage(
        rows,
        limit,
        (last) => [last.row],
        (r) => ({ row: r.row, errors: r.errors }),
      );
    },
  );

  app.get(
    '/api/v1/imports/:id/errors.csv',
    {
      config: { access: 'data.import' },
      schema: {
        tags,
        summary: 'Every failed row (uncapped) with an `error` column: fix it and import it again',
        description:
          'CSV imports: the original columns, then `error` (every problem of the row, "column: message; …"). ' +
          'UTF-8 with a byte-order mark. JSON Lines imports: the failed lines as JSON Lines with an `_error` key.',
        params: IdParams,
        querystring: Type.Object({ dryRun: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { imp } = await imports.get(actor, request.params.id);
      const dryRun = request.query.dryRun ?? false;
      const errorText = (e: { column: string | null; message: string }[]) =>
        e.map((x) => (x.column ? `${x.column}: ${x.message}` : x.message)).join('; ');
      async function* lines(): AsyncGenerator<string> {
        const csv = imp.format === 'csv';
        if (csv) yield '\ufeff' + stringify([[...imp.columns, 'error']]);
        let after = 0;
        for (;;) {
          const page = await imports.errors(actor, imp.id, dryRun, after, 1000);
          if (page.length === 0) return;
          if (csv) {
            yield stringify(
              page.map((r) => {
                const cells = Array.isArray(r.record) ? (r.record as string[]) : [];
                const padded = imp.columns.map((_, i) => cells[i] ?? '');
                return [...padded, `row ${r.row}: ${errorText(r.errors)}`];
              }),
            );
          } else {
            yield (
              page
                .map((r) =>
                  JSON.stringify({
                    ...((r.record as object | null) ?? {}),
                    _error: `line ${r.row}: ${errorText(r.errors)}`,
                  }),
                )
                .join('\n') + '\n'
            );
          }
          after = page[page.length - 1].row;
        }
      }
      const base = imp.file_name.replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '_') || 'import';
      const ext = imp.format === 'csv' ? 'csv' : 'jsonl';
      return reply
        .type(imp.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="${base}-errors.${ext}"`)
        .send(Readable.from(lines()));
    },
  );

  // ------------------------------------------------------------ saved mappings

  app.get(
    '/api/v1/import-mappings',
    {
      config: { access: 'data.import' },
      schema: {
        tags,
        summary: 'Saved mappings',
        querystring: Type.Object(
          { objectType: Type.Optional(Type.Unsafe({ type: 'string', enum: [...OBJECT_TYPES] })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(MappingView) }) },
      },
    },
    async (request) => ({
      items: (await imports.listMappings(actorOf(request), request.query.objectType as never)).map(toMappingView),
    }),
  );

  app.post(
    '/api/v1/import-mappings',
    {
      config: { access: 'data.import' },
      schema: {
        tags,
        summary: 'Save a mapping by name',
        body: MappingCreate,
        response: { 201: MappingView, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(toMappingView(await imports.createMapping(actorOf(request), request.body))),
  );

  app.get(
    '/api/v1/import-mappings/:id',
    {
      config: { access: 'data.import' },
      schema: { tags, summary: 'One saved mapping', params: IdParams, response: { 200: MappingView, 404: Problem } },
    },
    async (request) => toMappingView(await imports.getMapping(actorOf(request), request.params.id)),
  );

  app.put(
    '/api/v1/import-mappings/:id',
    {
      config: { access: 'data.import' },
      schema: {
        tags,
        summary: 'Rename or change a saved mapping (`version` or If-Match optional)',
        params: IdParams,
        body: MappingPatch,
        response: { 200: MappingView, ...errors },
      },
    },
    async (request) => {
      const version = versionRead(request, request.body, false);
      const { version: _v, ...rest } = request.body;
      return toMappingView(await imports.updateMapping(actorOf(request), request.params.id, rest, version ?? null));
    },
  );

  app.delete(
    '/api/v1/import-mappings/:id',
    {
      config: { access: 'data.import' },
      schema: {
        tags,
        summary: 'Delete a saved mapping',
        params: IdParams,
        response: { 204: Type.Null(), 404: Problem },
      },
    },
    async (request, reply) => {
      await imports.deleteMapping(actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
