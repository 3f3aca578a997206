import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { NotFound } from '../../http/errors.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import { Customer, CustomerPatch } from './schema.js';

const tags = ['customers'];
const ExternalIdParams = Type.Object({
  system: Type.String({ maxLength: 40 }),
  externalId: Type.String({ maxLength: 200 }),
});
const ExternalIdList = Type.Array(Type.Object({ system: Type.String(), id: Type.String() }));
const errors = { 400: Problem, 403: Problem, 404: Problem, 409: Problem };

/** Customers by their ids in other systems (docs/webhooks.md, "External ids"). */
export async function registerCustomerExternalIdRoutes(app: App, ctx: AppContext): Promise<void> {
  const ids = ctx.services.customers.externalIds;

  app.put(
    '/api/v1/customers/by-external-id/:system/:externalId',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: 'Create or change the customer carrying this external id (201 created, 200 changed)',
        description:
          'The body is a customer patch. A new id creates the customer (customers.create) with the usual rules; ' +
          'a known one changes the fields sent (customers.edit; `version` or If-Match optional: without it the ' +
          'last write wins). The history names the system. Sending the same body twice changes nothing.',
        params: ExternalIdParams,
        body: CustomerPatch,
        response: { 200: Customer, 201: Customer, ...errors },
      },
    },
    async (request, reply) => {
      const { system, externalId } = request.params;
      const version = versionRead(request, request.body, false);
      const r = await ids.upsert(actorOf(request), system, externalId, request.body, version);
      return reply
        .status(r.created ? 201 : 200)
        .header('etag', `"${r.customer.version}"`)
        .send(r.customer);
    },
  );

  app.get(
    '/api/v1/customers/by-external-id/:system/:externalId',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: 'The customer carrying this external id',
        params: ExternalIdParams,
        response: { 200: Customer, ...errors },
      },
    },
    async (request) => {
      const c = await ids.find(actorOf(request), request.params.system, request.params.externalId);
      if (!c) throw new NotFound('Customer');
      return c;
    },
  );

  app.get(
    '/api/v1/customers/:id/external-ids',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: "A customer's ids in other systems",
        params: IdParams,
        response: { 200: ExternalIdList, ...errors },
      },
    },
    async (request) => ids.list(actorOf(request), request.params.id),
  );

  app.put(
    '/api/v1/customers/:id/external-ids/:system',
    {
      config: { access: 'customers.edit' },
      schema: {
        tags,
        summary: "Set a customer's id in a system (replacing the one it had there)",
        params: Type.Object({ id: Type.String(), system: Type.String({ maxLength: 40 }) }),
        body: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: ExternalIdList, ...errors },
      },
    },
    async (request) =>
      ids.link(actorOf(request), request.params.id, { system: request.params.system, id: request.body.id }),
  );
}
