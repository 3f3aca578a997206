import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { PageOf } from '../../http/pagination.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { JobListQuery, JobView, toJobView } from './schema.js';

const tags = ['jobs'];

/** Background jobs: the caller's own (and, for administrators, everyone's); a kind's module may offer richer views. */
export async function registerJobRoutes(app: App, ctx: AppContext): Promise<void> {
  const queue = ctx.services.jobs;

  app.get(
    '/api/v1/jobs',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Your background jobs, newest first (`all=true`: every job you may manage)',
        querystring: JobListQuery,
        response: { 200: PageOf(JobView), 400: Problem },
      },
    },
    async (request) => {
      const { limit = 50, ...rest } = request.query;
      const page = await queue.list(actorOf(request), { ...rest, limit });
      return { items: page.items.map(toJobView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/jobs/:id',
    {
      config: { access: 'authenticated' },
      schema: { tags, summary: 'One job', params: IdParams, response: { 200: JobView, 404: Problem } },
    },
    async (request) => toJobView(await queue.get(actorOf(request), request.params.id)),
  );

  app.post(
    '/api/v1/jobs/:id/cancel',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Cancel a job: a queued one at once, a running one before its next step',
        params: IdParams,
        response: { 200: JobView, 404: Problem },
      },
    },
    async (request) => toJobView(await queue.cancel(actorOf(request), request.params.id)),
  );
}
