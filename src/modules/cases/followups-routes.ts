import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { AppError } from '../../http/errors.js';
import { PageOf } from '../../http/pagination.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { FollowUp, FollowUpCreate, FollowUpListQuery } from './schema.js';

const FollowUpParams = Type.Object({ id: Type.String(), followUpId: Type.String() });

/** Follow-ups (F1): read and append only; there is no way to change or remove one. */
export async function registerFollowUpRoutes(app: App, ctx: AppContext): Promise<void> {
  const followUps = ctx.services.cases.followUps;
  const tags = ['cases'];

  app.get(
    '/api/v1/cases/:id/follow-ups',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: "A case's follow-ups, oldest first (order=newest for the reverse), paginated",
        params: IdParams,
        querystring: FollowUpListQuery,
        response: { 200: PageOf(FollowUp), 404: Problem },
      },
    },
    async (request) => followUps.list(actorOf(request), request.params.id, request.query),
  );

  app.post(
    '/api/v1/cases/:id/follow-ups',
    {
      config: { access: 'cases.addFollowUp' },
      schema: {
        tags,
        summary:
          'Add a follow-up (append-only). Inbound ones (or reopens=true) reopen a closed case as the reopen policy says',
        params: IdParams,
        body: FollowUpCreate,
        response: {
          201: Type.Intersect([
            FollowUp,
            Type.Object({
              reopened: Type.Boolean({ description: 'this follow-up reopened the case' }),
              caseVersion: Type.Integer(),
            }),
          ]),
          400: Problem,
          404: Problem,
        },
      },
    },
    async (request, reply) => {
      const added = await followUps.add(actorOf(request), request.params.id, request.body);
      return reply.status(201).send({ ...added.followUp, reopened: added.reopened, caseVersion: added.case.version });
    },
  );

  app.get(
    '/api/v1/cases/:id/follow-ups/:followUpId',
    {
      config: { access: 'cases.view' },
      schema: { tags, summary: 'One follow-up', params: FollowUpParams, response: { 200: FollowUp, 404: Problem } },
    },
    async (request) => followUps.get(actorOf(request), request.params.id, request.params.followUpId),
  );

  // Follow-ups are immutable: a correction is a new follow-up (the table refuses changes too).
  app.route({
    method: ['PUT', 'PATCH', 'DELETE'],
    url: '/api/v1/cases/:id/follow-ups/:followUpId',
    config: { access: 'authenticated' },
    schema: { hide: true, params: FollowUpParams },
    handler: async (_request, reply) => {
      reply.header('Allow', 'GET');
      throw new AppError(405, 'Method Not Allowed', 'Follow-ups cannot be changed or removed; add a new one');
    },
  });
}
