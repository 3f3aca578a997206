import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { PageOf, PageQuery } from '../../http/pagination.js';
import { IdParams, Problem, NoContent } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import { registerFollowUpRoutes } from './followups-routes.js';
import {
  Case,
  CaseBulk,
  CaseBulkResult,
  CaseCreate,
  CaseGetQuery,
  CaseListQuery,
  CasePatch,
  CaseSettings,
  CaseSettingsPut,
  CaseUnitary,
  CaseWithFollowUps,
  CustomerCasesQuery,
} from './schema.js';
import { HistoryEntry } from '../history/schema.js';
import { TagCounts, TagCountsQuery } from '../../formats/tags.js';

/** How often each process folds the cases report's rollup deltas. */
const ROLLUP_FOLD_MS = 2_000;

/** Cases (K1, K4–K6), their follow-ups (F1), the customer record's cases, and the case settings. */
export async function registerCaseRoutes(app: App, ctx: AppContext): Promise<void> {
  const cases = ctx.services.cases;
  const settings = ctx.services.caseSettings;
  const tags = ['cases'];

  // The report rollups' deltas into their summed tables (docs/reports.md, "Speed"); one fold at a time across processes.
  ctx.jobs.every('case-rollups-fold', ROLLUP_FOLD_MS, async () => {
    const moved = await cases.foldRollups();
    if (moved) ctx.log.debug({ moved }, 'case rollups folded');
  });

  app.get(
    '/api/v1/cases',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary:
          'Case list and search: filters combine; status=open means every open-like status; ownerId=me&status=open is "my open cases"',
        querystring: CaseListQuery,
        response: { 200: PageOf(Case), 400: Problem },
      },
    },
    async (request) => cases.list(actorOf(request), request.query),
  );

  app.post(
    '/api/v1/cases',
    {
      config: { access: 'cases.create' },
      schema: {
        tags,
        summary: 'Open a case for a customer; the case number is assigned',
        body: CaseCreate,
        response: { 201: Case, 400: Problem },
      },
    },
    async (request, reply) => reply.status(201).send(await cases.create(actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/cases/tags',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary:
          'The tags in use on cases, most used first, with how many cases carry each (private cases count only for cases.viewPrivate); q keeps those starting with it',
        querystring: TagCountsQuery,
        response: { 200: TagCounts },
      },
    },
    async (request) => cases.tagCounts(actorOf(request), request.query),
  );

  app.post(
    '/api/v1/cases/bulk',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary:
          'One action on up to 500 cases, all or nothing: assign, status, priority, addTag or removeTag. Each case is changed as PATCH would (privileges, history, events, webhooks); the first that fails undoes the others and is named in the error',
        body: CaseBulk,
        response: { 200: CaseBulkResult, 400: Problem, 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => cases.bulk(actorOf(request), request.body),
  );

  app.get(
    '/api/v1/cases/:id',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: 'A case (private cases: 404 without cases.viewPrivate); include=followUps adds the newest 50',
        params: IdParams,
        querystring: CaseGetQuery,
        response: { 200: CaseWithFollowUps, 404: Problem },
      },
    },
    async (request, reply) => {
      const c = await cases.get(actorOf(request), request.params.id, {
        followUps: request.query.include === 'followUps' ? 50 : 0,
      });
      reply.header('ETag', `"${c.version}"`);
      return c;
    },
  );

  app.patch(
    '/api/v1/cases/:id',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary:
          'Change a case (the fields sent; If-Match or version required). Status needs cases.changeStatus, other fields cases.edit',
        params: IdParams,
        body: CasePatch,
        response: { 200: Case, 400: Problem, 403: Problem, 404: Problem, 409: Problem, 428: Problem },
      },
    },
    async (request) =>
      cases.update(actorOf(request), request.params.id, request.body, versionRead(request, request.body)),
  );

  app.delete(
    '/api/v1/cases/:id',
    {
      config: { access: 'cases.delete' },
      schema: {
        tags,
        summary: 'Delete a case and its follow-ups',
        params: IdParams,
        response: { 204: NoContent, 404: Problem, 409: Problem, 428: Problem },
      },
    },
    async (request, reply) => {
      await cases.delete(actorOf(request), request.params.id, versionRead(request, undefined, false));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/cases/:id/history',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: "The case's history of changes, newest first (field changes, status changes, follow-ups added)",
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: { 200: PageOf(HistoryEntry) },
      },
    },
    async (request) =>
      cases.history(actorOf(request), request.params.id, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      }),
  );

  app.get(
    '/api/v1/customers/:id/cases',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary:
          "A customer's cases, newest first: a table page, or with position (or caseId) one case at a time with previous/next",
        params: IdParams,
        querystring: CustomerCasesQuery,
        response: { 200: Type.Union([PageOf(Case), CaseUnitary]), 404: Problem },
      },
    },
    async (request) => cases.customerCases(actorOf(request), request.params.id, request.query),
  );

  app.get(
    '/api/v1/case-settings',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Case statuses, priorities and severities (ordered) and the reopen policy',
        response: { 200: CaseSettings },
      },
    },
    async (request) => settings.get(actorOf(request)),
  );

  app.put(
    '/api/v1/case-settings',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary:
          'Replace the lists given (order = array order; omitted lists stay) and/or the reopen policy (admin). Keys in use cannot be removed: retire them',
        body: CaseSettingsPut,
        response: { 200: CaseSettings, 400: Problem, 409: Problem },
      },
    },
    async (request) => settings.put(actorOf(request), request.body, versionRead(request, request.body, false)),
  );

  await registerFollowUpRoutes(app, ctx);
}
