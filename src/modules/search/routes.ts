import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { Problem } from '../../http/schemas.js';
import { SearchQuery, SearchResults } from './schema.js';

const tags = ['search'];

/**
 * `GET /api/v1/search` (docs/agent-workflow.md, "Global search"): one query across
 * customers, cases, tasks and interactions, grouped by type. Open to every signed-in
 * user; each group needs its type's view privilege (checked by each module's service),
 * so a caller sees only the groups, and the records, they may see.
 */
export async function registerSearchRoutes(app: App, ctx: AppContext): Promise<void> {
  const search = ctx.services.globalSearch;

  app.get(
    '/api/v1/search',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Search customers, cases (with follow-ups and emails), tasks and interactions at once',
        description:
          'Groups by type, each ranked best first and cut to `limit`. A group is present only when you hold ' +
          'its view privilege (customers.view: customers and interactions; cases.view: cases; tasks.view: tasks). ' +
          'Private cases are found only with cases.viewPrivate; internal follow-ups only by staff.',
        querystring: SearchQuery,
        response: { 200: SearchResults, 400: Problem },
      },
    },
    async (request) => search.search(actorOf(request), request.query),
  );
}
