import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { PrivacyFlow } from './service.js';
import { CaseRetention } from './retention.js';
import { Erasure, ErasureRecord, Retention, RetentionPut } from './schema.js';

const tags = ['privacy'];

/** Privacy requests: a customer's data as one archive (access), erasure, and retention (docs/exporting.md). */
export async function registerPrivacyRoutes(app: App, ctx: AppContext): Promise<void> {
  const privacy = new PrivacyFlow(ctx.db, ctx.clock);
  const retention = new CaseRetention(ctx.db, ctx.clock);

  ctx.jobs.every('case-retention', 60 * 60_000, async () => {
    const n = await retention.apply();
    if (n > 0) ctx.log.info({ erased: n }, 'closed cases past their retention erased');
  });

  app.get(
    '/api/v1/privacy/retention',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'How long closed cases are kept before they are erased (administrators)',
        response: { 200: Retention, 403: Problem },
      },
    },
    async (request) => retention.get(actorOf(request)),
  );

  app.put(
    '/api/v1/privacy/retention',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Set how long closed cases are kept (null: for ever); version guards against lost updates',
        body: RetentionPut,
        response: { 200: Retention, 400: Problem, 403: Problem, 409: Problem },
      },
    },
    async (request) => retention.set(actorOf(request), request.body.closedCaseMonths, request.body.version ?? null),
  );

  app.get(
    '/api/v1/customers/:id/privacy-export',
    {
      config: { access: 'data.export' },
      schema: {
        tags,
        summary: 'Everything held about one customer, as a zip (needs data.export and the view privileges)',
        params: IdParams,
        produces: ['application/zip'],
        response: { 200: Type.String({ description: 'application/zip' }), 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const { zip, fileName } = await privacy.exportCustomer(actorOf(request), request.params.id);
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .header('cache-control', 'private, no-store')
        .send(Buffer.from(zip) as unknown as string);
    },
  );

  app.get(
    '/api/v1/customers/:id/erasure',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: "A customer's erasure record (who erased them, when and why), or null if never erased",
        params: IdParams,
        response: { 200: ErasureRecord, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      const e = await privacy.erasureOf(request.params.id);
      return { erasure: e && { erasedAt: e.erasedAt.toISOString(), erasedBy: e.erasedBy, reason: e.reason } };
    },
  );

  app.post(
    '/api/v1/customers/:id/erase',
    {
      config: { access: 'customers.erase' },
      schema: {
        tags,
        summary: "Erase a customer's personal data everywhere (irreversible; a second call changes nothing)",
        params: IdParams,
        body: Type.Object(
          {
            reason: Type.String({
              minLength: 1,
              maxLength: 2000,
              description: 'why (kept in the erasure record): a request reference, not the erased data',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Erasure, 400: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      const r = await privacy.erase(actorOf(request), request.params.id, request.body.reason.trim() || '-');
      return { ...r, erasedAt: r.erasedAt.toISOString() };
    },
  );
}
