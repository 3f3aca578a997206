import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { PageOf } from '../../http/pagination.js';
import { IdParams, Problem } from '../../http/schemas.js';
import {
  DeliveryQuery,
  ReplayBody,
  RotateBody,
  SettingsPut,
  SettingsSchema,
  WebhookCreate,
  WebhookDeliveryDetail,
  WebhookDeliverySchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecret,
  WebhookPatch,
} from './schema.js';

const tags = ['webhooks'];
const access = 'integrations.manage' as const;
const DeliveryParams = Type.Object({ id: Type.String(), deliveryId: Type.String() });

/** Webhook endpoints, their deliveries and the delivery worker (docs/webhooks.md). */
export async function registerWebhookRoutes(app: App, ctx: AppContext): Promise<void> {
  const svc = ctx.services.webhooks;
  // Every process delivers: NOTIFY from the outbox wakes the poller at once (listening starts with the
  // first tick, so only where jobs run); a poll a few times a second is the safety net. Claims: SKIP LOCKED.
  ctx.jobs.every('webhook deliveries', 250, async () => {
    await svc.listen();
    await svc.poll();
  });
  ctx.jobs.every('webhook log prune', 3600_000, async () => {
    await svc.prune();
  });
  app.addHook('preClose', async () => svc.drain());

  app.get(
    '/api/v1/webhooks/event-types',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'The event types an endpoint can subscribe to',
        response: { 200: Type.Array(Type.Object({ type: Type.String(), description: Type.String() })) },
      },
    },
    async () => svc.eventTypes(),
  );

  app.get(
    '/api/v1/webhooks/settings',
    {
      config: { access },
      schema: { tags, summary: 'Hosts allowed past the SSRF guard', response: { 200: SettingsSchema } },
    },
    async (request) => svc.settings(actorOf(request)),
  );
  app.put(
    '/api/v1/webhooks/settings',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Set the hosts allowed past the SSRF guard',
        body: SettingsPut,
        response: { 200: SettingsSchema, 400: Problem, 409: Problem },
      },
    },
    async (request) => svc.updateSettings(actorOf(request), request.body),
  );

  app.get(
    '/api/v1/webhooks',
    {
      config: { access },
      schema: { tags, summary: 'Webhook endpoints', response: { 200: Type.Array(WebhookEndpointSchema) } },
    },
    async (request) => svc.list(actorOf(request)),
  );
  app.post(
    '/api/v1/webhooks',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Register an endpoint; the answer carries its secret, shown only this once',
        body: WebhookCreate,
        response: { 201: WebhookEndpointWithSecret, 400: Problem },
      },
    },
    async (request, reply) => reply.status(201).send(await svc.create(actorOf(request), request.body)),
  );
  app.get(
    '/api/v1/webhooks/:id',
    {
      config: { access },
      schema: {
        tags,
        summary: 'One endpoint',
        params: IdParams,
        response: { 200: WebhookEndpointSchema, 404: Problem },
      },
    },
    async (request) => svc.get(actorOf(request), request.params.id),
  );
  app.patch(
    '/api/v1/webhooks/:id',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Change an endpoint (enabling it again clears the disabled flag)',
        params: IdParams,
        body: WebhookPatch,
        response: { 200: WebhookEndpointSchema, 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => {
      const { version, ...patch } = request.body;
      return svc.update(actorOf(request), request.params.id, patch, version ?? null);
    },
  );
  app.delete(
    '/api/v1/webhooks/:id',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Delete an endpoint and its delivery log',
        params: IdParams,
        response: { 204: Type.Null(), 404: Problem },
      },
    },
    async (request, reply) => {
      await svc.delete(actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
  app.post(
    '/api/v1/webhooks/:id/rotate-secret',
    {
      config: { access },
      schema: {
        tags,
        summary: 'A new secret (shown once); the old one keeps signing during the grace period',
        params: IdParams,
        body: RotateBody,
        response: { 200: WebhookEndpointWithSecret, 404: Problem },
      },
    },
    async (request) => svc.rotateSecret(actorOf(request), request.params.id, request.body.graceSeconds),
  );
  app.post(
    '/api/v1/webhooks/:id/test',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Send a test event (webhook.test) to this endpoint',
        params: IdParams,
        response: { 202: WebhookDeliverySchema, 404: Problem },
      },
    },
    async (request, reply) => reply.status(202).send(await svc.sendTest(actorOf(request), request.params.id)),
  );
  app.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      config: { access },
      schema: {
        tags,
        summary: 'The delivery log, newest first',
        params: IdParams,
        querystring: DeliveryQuery,
        response: { 200: PageOf(WebhookDeliverySchema), 400: Problem, 404: Problem },
      },
    },
    async (request) => {
      const { limit = 50, ...rest } = request.query;
      return svc.deliveries(actorOf(request), request.params.id, { ...rest, limit });
    },
  );
  app.get(
    '/api/v1/webhooks/:id/deliveries/:deliveryId',
    {
      config: { access },
      schema: {
        tags,
        summary: 'One delivery with its body and every attempt',
        params: DeliveryParams,
        response: { 200: WebhookDeliveryDetail, 404: Problem },
      },
    },
    async (request) => svc.delivery(actorOf(request), request.params.id, request.params.deliveryId),
  );
  app.post(
    '/api/v1/webhooks/:id/deliveries/:deliveryId/replay',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Send a finished delivery again (same webhook-id)',
        params: DeliveryParams,
        response: { 200: WebhookDeliverySchema, 404: Problem },
      },
    },
    async (request) => svc.replay(actorOf(request), request.params.id, request.params.deliveryId),
  );
  app.post(
    '/api/v1/webhooks/:id/replay',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Replay every failed delivery created since a time',
        params: IdParams,
        body: ReplayBody,
        response: { 200: Type.Object({ replayed: Type.Integer() }), 400: Problem, 404: Problem },
      },
    },
    async (request) => svc.replayFailed(actorOf(request), request.params.id, new Date(request.body.since)),
  );
}
