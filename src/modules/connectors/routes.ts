import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { RotateBody } from '../webhooks/schema.js';
import {
  ConnectorCreate,
  ConnectorPatch,
  ConnectorSchema,
  ConnectorSettings,
  ConnectorSettingsPut,
  ConnectorTestResult,
  ConnectorWithSecret,
} from './schema.js';

const tags = ['integrations'];
const access = 'integrations.manage' as const;
const BASE = '/api/v1/integrations/connectors';
/** A safety net under NOTIFY: every process reads the connector configuration again this often. */
const RELOAD_MS = 60_000;
/** How often every process looks for scheduled syncs that are due (each is enqueued by one process). */
const SCHEDULE_MS = 30_000;

/** CRM connectors: their configuration, the lookup order and the write-back job (docs/webhooks.md). */
export async function registerConnectorRoutes(app: App, ctx: AppContext): Promise<void> {
  const svc = ctx.services.connectors;
  svc.registerJobs();
  await svc.start();
  ctx.jobs.every('connector configuration reload', RELOAD_MS, async () => {
    await svc.reload();
  });
  ctx.jobs.every('connector sync schedule', SCHEDULE_MS, async () => {
    await svc.scheduleSyncs();
  });
  app.addHook('onClose', async () => svc.stop());

  app.get(
    `${BASE}/settings`,
    {
      config: { access },
      schema: { tags, summary: 'How the screen pop uses the connectors', response: { 200: ConnectorSettings } },
    },
    async (request) => svc.settings(actorOf(request)),
  );
  app.put(
    `${BASE}/settings`,
    {
      config: { access },
      schema: {
        tags,
        summary: 'Set the screen pop’s lookup order',
        body: ConnectorSettingsPut,
        response: { 200: ConnectorSettings, 400: Problem, 409: Problem },
      },
    },
    async (request) => svc.updateSettings(actorOf(request), request.body),
  );

  app.get(
    BASE,
    {
      config: { access },
      schema: { tags, summary: 'CRM connectors', response: { 200: Type.Array(ConnectorSchema) } },
    },
    async (request) => svc.list(actorOf(request)),
  );
  app.post(
    BASE,
    {
      config: { access },
      schema: {
        tags,
        summary: 'Add a connector; an http one’s answer carries its signing secret, shown only this once',
        body: ConnectorCreate,
        response: { 201: ConnectorWithSecret, 400: Problem, 409: Problem },
      },
    },
    async (request, reply) => reply.status(201).send(await svc.create(actorOf(request), request.body)),
  );
  app.get(
    `${BASE}/:id`,
    {
      config: { access },
      schema: { tags, summary: 'One connector', params: IdParams, response: { 200: ConnectorSchema, 404: Problem } },
    },
    async (request) => svc.get(actorOf(request), request.params.id),
  );
  app.patch(
    `${BASE}/:id`,
    {
      config: { access },
      schema: {
        tags,
        summary: 'Change a connector',
        params: IdParams,
        body: ConnectorPatch,
        response: { 200: ConnectorSchema, 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => svc.update(actorOf(request), request.params.id, request.body),
  );
  app.delete(
    `${BASE}/:id`,
    {
      config: { access },
      schema: { tags, summary: 'Remove a connector', params: IdParams, response: { 204: Type.Null(), 404: Problem } },
    },
    async (request, reply) => {
      await svc.delete(actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
  app.post(
    `${BASE}/:id/rotate-secret`,
    {
      config: { access },
      schema: {
        tags,
        summary: 'http: a new signing secret (shown once); the old one keeps signing too during the grace period',
        params: IdParams,
        body: RotateBody,
        response: { 200: ConnectorWithSecret, 400: Problem, 404: Problem },
      },
    },
    async (request) => svc.rotateSecret(actorOf(request), request.params.id, request.body.graceSeconds),
  );
  app.post(
    `${BASE}/:id/test`,
    {
      config: { access },
      schema: {
        tags,
        summary: 'Test the connection now (a harmless lookup); the outcome is kept on the connector',
        params: IdParams,
        response: { 200: ConnectorTestResult, 404: Problem },
      },
    },
    async (request) => svc.test(actorOf(request), request.params.id),
  );
  app.post(
    `${BASE}/:id/sync`,
    {
      config: { access },
      schema: {
        tags,
        summary:
          'Sync contacts both ways now: pull the CRM changes, push local ones (a background job: GET /api/v1/jobs/{jobId})',
        params: IdParams,
        response: { 202: Type.Object({ jobId: Type.String() }), 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => reply.status(202).send(await svc.startSync(actorOf(request), request.params.id)),
  );
}
