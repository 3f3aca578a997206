import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { PrivacyFlow } from './service.js';

const tags = ['privacy'];

const Erasure = Type.Object({
  customerId: Type.String(),
  erasedAt: Type.String({ format: 'date-time' }),
  alreadyErased: Type.Boolean({ description: 'true: erased before; nothing was changed now' }),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'rows changed or deleted, by kind' }),
});

/** Privacy requests: a customer's data as one archive (access), and erasure (docs/exporting.md). */
export async function registerPrivacyRoutes(app: App, ctx: AppContext): Promise<void> {
  const privacy = new PrivacyFlow(ctx.db, ctx.clock);

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
