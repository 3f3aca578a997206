import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { PageOf, PageQuery } from '../../http/pagination.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import {
  CustomField,
  CustomFieldCreate,
  CustomFieldDeleteQuery,
  CustomFieldListQuery,
  CustomFieldPatch,
  MAX_ACTIVE_FIELDS,
} from './schema.js';
import { HistoryEntry } from '../history/schema.js';

const tags = ['custom fields'];

/** `/api/v1/custom-fields`: definitions (admin writes; every signed-in user reads, to render forms). */
export async function registerCustomFieldRoutes(app: App, ctx: AppContext): Promise<void> {
  const service = ctx.services.customFields;

  app.get(
    '/api/v1/custom-fields',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Custom field definitions, per object type in display order (every signed-in user)',
        querystring: CustomFieldListQuery,
        response: { 200: Type.Object({ items: Type.Array(CustomField), nextCursor: Type.Null() }) },
      },
    },
    async (request) => ({
      items: await service.list(actorOf(request), request.query),
      nextCursor: null,
    }),
  );

  app.get(
    '/api/v1/custom-fields/:id',
    {
      config: { access: 'authenticated' },
      schema: { tags, summary: 'One definition', params: IdParams, response: { 200: CustomField, 404: Problem } },
    },
    async (request) => service.get(actorOf(request), request.params.id),
  );

  app.post(
    '/api/v1/custom-fields',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: `Define a field (admin); at most ${MAX_ACTIVE_FIELDS} active fields per object type`,
        description:
          'Making a field filterable, unique (customers) or searchable builds an index on the records table in ' +
          'the same transaction (writes to that table wait meanwhile).',
        body: CustomFieldCreate,
        response: { 201: CustomField, 400: Problem, 409: Problem },
      },
    },
    async (request, reply) => reply.status(201).send(await service.create(actorOf(request), request.body)),
  );

  app.patch(
    '/api/v1/custom-fields/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Change a definition (admin): relabel, reorder, options, flags, retire/restore',
        description:
          'Send the version read (If-Match or `version`). The type changes only while no record holds a value ' +
          '(409 otherwise). `options` replaces the list: an option records hold cannot be removed, only retired. ' +
          '`retired: true` hides the field and refuses new values; its values stay on the records; ' +
          '`retired: false` restores it.',
        params: IdParams,
        body: CustomFieldPatch,
        response: { 200: CustomField, 400: Problem, 404: Problem, 409: Problem, 428: Problem },
      },
    },
    async (request) =>
      service.update(actorOf(request), request.params.id, request.body, versionRead(request, request.body)),
  );

  app.delete(
    '/api/v1/custom-fields/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Delete a definition (admin)',
        description:
          'When records hold values, `?confirm=true` is needed (409 otherwise) and the values are removed from ' +
          'every customer, case and task. Follow-ups are append-only: a follow-up field with values can only be ' +
          'retired. Recorded in the field\u2019s history. If-Match is checked when sent.',
        params: IdParams,
        querystring: CustomFieldDeleteQuery,
        response: { 204: Type.Null({ description: 'deleted' }), 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      await service.remove(actorOf(request), request.params.id, {
        confirm: request.query.confirm === true,
        expectedVersion: versionRead(request, undefined, false),
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/custom-fields/:id/history',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Changes to a definition, newest first (admin; kept after a delete)',
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: PageOf(HistoryEntry), 404: Problem },
      },
    },
    async (request) =>
      service.history(actorOf(request), request.params.id, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      }),
  );
}
