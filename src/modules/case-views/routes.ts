import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import { CaseView, CaseViewCounts, CaseViewCreate, CaseViewList, CaseViewPatch } from './schema.js';

const tags = ['case views'];

/**
 * `/api/v1/case-views` (docs/case-views.md): saved Cases list filters shown as queues. Everybody
 * who sees cases reads the shared views and their own, and writes their own; shared ones need
 * cases.sharedViews (checked by the service, as the route cannot tell a shared write from a
 * personal one).
 */
export async function registerCaseViewRoutes(app: App, ctx: AppContext): Promise<void> {
  const service = ctx.services.caseViews;

  app.get(
    '/api/v1/case-views',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: 'Your own saved case views, then the shared ones, each by position and name',
        response: { 200: CaseViewList },
      },
    },
    async (request) => ({ items: await service.list(actorOf(request)) }),
  );

  app.get(
    '/api/v1/case-views/counts',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: 'How many cases each of your views (and the shared ones) shows you now',
        description:
          'Counted with your access, like the Cases list: private cases count only with cases.viewPrivate; ' +
          '`notUpdatedForDays` is counted back from now.',
        response: { 200: CaseViewCounts },
      },
    },
    async (request) => ({ items: await service.counts(actorOf(request)) }),
  );

  app.get(
    '/api/v1/case-views/:id',
    {
      config: { access: 'cases.view' },
      schema: { tags, summary: 'One saved case view', params: IdParams, response: { 200: CaseView, 404: Problem } },
    },
    async (request) => service.get(actorOf(request), request.params.id),
  );

  app.post(
    '/api/v1/case-views',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: 'Save a case view: your own, or shared (`shared: true`, needs cases.sharedViews)',
        body: CaseViewCreate,
        response: { 201: CaseView, 400: Problem, 403: Problem, 409: Problem },
      },
    },
    async (request, reply) => reply.status(201).send(await service.create(actorOf(request), request.body)),
  );

  app.patch(
    '/api/v1/case-views/:id',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: 'Change a saved case view (your own; a shared one needs cases.sharedViews)',
        description: 'Send the version read (If-Match or `version`).',
        params: IdParams,
        body: CaseViewPatch,
        response: { 200: CaseView, 400: Problem, 403: Problem, 404: Problem, 409: Problem, 428: Problem },
      },
    },
    async (request) =>
      service.update(actorOf(request), request.params.id, request.body, versionRead(request, request.body)!),
  );

  app.delete(
    '/api/v1/case-views/:id',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: 'Delete a saved case view (your own; a shared one needs cases.sharedViews)',
        description: 'If-Match is checked when sent.',
        params: IdParams,
        response: { 204: Type.Null({ description: 'deleted' }), 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      await service.remove(actorOf(request), request.params.id, versionRead(request, undefined, false));
      return reply.status(204).send(null);
    },
  );
}
