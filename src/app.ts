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
import { registerErrorHandling } from './http/errors.js';
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
import { registerImportRoutes } from './modules/imports/routes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_DIST = path.join(ROOT, 'dist', 'web');

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
  registerNotificationRoutes,
];

export interface BuildOptions {
  /** Start background jobs (reminders, wrap-up, mail). Tests drive them by hand with ctx.jobs.runAll(). */
  runJobs?: boolean;
  logger?: boolean;
  /** The clock for timers and expiries; tests pass a ManualClock. */
  clock?: Clock;
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
  return ajv;
}

export async function buildApp(
  db: Db,
  config: Config,
  opts: BuildOptions = {},
): Promise<{ app: App; ctx: AppContext }> {
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
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  const bodyAjv = makeAjv(false);
  const urlAjv = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? bodyAjv.compile(schema) : urlAjv.compile(schema),
  );

  registerErrorHandling(app);
  await registerSecurityHeaders(app);
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
  const ctx: AppContext = { db, config, clock, hub, services, log: app.log, jobs, routes };
  await registerRateLimits(app, ctx);

  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await db.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      return reply.status(503).send({ status: 'unavailable' });
    }
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  for (const register of MODULES) await register(app, ctx);

  await registerWeb(app);

  app.addHook('onReady', async () => {
    await hub.start();
    jobs.start();
    if (opts.runJobs ?? true) await services.jobs.start(app.log);
  });
  app.addHook('preClose', async () => {
    await services.jobs.shutdown(); // running jobs go back to the queue for another process
    await jobs.stop();
    await hub.stop();
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
