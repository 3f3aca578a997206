import { TagCounts, TagCountsQuery } from '../../formats/tags.js';
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { PageOf, PageQuery } from '../../http/pagination.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import { DuplicatesAnswer, DuplicatesQuery, findDuplicates } from './duplicates.js';
import { CustomerMergeFlow } from '../../flows/customer-merge.js';
import { MergeBody, MergeResult } from './merge.js';
import {
  Customer,
  CustomerCreate,
  CustomerPatch,
  CustomerQuery,
  HistoryEntrySchema,
  Preferences,
  PreferencesPut,
} from './schema.js';

const tags = ['customers'];
const errors = { 400: Problem, 404: Problem, 409: Problem };

/** Customers (docs/api.md): CRUD, search, history of changes, and the user's list preferences. */
export async function registerCustomerRoutes(app: App, ctx: AppContext): Promise<void> {
  const customers = ctx.services.customers;
  const merger = new CustomerMergeFlow(ctx.db, ctx.services);

  app.get(
    '/api/v1/customers',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: 'List and search customers',
        description:
          '`q`: fuzzy first/last name and company, prefix of account number, email or last name, a phone number ' +
          'or its last digits (≥ 4). Exact filters: `email` (any case), `phone` (any format: exact E.164, else ' +
          'the last digits), `accountNumber`, `postalCode` (primary or secondary address; spaces and case ignored), ' +
          '`draft`, `vip`, `tag` (repeatable: every tag given); custom fields: `cf.<key>=` and, for number/decimal/date/dateTime, `cf.<key>.gte|gt|lte|lt=` ' +
          '(filterable fields); searchable custom fields are part of `q`. Keyset pagination; no total count.',
        querystring: CustomerQuery,
        response: { 200: PageOf(Customer), 400: Problem },
      },
    },
    async (request) => {
      const { limit = 50, ...rest } = request.query;
      return customers.list(actorOf(request), { ...rest, limit });
    },
  );

  app.get(
    '/api/v1/customers/tags',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary:
          'The tags in use on customers, most used first, with how many customers carry each; q keeps those starting with it',
        querystring: TagCountsQuery,
        response: { 200: TagCounts },
      },
    },
    async (request) => customers.tagCounts(actorOf(request), request.query),
  );

  app.post(
    '/api/v1/customers',
    {
      config: { access: 'customers.create' },
      schema: {
        tags,
        summary: 'Create a customer (or a draft: `draft: true` may leave names empty)',
        body: CustomerCreate,
        response: { 201: Customer, ...errors },
      },
    },
    async (request, reply) => {
      const created = await customers.create(actorOf(request), request.body);
      return reply.status(201).header('etag', `"${created.version}"`).send(created);
    },
  );

  app.post(
    '/api/v1/customers/duplicates',
    {
      config: { access: 'customers.create' },
      schema: {
        tags,
        summary: 'Likely duplicates of a customer being typed (a warning: creating is never refused)',
        description:
          'Up to 10 existing customers (drafts included), best first, each with its `reasons`: `sameEmail` (any ' +
          'case), `samePhone` (the same number in any format), `similarName` (first and last name both match as ' +
          'the `q` search matches them, typos included). Send what has been typed so far; `excludeId` leaves a ' +
          'customer out. Reads only (POST because the values travel in the body, not the logged URL). Needs ' +
          'customers.view as well as customers.create (403 otherwise: the candidates are customers).',
        body: DuplicatesQuery,
        response: { 200: DuplicatesAnswer, 400: Problem, 403: Problem },
      },
    },
    async (request) => ({
      items: await findDuplicates(ctx.db, ctx.config.defaultPhoneRegion, actorOf(request), request.body),
    }),
  );

  app.post(
    '/api/v1/customers/:id/merge',
    {
      config: { access: 'customers.delete' },
      schema: {
        tags,
        summary: 'Merge customer `fromId` into this one (which survives); `fromId` is deleted',
        description:
          "One transaction: the other customer's cases, tasks and interactions move here, with its phones this " +
          'one lacks and its Support Center account when this one has none (both having one: 409 naming ' +
          '`fromId`); empty fields here are filled from the other (`fields` chooses per field: `survivor` or ' +
          '`merged`). Needs `customers.edit`, `customers.delete`, `cases.edit` and `tasks.edit`. `version` (or ' +
          "If-Match) is this customer's version read, `fromVersion` the other's; a stale one is a 409 with the " +
          'current record in `current`. `dryRun: true` answers the outcome and changes nothing.',
        params: IdParams,
        body: MergeBody,
        response: { 200: MergeResult, ...errors, 428: Problem },
      },
    },
    async (request, reply) => {
      const version = versionRead(request, request.body)!;
      const result = await merger.merge(actorOf(request), request.params.id, request.body, version);
      return reply.header('etag', `"${result.customer.version}"`).send(result);
    },
  );

  app.get(
    '/api/v1/customers/:id',
    {
      config: { access: 'customers.view' },
      schema: { tags, summary: 'One customer', params: IdParams, response: { 200: Customer, 404: Problem } },
    },
    async (request, reply) => {
      const c = await customers.get(actorOf(request), request.params.id);
      return reply.header('etag', `"${c.version}"`).send(c);
    },
  );

  app.patch(
    '/api/v1/customers/:id',
    {
      config: { access: 'customers.edit' },
      schema: {
        tags,
        summary: 'Change the fields sent; needs the version read (If-Match or `version`)',
        description:
          'A stale version answers 409 with the current record in `current`. `phones`, when sent, replaces the ' +
          'list; an address, when sent, replaces that address. `accountNumber` cannot change.',
        params: IdParams,
        body: CustomerPatch,
        response: { 200: Customer, ...errors, 428: Problem },
      },
    },
    async (request, reply) => {
      const version = versionRead(request, request.body);
      const c = await customers.update(actorOf(request), request.params.id, request.body, version);
      return reply.header('etag', `"${c.version}"`).send(c);
    },
  );

  app.delete(
    '/api/v1/customers/:id',
    {
      config: { access: 'customers.delete' },
      schema: {
        tags,
        summary: 'Delete a customer (its history of changes is kept); If-Match optional',
        params: IdParams,
        response: { 204: Type.Null(), 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      await customers.delete(actorOf(request), request.params.id, versionRead(request, undefined, false));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/customers/:id/history',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: "The customer's history of changes, newest first (kept after a delete)",
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: PageOf(HistoryEntrySchema), 404: Problem },
      },
    },
    async (request) => {
      const { limit = 50, cursor } = request.query;
      return customers.history(actorOf(request), request.params.id, { limit, cursor });
    },
  );

  app.get(
    '/api/v1/me/preferences',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['preferences'],
        summary:
          "My preferences: key → JSON (e.g. `customers.columns`, `cases.columns`: those lists' columns, in order)",
        response: { 200: Preferences },
      },
    },
    async (request) => customers.preferences.get(actorOf(request)),
  );

  app.put(
    '/api/v1/me/preferences',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['preferences'],
        summary: 'Set some of my preferences (a null value removes a key); answers all of them',
        body: PreferencesPut,
        response: { 200: Preferences, 400: Problem },
      },
    },
    async (request) => customers.preferences.put(actorOf(request), request.body),
  );
}
