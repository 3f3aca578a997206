import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import path from 'node:path';

/**
 * Environment → typed configuration, validated once at start. A bad value stops
 * the process with a message naming the variable (never a stack trace).
 */
const Env = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  DEFAULT_PHONE_REGION: Type.String({ pattern: '^[A-Z]{2}$', default: 'US' }),
  SWITCHBOARD_ADMIN_EMAIL: Type.Optional(Type.String({ pattern: '^[^@ ]+@[^@ ]+$' })),
  SWITCHBOARD_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8 })),
  SESSION_IDLE_MINUTES: Type.Integer({ minimum: 1, maximum: 60 * 24 * 30, default: 60 }),
  SESSION_MAX_HOURS: Type.Integer({ minimum: 1, maximum: 24 * 30, default: 12 }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 600 }),
  RATE_LIMIT_LOOKUP_PER_MINUTE: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 12_000 }),
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 1024, maximum: 1048576, default: 65536 }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 1, maximum: 20, default: 3 }),
  LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
  TRUST_PROXY: Type.Boolean({ default: false }),
  PG_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 20 }),
  STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600000, default: 15000 }),
  WRAP_UP_SECONDS: Type.Integer({ minimum: 0, maximum: 86400, default: 120 }),
  SMTP_LISTEN_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  SMTP_LISTEN_HOST: Type.String({ default: '127.0.0.1' }),
  SMTP_ACCEPT_DOMAINS: Type.Optional(Type.String()),
  SMTP_TLS_CERT: Type.Optional(Type.String({ minLength: 1 })),
  SMTP_TLS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  SMTP_AUTH_USER: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
  SMTP_AUTH_PASSWORD: Type.Optional(Type.String({ minLength: 12, maxLength: 256 })),
  SMTP_RELAY_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ default: 'support@switchboard.local' }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  JOB_LEASE_SECONDS: Type.Integer({ minimum: 2, maximum: 3600, default: 30 }),
  JOB_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 32, default: 2 }),
  IMPORT_MAX_BYTES: Type.Integer({ minimum: 1024, maximum: 1024 ** 4, default: 2 * 1024 ** 3 }),
  ATTACHMENT_MAX_BYTES: Type.Integer({ minimum: 1, maximum: 100 * 1024 ** 2, default: 10 * 1024 ** 2 }),
  ATTACHMENT_MAX_TOTAL_BYTES: Type.Integer({ minimum: 1, maximum: 500 * 1024 ** 2, default: 20 * 1024 ** 2 }),
  ATTACHMENT_SCAN_COMMAND: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, maxLength: 512, pattern: '^\\S+$' })),
  DATABASE_POOLER: Type.Union([Type.Literal('none'), Type.Literal('transaction')], { default: 'none' }),
  DATABASE_LISTEN_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_REPLICA_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  REPLICA_MAX_LAG_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 10 }),
  READ_YOUR_WRITES_SECONDS: Type.Integer({ minimum: 0, maximum: 3600, default: 5 }),
  SHUTDOWN_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
  IDEMPOTENCY_KEY_HOURS: Type.Integer({ minimum: 1, maximum: 24 * 30, default: 24 }),
  EXPORT_KEEP_HOURS: Type.Integer({ minimum: 1, maximum: 24 * 90, default: 72 }),
  WEBHOOK_ALLOWED_HOSTS: Type.Optional(Type.String({ maxLength: 4000 })),
  WEBHOOK_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60000, default: 10000 }),
  WEBHOOK_DB_POOL_SIZE: Type.Integer({ minimum: 0, maximum: 50, default: 4 }),
});
type EnvConfig = Static<typeof Env>;

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  defaultPhoneRegion: string;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  sessionIdleMinutes: number;
  /** A session ends this long after sign-in, however active (sliding never extends it). */
  sessionMaxHours: number;
  /** API requests per minute per user or API key, and per lookup-only key; 0: no limit. */
  rateLimit: { perMinute: number; lookupPerMinute: number };
  argon2: { memoryCost: number; timeCost: number };
  logLevel: EnvConfig['LOG_LEVEL'];
  trustProxy: boolean;
  pgPoolSize: number;
  statementTimeoutMs: number;
  wrapUpSeconds: number;
  smtp: {
    listenPort: number | undefined;
    listenHost: string;
    acceptDomains: string[];
    /** PEM certificate and key for STARTTLS on the listener (paths as given; read at start). */
    tls: { certPath: string; keyPath: string } | undefined;
    /** When set, the listener requires AUTH (after STARTTLS) with these credentials. */
    auth: { user: string; password: string } | undefined;
    relayUrl: string | undefined;
    mailFrom: string;
  };
  publicUrl: string | undefined;
  /** Background jobs: a claim's lease (a dead process's job is taken over after it) and jobs run at once per process. */
  jobs: { leaseMs: number; concurrency: number };
  /** Largest import file accepted, in bytes. */
  importMaxBytes: number;
  /** Files staff attach to a note or reply: one file, and all the files of one message, in bytes. */
  attachments: { maxFileBytes: number; maxTotalBytes: number; scanCommand: string | undefined };
  /** GET /metrics answers only with this bearer token; unset: /metrics is 404. */
  metricsToken: string | undefined;
  /**
   * PostgreSQL deployment: `pooler` 'transaction' (PgBouncer in transaction mode) turns off
   * named prepared statements; `listenUrl` is a direct connection for LISTEN (a pooler cannot
   * hold one); `replicaUrl` takes lookups, searches and lists (docs/operations.md).
   */
  database: {
    pooler: 'none' | 'transaction';
    listenUrl: string | undefined;
    replicaUrl: string | undefined;
    replicaMaxLagMs: number;
    readYourWritesMs: number;
  };
  /** SIGTERM: how long in-flight requests may take before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** How long an Idempotency-Key's stored response is replayed. */
  idempotencyKeyMs: number;
  /** How long a finished background export stays under "My downloads", in milliseconds. */
  exportKeepMs: number;
  /**
   * Webhook deliveries: hosts/addresses allowed past the SSRF guard (lower case), the per-attempt
   * timeout, and the deliverer's own PostgreSQL connections (0: it shares the request pool).
   */
  webhooks: { allowedHosts: string[]; timeoutMs: number; dbPoolSize: number };
}

export class ConfigError extends Error {}

const BOOLEAN_KEYS = new Set(['TRUST_PROXY']);

/** Parses and validates the environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  const props = Env.properties as Record<string, { type?: string }>;
  for (const key of Object.keys(props)) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    const type = props[key].type;
    if (type === 'integer') raw[key] = /^-?\d+$/.test(value) ? Number(value) : value;
    else if (BOOLEAN_KEYS.has(key))
      raw[key] = value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
    else raw[key] = value;
  }
  const withDefaults = Value.Default(Env, raw) as Record<string, unknown>;
  const errors = [...Value.Errors(Env, withDefaults)];
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const name = e.path.replace(/^\//, '');
      const shown = name.includes('PASSWORD') ? '(hidden)' : JSON.stringify(env[name]);
      return `  ${name}=${shown}: ${e.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${[...new Set(lines)].join('\n')}`);
  }
  const e = withDefaults as EnvConfig;
  if ((e.SWITCHBOARD_ADMIN_EMAIL === undefined) !== (e.SWITCHBOARD_ADMIN_PASSWORD === undefined)) {
    throw new ConfigError(
      'Invalid configuration:\n  SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD must be set together',
    );
  }
  if ((e.SMTP_TLS_CERT === undefined) !== (e.SMTP_TLS_KEY === undefined)) {
    throw new ConfigError('Invalid configuration:\n  SMTP_TLS_CERT and SMTP_TLS_KEY must be set together');
  }
  if ((e.SMTP_AUTH_USER === undefined) !== (e.SMTP_AUTH_PASSWORD === undefined)) {
    throw new ConfigError('Invalid configuration:\n  SMTP_AUTH_USER and SMTP_AUTH_PASSWORD must be set together');
  }
  if (e.SMTP_AUTH_USER !== undefined && e.SMTP_TLS_CERT === undefined) {
    throw new ConfigError(
      'Invalid configuration:\n  SMTP_AUTH_USER needs SMTP_TLS_CERT and SMTP_TLS_KEY (passwords travel only over STARTTLS)',
    );
  }
  if (e.DATABASE_POOLER === 'transaction' && !e.DATABASE_LISTEN_URL) {
    throw new ConfigError(
      'Invalid configuration:\n  DATABASE_POOLER=transaction needs DATABASE_LISTEN_URL (a direct connection for LISTEN: a transaction pooler cannot hold one)',
    );
  }
  if ((e.DATABASE_POOLER === 'transaction' || e.DATABASE_REPLICA_URL) && !e.DATABASE_URL) {
    throw new ConfigError(
      'Invalid configuration:\n  DATABASE_POOLER and DATABASE_REPLICA_URL apply to PostgreSQL only: set DATABASE_URL',
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    defaultPhoneRegion: e.DEFAULT_PHONE_REGION,
    adminEmail: e.SWITCHBOARD_ADMIN_EMAIL,
    adminPassword: e.SWITCHBOARD_ADMIN_PASSWORD,
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    sessionMaxHours: e.SESSION_MAX_HOURS,
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, lookupPerMinute: e.RATE_LIMIT_LOOKUP_PER_MINUTE },
    argon2: { memoryCost: e.ARGON2_MEMORY_KIB, timeCost: e.ARGON2_TIME_COST },
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    pgPoolSize: e.PG_POOL_SIZE,
    statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
    wrapUpSeconds: e.WRAP_UP_SECONDS,
    smtp: {
      listenPort: e.SMTP_LISTEN_PORT,
      listenHost: e.SMTP_LISTEN_HOST,
      acceptDomains: (e.SMTP_ACCEPT_DOMAINS ?? '')
        .split(',')
        .map((d) => d.trim().toLowerCase())
        .filter(Boolean),
      tls: e.SMTP_TLS_CERT ? { certPath: e.SMTP_TLS_CERT, keyPath: e.SMTP_TLS_KEY! } : undefined,
      auth: e.SMTP_AUTH_USER ? { user: e.SMTP_AUTH_USER, password: e.SMTP_AUTH_PASSWORD! } : undefined,
      relayUrl: e.SMTP_RELAY_URL,
      mailFrom: e.MAIL_FROM,
    },
    publicUrl: e.PUBLIC_URL,
    jobs: { leaseMs: e.JOB_LEASE_SECONDS * 1000, concurrency: e.JOB_CONCURRENCY },
    importMaxBytes: e.IMPORT_MAX_BYTES,
    attachments: {
      maxFileBytes: e.ATTACHMENT_MAX_BYTES,
      maxTotalBytes: e.ATTACHMENT_MAX_TOTAL_BYTES,
      scanCommand: e.ATTACHMENT_SCAN_COMMAND?.trim() || undefined,
    },
    metricsToken: e.METRICS_TOKEN,
    database: {
      pooler: e.DATABASE_POOLER,
      listenUrl: e.DATABASE_LISTEN_URL,
      replicaUrl: e.DATABASE_REPLICA_URL,
      replicaMaxLagMs: e.REPLICA_MAX_LAG_SECONDS * 1000,
      readYourWritesMs: e.READ_YOUR_WRITES_SECONDS * 1000,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    idempotencyKeyMs: e.IDEMPOTENCY_KEY_HOURS * 3600_000,
    exportKeepMs: e.EXPORT_KEEP_HOURS * 3600_000,
    webhooks: {
      allowedHosts: (e.WEBHOOK_ALLOWED_HOSTS ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      dbPoolSize: e.WEBHOOK_DB_POOL_SIZE,
    },
  };
}
