import Fastify from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { App, AppContext, ModuleRegistrar } from './context.js';
import type { Db } from './db/adapter.js';
import { EventHub } from './events/hub.js';
import { registerAuth } from './http/auth.js';
import { frameworkErrorHandler, registerErrorHandling } from './http/errors.js';
import { maxDepthKeyword, registerInputBoundary } from './http/input.js';
import { registerResponseCheck, type ResponseMismatch } from './http/response-check.js';
import { registerSecurityHeaders } from './http/headers.js';
import { registerRateLimits } from './http/rate-limit.js';
import { Jobs } from './jobs.js';
import { buildServices } from './services.js';
import { registerUserRoutes } from './modules/users/routes.js';
import { registerEventRoutes } from './events/routes.js';
import { registerCustomerRoutes } from './modules/customers/routes.js';
import { registerCaseRoutes } from './modules/cases/routes.js';
import { registerTaskRoutes } from './modules/tasks/routes.js';
import { registerInteractionRoutes } from './modules/interactions/routes.js';
import { registerCustomFieldRoutes } from './modules/custom-fields/routes.js';
import { registerEmailRoutes } from './modules/email/routes.js';
import { registerPortalRoutes } from './modules/portal/routes.js';
import { registerJobRoutes } from './modules/jobs/routes.js';
import { registerAuditRoutes } from './modules/audit/routes.js';
import { registerNotificationRoutes } from './modules/notifications/routes.js';
import { registerCannedReplyRoutes } from './modules/canned-replies/routes.js';
import { registerCaseViewRoutes } from './modules/case-views/routes.js';
import { registerFaqRoutes } from './modules/faqs/routes.js';
import { registerSearchRoutes } from './modules/search/routes.js';
import { registerImportRoutes } from './modules/imports/routes.js';
import { idempotentDb, registerIdempotency } from './http/idempotency.js';
import { Lifecycle } from './ops/lifecycle.js';
import { registerBackupRoute } from './ops/backup.js';
import type { ReplicaRouter } from './db/replica.js';
import { Metrics } from './ops/metrics.js';
import { registerHealth, type HealthCheck } from './ops/health.js';
import { registerReportRoutes } from './modules/reports/routes.js';
import { registerExportRoutes } from './modules/exports/routes.js';
import { registerWebhookRoutes } from './modules/webhooks/routes.js';
import { registerPrivacyRoutes } from './modules/privacy/routes.js';
import { registerCustomerExternalIdRoutes } from './modules/customers/external-id-routes.js';
import { registerConnectorRoutes } from './modules/connectors/routes.js';

// The built console is dist/web: beside this file's folder when the server runs compiled
// (dist/server/app.js), under the repository root when it runs from src/ (tests, development).
const HERE = path.dirname(fileURLToPath(import.meta.url));
const WEB_DIST =
  path.basename(HERE) === 'server' && path.basename(path.dirname(HERE)) === 'dist'
    ? path.join(HERE, '..', 'web')
    : path.join(HERE, '..', 'dist', 'web');

/** Module route registrars, in order. Each module owns its routes, schema, store and service. */
const MODULES: ModuleRegistrar[] = [
  registerUserRoutes,
  registerEventRoutes,
  registerCustomFieldRoutes,
  registerCustomerRoutes,
  registerCaseRoutes,
  registerTaskRoutes,
  registerInteractionRoutes,
  registerEmailRoutes,
  registerPortalRoutes,
  registerJobRoutes,
  registerAuditRoutes,
  registerImportRoutes,
  registerReportRoutes,
  registerExportRoutes,
  registerWebhookRoutes,
  registerPrivacyRoutes,
  registerCustomerExternalIdRoutes,
  registerNotificationRoutes,
  registerCannedReplyRoutes,
  registerCaseViewRoutes,
  registerFaqRoutes,
  registerSearchRoutes,
  registerConnectorRoutes,
];

export interface BuildOptions {
  /** Start background jobs (reminders, wrap-up, mail). Tests drive them by hand with ctx.jobs.runAll(). */
  runJobs?: boolean;
  logger?: boolean;
  /** The clock for timers and expiries; tests pass a ManualClock. */
  clock?: Clock;
  /** Extra /healthz checks, reported as degraded when not ok. */
  healthChecks?: Record<string, HealthCheck>;
  /** A streaming replica for lookups, searches and lists (DATABASE_REPLICA_URL; src/db/replica.ts). */
  replica?: ReplicaRouter;
  /** Tests: called for every response that does not match the OpenAPI document (src/http/response-check.ts). */
  onResponseMismatch?: (m: ResponseMismatch) => void;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Two validators: request bodies are checked strictly (no type coercion, unknown
 * fields refused); querystrings and params coerce "50" → 50 as URLs need.
 */
function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats(ajv);
  ajv.addKeyword(maxDepthKeyword as unknown as Parameters<Ajv['addKeyword']>[0]);
  return ajv;
}

export async function buildApp(
  rawDb: Db,
  config: Config,
  opts: BuildOptions = {},
): Promise<{ app: App; ctx: AppContext }> {
  // Transactions of a POST with Idempotency-Key also record the key (src/http/idempotency.ts).
  // With a replica, reads outside transactions on the read routes may go there (src/db/replica.ts).
  const db = idempotentDb(opts.replica ? opts.replica.db() : rawDb);
  const app = Fastify({
    logger:
      opts.logger === false || config.logLevel === 'silent'
        ? false
        : {
            level: config.logLevel,
            redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]'],
            // No query strings in logs: they carry phone numbers and emails (PII).
            serializers: {
              req: (req: { method: string; url: string; id: string }) => ({
                method: req.method,
                url: req.url.split('?')[0],
                id: req.id,
              }),
            },
          },
    bodyLimit: 1024 * 1024,
    trustProxy: config.trustProxy,
    genReqId: () => crypto.randomUUID(),
    ajv: { customOptions: { coerceTypes: false } },
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  const bodyAjv = makeAjv(false);
  const urlAjv = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? bodyAjv.compile(schema) : urlAjv.compile(schema),
  );

  registerErrorHandling(app);
  registerInputBoundary(app);
  if (opts.onResponseMismatch) registerResponseCheck(app, opts.onResponseMismatch);
  registerSecurityHeaders(app);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchboard API',
        version: '1',
        description:
          'Contact-center CRM. Auth: session cookie from POST /api/v1/auth/login (writes need X-CSRF-Token) or Authorization: Bearer <api key>. Errors are application/problem+json.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'sb_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const hub = new EventHub(db, app.log);
  const jobs = new Jobs(app.log, opts.runJobs ?? true);
  const clock = opts.clock ?? systemClock;
  const services = buildServices(db, config, hub, clock);
  const routes = registerAuth(app, services.auth);
  const lifecycle = new Lifecycle(app.log);
  const replica = opts.replica;
  const metrics = new Metrics(db, hub, replica ? { replicaState: () => (replica.state === 'ok' ? 1 : 0) } : {});
  const ctx: AppContext = { db, config, clock, hub, services, log: app.log, jobs, routes, lifecycle, metrics };
  metrics.register(app, ctx);
  await registerRateLimits(app, ctx);
  const checks: Record<string, HealthCheck> = { ...opts.healthChecks };
  if (replica) {
    checks.replica = () => ({ ok: replica.state === 'ok', detail: `${replica.state}: ${replica.detail}` });
    replica.register(app);
    lifecycle.onShutdown('replica', () => replica.stop());
  }
  registerHealth(app, ctx, checks);
  registerIdempotency(app, ctx, rawDb);
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  for (const register of MODULES) await register(app, ctx);
  registerBackupRoute(app, ctx);

  await registerWeb(app);

  app.addHook('onReady', async () => {
    replica?.start();
    await hub.start();
    jobs.start();
    if (opts.runJobs ?? true) await services.jobs.start(app.log);
  });
  // Shutdown (SIGTERM or app.close()): /readyz turns 503 at once; running jobs go back to the
  // queue for another process; event streams end with a short retry hint, so consoles reconnect
  // (through the balancer, to another process) and resume with Last-Event-ID. Fastify then stops
  // accepting and waits for in-flight requests; after them the modules' shutdown hooks run.
  app.addHook('preClose', async () => {
    lifecycle.beginDrain();
    await services.jobs.shutdown();
    await jobs.stop();
    await hub.stop();
  });
  app.addHook('onClose', async () => {
    await lifecycle.runShutdownHooks();
  });
  return { app, ctx };
}

/** The console (and Support Center) single-page apps, built by Vite into dist/web. */
async function registerWeb(app: App): Promise<void> {
  if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html')
        .send(
          '<h1>Switchboard</h1><p>The console is not built: run <code>npm run build</code>.</p><p><a href="/docs">API docs</a></p>',
        ),
    );
    return;
  }
  await app.register(fastifyStatic, { root: WEB_DIST, prefix: '/', wildcard: false, index: ['index.html'] });
  // Client-side routes: any other GET that is not the API answers the app shell.
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const url = request.url.split('?')[0];
    if (url.startsWith('/api/')) return reply.callNotFound();
    if (url.startsWith('/portal')) return reply.sendFile('portal.html');
    return reply.sendFile('index.html');
  });
}
