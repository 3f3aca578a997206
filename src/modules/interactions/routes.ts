import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { PageOf, PageQuery } from '../../http/pagination.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import { Customer, CustomerCreate, HistoryEntrySchema } from '../customers/schema.js';
import {
  Associate,
  CustomerInteractionsQuery,
  Interaction,
  InteractionCreate,
  InteractionListQuery,
  InteractionPatch,
  InteractionWithMatches,
  LookupQuery,
  LookupResult,
  TranscriptPost,
} from './schema.js';

const tags = ['interactions'];
/** How often each server closes interactions whose wrap-up is over (reads refuse edits on time regardless). */
const WRAP_UP_JOB_MS = 5000;
/** How often each process folds the repeat callers' changed callers into their stored gaps (repeat.ts). */
const REPEAT_FOLD_MS = 2_000;

/** Interactions and screen pop (docs/api.md; docs/INTEGRATION.md for integrators). */
export async function registerInteractionRoutes(app: App, ctx: AppContext): Promise<void> {
  const interactions = ctx.services.interactions;

  ctx.jobs.every('interactions-wrap-up', WRAP_UP_JOB_MS, async () => {
    const n = await interactions.closeDueWrapUps();
    if (n > 0) ctx.log.debug({ closed: n }, 'closed interactions after wrap-up');
  });

  // Repeat callers' stored gaps (docs/reports.md); one fold at a time across processes, nobody waits.
  ctx.jobs.every('interactions-repeat-fold', REPEAT_FOLD_MS, async () => {
    const fold = await interactions.foldRepeatCallers();
    if (fold?.moved) ctx.log.debug(fold, 'repeat callers folded');
  });

  app.get(
    '/api/v1/lookup',
    {
      config: { access: 'customers.view', scopes: ['lookup'] },
      schema: {
        tags,
        summary: 'Screen-pop lookup: who is this caller? (lookup-only API keys may call it)',
        description:
          'Give `phone` (any format: national, +country, 00/011 international prefix, trunk 0, extensions), `email` ' +
          '(any case), `caseNumber` or `accountNumber`. With several, they are tried in the order caseNumber, ' +
          'phone, email, accountNumber; the first that matches answers (`matchedBy`). `result` is `found` (one), ' +
          '`multiple` (up to 10, ordered by name) or `not_found`. Drafts never match. Each match carries its open ' +
          'cases (count, newest 5) and last 3 interactions; a case-number match marks the case in `matchedCase`.',
        querystring: LookupQuery,
        response: { 200: LookupResult, 400: Problem },
      },
    },
    async (request) => interactions.lookup(actorOf(request), request.query),
  );

  app.post(
    '/api/v1/interactions',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: 'Report an interaction: matches it, logs it and pops it to the agent',
        description:
          'Matches like the lookup (a case number wins over the phone/email; inbound matches `from`, outbound ' +
          '`to`), stores the interaction against the customer (and case) or unmatched, and sends a `screen.pop` ' +
          'event to `agentId` (a user id or email) over GET /api/v1/events, in the same transaction. The same ' +
          '`reference` again answers the interaction already recorded with 200 (a first report answers 201), and ' +
          'pops nothing.',
        body: InteractionCreate,
        response: { 200: InteractionWithMatches, 201: InteractionWithMatches, 400: Problem },
      },
    },
    async (request, reply) => {
      const { created, interaction } = await interactions.report(actorOf(request), request.body);
      return reply
        .status(created ? 201 : 200)
        .header('etag', `"${interaction.version}"`)
        .send(interaction);
    },
  );

  app.get(
    '/api/v1/interactions/open',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary:
          "The caller's own open interactions (ringing, active, in wrap-up), newest first, each shaped like its screen pop for the caller: the console reads it at every sign-in",
        response: { 200: Type.Object({ items: Type.Array(InteractionWithMatches) }) },
      },
    },
    async (request) => interactions.open(actorOf(request), ctx.clock.now()),
  );

  app.get(
    '/api/v1/interactions/:id',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: 'One interaction, with its customer (or its candidates) and their context',
        params: IdParams,
        response: { 200: InteractionWithMatches, 404: Problem },
      },
    },
    async (request, reply) => {
      const i = await interactions.get(actorOf(request), request.params.id);
      return reply.header('etag', `"${i.version}"`).send(i);
    },
  );

  app.patch(
    '/api/v1/interactions/:id',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: 'Wrap-up and state: notes, disposition, case, end/close, follow-on call',
        description:
          'While the interaction is open or in wrap-up. `state`: `active` (answered), `ended` (wrap-up starts, ' +
          'for WRAP_UP_SECONDS from `endedAt`, default now), `closed` (wrap-up done). `notes`, `disposition` and ' +
          '`caseId` need the version read (If-Match or `version`); a state report alone needs none and keeps the ' +
          'version. `followOnCall` creates a call task with a reminder (tasks.create) in the same transaction. ' +
          'Once closed (the wrap-up period is over) every change answers 409: the notes are read-only.',
        params: IdParams,
        body: InteractionPatch,
        response: { 200: Interaction, 400: Problem, 404: Problem, 409: Problem, 428: Problem },
      },
    },
    async (request, reply) => {
      const version = versionRead(request, request.body, false);
      const i = await interactions.wrapUp.update(actorOf(request), request.params.id, request.body, version);
      return reply.header('etag', `"${i.version}"`).send(i);
    },
  );

  app.post(
    '/api/v1/interactions/:id/transcript',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: "Post the chat transcript: it becomes the body of the interaction's follow-up on its case",
        description:
          'Plain `text`, or `messages` (each with `author`, `at` and `text`), once per interaction (409 after). ' +
          'When the interaction is linked to a case, the follow-up written at close carries the transcript as its ' +
          'body; if that follow-up was already written, the transcript is a new follow-up (append-only).',
        params: IdParams,
        body: TranscriptPost,
        response: { 200: Interaction, 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => ctx.services.caseTimeline.postTranscript(actorOf(request), request.params.id, request.body),
  );

  app.post(
    '/api/v1/interactions/:id/associate',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: 'Associate the interaction with the customer (and case) the agent found',
        description:
          'After a manual search (GET /api/v1/customers?q=|accountNumber=|postalCode=…). If-Match/`version` ' +
          'optional. A closed interaction keeps its customer; an unmatched closed one may still be associated.',
        params: IdParams,
        body: Associate,
        response: { 200: InteractionWithMatches, 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) =>
      interactions.associate(
        actorOf(request),
        request.params.id,
        request.body,
        versionRead(request, request.body, false),
      ),
  );

  app.post(
    '/api/v1/interactions/:id/customer',
    {
      config: { access: 'customers.create' },
      schema: {
        tags,
        summary: 'Create a customer prefilled from the interaction (its number or email) and associate it',
        description:
          "The body is a customer as for POST /api/v1/customers; the interaction's phone number (or email " +
          'address) is added unless already given. One transaction: the customer, the association, their history.',
        params: IdParams,
        body: CustomerCreate,
        response: {
          201: Type.Object({ customer: Customer, interaction: InteractionWithMatches }),
          400: Problem,
          404: Problem,
          409: Problem,
        },
      },
    },
    async (request, reply) => {
      const out = await interactions.createCustomer(actorOf(request), request.params.id, request.body);
      return reply.status(201).send(out);
    },
  );

  app.get(
    '/api/v1/interactions/:id/history',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: "The interaction's history of changes, newest first",
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: PageOf(HistoryEntrySchema), 404: Problem },
      },
    },
    async (request) => {
      const { limit = 50, cursor } = request.query;
      return interactions.history(actorOf(request), request.params.id, { limit, cursor });
    },
  );

  app.get(
    '/api/v1/customers/:id/interactions',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: "The customer's interactions, newest first",
        params: IdParams,
        querystring: CustomerInteractionsQuery,
        response: { 200: PageOf(Interaction), 404: Problem },
      },
    },
    async (request) => {
      const { limit = 50, cursor } = request.query;
      return interactions.listForCustomer(actorOf(request), request.params.id, { limit, cursor });
    },
  );

  app.get(
    '/api/v1/interactions',
    {
      config: { access: 'customers.view' },
      schema: {
        tags,
        summary: 'Interactions, newest first, filtered (the lists behind the reports)',
        querystring: InteractionListQuery,
        response: { 200: PageOf(Interaction), 400: Problem },
      },
    },
    async (request) => interactions.list(actorOf(request), request.query),
  );
}
