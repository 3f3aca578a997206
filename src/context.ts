import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/adapter.js';
import type { EventHub } from './events/hub.js';
import type { RouteAccess } from './http/auth.js';
import type { Services } from './services.js';
import type { Lifecycle } from './ops/lifecycle.js';
import type { Metrics } from './ops/metrics.js';

/** The Fastify instance with TypeBox types, as every module's routes see it. */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What a module gets when it registers: the database, configuration, live events and the other services. */
export interface AppContext {
  db: Db;
  config: Config;
  /** The current time for everything that schedules or expires (tests pass a ManualClock). */
  clock: Clock;
  hub: EventHub;
  services: Services;
  log: FastifyBaseLogger;
  /** Background work (reminder poller, wrap-up closer, mail sender) started with the server, stopped on close. */
  jobs: JobRunner;
  /** Every API route with its declared access, filled as modules register. */
  routes: RouteAccess[];
  /** Shutdown: `lifecycle.onShutdown(name, fn)` runs fn after in-flight requests drained (docs/operations.md). */
  lifecycle: Lifecycle;
  /** Prometheus registry (`metrics.registry`) for modules that add their own metrics. */
  metrics: Metrics;
}

export interface JobRunner {
  /** Runs fn every `ms` (never two at once); errors are logged, not fatal. */
  every(name: string, ms: number, fn: () => Promise<void>): void;
  /** Runs every job once now (tests use it instead of waiting). */
  runAll(): Promise<void>;
}

export type ModuleRegistrar = (app: App, ctx: AppContext) => Promise<void> | void;
