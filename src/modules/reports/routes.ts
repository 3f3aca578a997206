import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { Problem } from '../../http/schemas.js';
import { CasesReport, InteractionsReport, ReportQuery, TasksReport, Wallboard, WorkloadReport } from './schema.js';

const tags = ['reports'];
const FIGURES =
  'Every figure is `{count, list}`: GET `list.path` with `list.query` (and limit/cursor) lists exactly the ' +
  '`count` records behind it. Dates are days in `tz`; buckets start on local midnights (weeks on Mondays). ' +
  'Definitions: docs/reports.md.';

/** Reports and the wallboard (privilege reports.view). */
export async function registerReportRoutes(app: App, ctx: AppContext): Promise<void> {
  const reports = ctx.services.reports;

  app.get(
    '/api/v1/reports/cases',
    {
      config: { access: 'reports.view' },
      schema: {
        tags,
        summary: 'Cases: opened/closed/reopened per bucket, backlog, first response, resolution, FCR, reopen rate',
        description: FIGURES,
        querystring: ReportQuery,
        response: { 200: CasesReport, 400: Problem },
      },
    },
    async (request) => reports.cases(actorOf(request), request.query),
  );

  app.get(
    '/api/v1/reports/interactions',
    {
      config: { access: 'reports.view' },
      schema: {
        tags,
        summary: 'Interactions per channel and direction, per bucket and hour of day; unmatched and repeat callers',
        description: FIGURES + ' `ownerId` is the agent; priority, severity and status do not apply.',
        querystring: ReportQuery,
        response: { 200: InteractionsReport, 400: Problem },
      },
    },
    async (request) => reports.interactions(actorOf(request), request.query),
  );

  app.get(
    '/api/v1/reports/workload',
    {
      config: { access: 'reports.view' },
      schema: {
        tags,
        summary: 'Per agent: open cases, open and overdue tasks (now); interactions handled and wrapped up (range)',
        description: FIGURES,
        querystring: ReportQuery,
        response: { 200: WorkloadReport, 400: Problem },
      },
    },
    async (request) => reports.workload(actorOf(request), request.query),
  );

  app.get(
    '/api/v1/reports/tasks',
    {
      config: { access: 'reports.view' },
      schema: {
        tags,
        summary: 'Tasks due per bucket: done on time, done late, overdue (open past due)',
        description: FIGURES + ' `ownerId` is the assignee; channel, priority, severity and status do not apply.',
        querystring: ReportQuery,
        response: { 200: TasksReport, 400: Problem },
      },
    },
    async (request) => reports.tasks(actorOf(request), request.query),
  );

  app.get(
    '/api/v1/reports/wallboard',
    {
      config: { access: 'reports.view' },
      schema: {
        tags,
        summary: 'The wallboard tiles, now (the console refreshes them on live events)',
        description: FIGURES,
        querystring: ReportQuery,
        response: { 200: Wallboard, 400: Problem },
      },
    },
    async (request) => reports.wallboard(actorOf(request), request.query),
  );
}
