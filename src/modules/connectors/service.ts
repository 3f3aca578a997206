import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../clock.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Conflict, Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { recordAudit } from '../audit/service.js';
import type { JobHandler, JobQueue } from '../jobs/queue.js';
import { literalRefusal, systemResolver, type Resolver } from '../webhooks/ssrf.js';
import type { WebhooksService } from '../webhooks/service.js';
import {
  ConnectorError,
  type Connector as ConnectorImpl,
  type ConnectorEnv,
  type ExternalContact,
  type InteractionLog,
  type LookupKeys,
} from './connector.js';
import { CONNECTOR_FACTORIES } from './registry.js';
import type {
  Connector,
  ConnectorCreate,
  ConnectorPatch,
  ConnectorSettings,
  ConnectorTestResult,
  ExternalLookup,
  ExternalMatch,
  LookupOrder,
} from './schema.js';
import * as store from './store.js';

/** The job kind that writes an ended interaction back to one connector. */
const LOG_JOB_KIND = 'connector.log';
const LOG_JOB_ATTEMPTS = 10;
/** The job kind that pulls one connector's changes feed into the customers. */
const SYNC_JOB_KIND = 'connector.sync';
const SYNC_JOB_ATTEMPTS = 5;
/** One sync run reads at most this many pages (the next run carries on from the cursor). */
const MAX_SYNC_PAGES = 1000;
const MAX_SYNC_PROBLEMS = 20;
const MAX_CONNECTORS = 20;
/** The longest a background call (log, sync, test) waits for an answer. */
const BACKGROUND_TIMEOUT_MS = 10_000;
/** The SSRF allow-list (environment + the webhook settings) is read again at most this often. */
const ALLOW_LIST_TTL_MS = 5_000;

interface SyncProblem {
  externalId: string;
  error: string;
}

interface SyncJobParams {
  connectorId: string;
}

/** Writes one external contact to the customer with that external id (created when new), in `tx`. */
type ContactWriter = (system: string, contact: ExternalContact, tx: Queryable) => Promise<'created' | 'updated'>;

interface LogJobParams {
  connectorId: string;
  interactionId: string;
}

/** What the screen pop needs per connector, kept in memory (refreshed on every change). */
interface CachedConnector {
  id: string;
  system: string;
  budgetMs: number;
  impl: ConnectorImpl;
}

interface CachedState {
  order: LookupOrder;
  lookup: CachedConnector[];
  /** Connectors that want ended interactions written back. */
  logTo: string[];
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toConnector(r: store.ConnectorRow): Connector {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    system: r.system,
    baseUrl: r.base_url,
    enabled: r.enabled,
    useForLookup: r.use_for_lookup,
    logInteractions: r.log_interactions,
    syncContacts: r.sync_contacts,
    lookupBudgetMs: r.lookup_budget_ms,
    username: r.username,
    lastSyncAt: iso(r.last_sync_at),
    lastSyncError: r.last_sync_error,
    lastTestAt: iso(r.last_test_at),
    lastTestError: r.last_test_error,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
  };
}

function matchOf(c: CachedConnector, contact: ExternalContact): ExternalMatch {
  return {
    connectorId: c.id,
    system: c.system,
    externalId: contact.externalId,
    displayName: contact.displayName,
    company: contact.company,
    email: contact.emails[0] ?? null,
    phones: contact.phones.map((p) => p.number),
    accountNumber: contact.accountNumber,
    url: contact.url,
  };
}

interface ConnectorsOptions {
  resolver?: Resolver;
  /** The time signatures carry (receivers compare it with their own clock). */
  wallClock?: Clock;
}

/**
 * CRM connectors (docs/webhooks.md, "CRM connectors"): their configuration
 * (secrets never returned after creation), the lookup order, the external
 * part of a screen pop within each connector's budget, and the durable job
 * that writes ended interactions back. The configuration the screen pop needs
 * is cached in memory and reloaded when any process changes it (NOTIFY), so
 * with connectors off the pop does no extra work.
 */
export class ConnectorsService {
  private state: CachedState = { order: 'local', lookup: [], logTo: [] };
  private readonly env: ConnectorEnv;
  private unlisten: (() => Promise<void>) | null = null;
  private reloads = 0;
  private applied = 0;
  private allowCache: { at: number; hosts: ReadonlySet<string> } | null = null;
  /** Builds what is written back for an interaction (set by the crm-connectors flow). */
  interactionLog: ((system: string, interactionId: string) => Promise<InteractionLog | null>) | null = null;
  /** Writes a synced contact as a customer (set by the crm-connectors flow). */
  contactWriter: ContactWriter | null = null;

  constructor(
    private readonly db: Db,
    private readonly deps: { webhooks: WebhooksService; jobs: JobQueue },
    private readonly clock: Clock = systemClock,
    opts: ConnectorsOptions = {},
  ) {
    this.env = {
      allowList: () => this.allowList(),
      resolver: opts.resolver ?? systemResolver,
      wallClock: opts.wallClock ?? systemClock,
      timeoutMs: BACKGROUND_TIMEOUT_MS,
    };
  }

  // ------------------------------------------------------------ the cache

  /** Loads the configuration and follows changes from every process (the route registrar calls it once). */
  async start(): Promise<void> {
    await this.reload();
    this.unlisten = await this.db.listen(store.CHANGED_CHANNEL, () => {
      void this.reload().catch(() => undefined);
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = null;
  }

  /** Reads the configuration again (after a change here, on NOTIFY, and on a slow timer as a safety net). */
  async reload(): Promise<void> {
    const seq = ++this.reloads;
    const [settings, rows] = await Promise.all([store.settingsRow(this.db), store.allConnectors(this.db)]);
    // Two reloads at once: the one started last wins (it read the newer configuration).
    if (seq < this.applied) return;
    this.applied = seq;
    const enabled = rows.filter((r) => r.enabled);
    this.state = {
      order: settings.lookup_order,
      lookup: enabled
        .filter((r) => r.use_for_lookup)
        .map((r) => ({ id: r.id, system: r.system, budgetMs: r.lookup_budget_ms, impl: this.implOf(r) })),
      logTo: enabled.filter((r) => r.log_interactions).map((r) => r.id),
    };
  }

  /** The screen pop's order, from memory. */
  lookupOrder(): LookupOrder {
    return this.state.order;
  }

  private implOf(r: store.ConnectorRow): ConnectorImpl {
    return CONNECTOR_FACTORIES[r.kind](
      { id: r.id, kind: r.kind, system: r.system, baseUrl: r.base_url, username: r.username, secret: r.secret },
      this.env,
    );
  }

  private async allowList(): Promise<ReadonlySet<string>> {
    const now = Date.now();
    if (this.allowCache && now - this.allowCache.at < ALLOW_LIST_TTL_MS) return this.allowCache.hosts;
    const hosts = await this.deps.webhooks.ssrfAllowList();
    this.allowCache = { at: now, hosts };
    return hosts;
  }

  // ------------------------------------------------------------ lookups

  /**
   * Asks every lookup connector at once, each within its budget: a connector
   * past its budget is abandoned (`timeout`), one that fails is an `error`;
   * neither ever fails the lookup.
   */
  async lookupExternal(keys: LookupKeys, order: LookupOrder): Promise<ExternalLookup> {
    const connectors = this.state.lookup;
    const results = await Promise.all(
      connectors.map(async (c) => {
        const started = performance.now();
        const abort = new AbortController();
        let timer: NodeJS.Timeout | undefined;
        const budget = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => {
            abort.abort();
            resolve('timeout');
          }, c.budgetMs);
        });
        try {
          const outcome = await Promise.race([c.impl.lookup(keys, abort.signal), budget]);
          const latencyMs = Math.round(performance.now() - started);
          if (outcome === 'timeout') {
            return {
              source: { connectorId: c.id, system: c.system, status: 'timeout' as const, error: null, latencyMs },
              matches: [],
            };
          }
          return {
            source: { connectorId: c.id, system: c.system, status: 'ok' as const, error: null, latencyMs },
            matches: outcome.map((m) => matchOf(c, m)),
          };
        } catch (err) {
          const latencyMs = Math.round(performance.now() - started);
          const error = err instanceof ConnectorError ? err.message : 'the connector failed';
          return {
            source: { connectorId: c.id, system: c.system, status: 'error' as const, error, latencyMs },
            matches: [],
          };
        } finally {
          clearTimeout(timer);
          abort.abort();
        }
      }),
    );
    return {
      order,
      matches: results.flatMap((r) => r.matches),
      timedOut: results.some((r) => r.source.status === 'timeout'),
      sources: results.map((r) => r.source),
    };
  }

  // ------------------------------------------------------------ logging interactions

  /** In the transaction that closes an interaction: one durable job per connector that logs interactions. */
  async enqueueLogs(interactionId: string, tx?: Queryable): Promise<void> {
    const targets = this.state.logTo;
    if (targets.length === 0) return;
    await inTransaction(this.db, tx, async (q) => {
      for (const connectorId of targets) {
        await this.deps.jobs.enqueue<LogJobParams>(
          { kind: LOG_JOB_KIND, params: { connectorId, interactionId }, ownerId: null },
          q,
        );
      }
    });
  }

  /** The job kind (registered once per process by the route registrar). */
  registerJobs(): void {
    this.deps.jobs.registerJobKind<SyncJobParams, null>(SYNC_JOB_KIND, {
      maxAttempts: SYNC_JOB_ATTEMPTS,
      managePrivilege: 'integrations.manage',
      run: (run) => this.runSync(run),
    });
    this.deps.jobs.registerJobKind<LogJobParams, null>(LOG_JOB_KIND, {
      maxAttempts: LOG_JOB_ATTEMPTS,
      managePrivilege: 'integrations.manage',
      run: async (run) => {
        const { connectorId, interactionId } = run.job.params;
        const row = await store.connectorById(this.db, connectorId);
        if (!row || !row.enabled || !row.log_interactions) return { skipped: 'the connector is gone or disabled' };
        const log = await this.interactionLog?.(row.system, interactionId);
        if (!log) return { skipped: 'the interaction is gone' };
        await this.implOf(row).logInteraction(log);
        return { logged: true, system: row.system };
      },
    });
  }

  // ------------------------------------------------------------ contact sync

  /** Starts a sync of one connector's changes feed now (a durable job); answers the job's id. */
  async startSync(actor: Actor, id: string, tx?: Queryable): Promise<{ jobId: string }> {
    requirePrivilege(actor, 'integrations.manage');
    return inTransaction(this.db, tx, async (q) => {
      const row = await this.row(q, id);
      if (!row.sync_contacts) {
        throw new Invalid([{ field: 'syncContacts', message: 'turn on contact sync for this connector first' }]);
      }
      const job = await this.deps.jobs.enqueue<SyncJobParams>(
        { kind: SYNC_JOB_KIND, params: { connectorId: id }, ownerId: actor.userId },
        q,
      );
      return { jobId: job.id };
    });
  }

  /**
   * One sync run: reads the changes feed from the connector's cursor, page by
   * page; each page's customers, the new cursor and the sync time commit
   * together (a run stopped midway carries on from the last page). A contact
   * the customers module refuses (a bad email…) is skipped and counted; a
   * deletion in the CRM is not applied here (the customer stays, with its id).
   */
  private async runSync(run: Parameters<JobHandler<SyncJobParams, null>['run']>[0]): Promise<Record<string, unknown>> {
    const first = await this.row(this.db, run.job.params.connectorId);
    if (!first.enabled || !first.sync_contacts) return { skipped: 'the connector is disabled or does not sync' };
    const impl = this.implOf(first);
    const totals = { created: 0, updated: 0, skipped: 0, deleted: 0, pages: 0 };
    /** The first contacts skipped and why (the job's result shows them). */
    const problems: SyncProblem[] = [];
    try {
      let cursor = first.sync_cursor;
      for (let page = 0; page < MAX_SYNC_PAGES; page++) {
        const changes = await impl.changes(cursor);
        const counts = await run.step(async (tx) => {
          const c = { created: 0, updated: 0, skipped: 0, deleted: 0, problems: [] as SyncProblem[] };
          for (const change of changes.changes) {
            if (change.deleted || !change.contact) {
              c.deleted++;
              continue;
            }
            await tx.query('SAVEPOINT connector_contact');
            try {
              c[await this.contactWriter!(first.system, { ...change.contact, externalId: change.externalId }, tx)]++;
              await tx.query('RELEASE SAVEPOINT connector_contact');
            } catch (err) {
              if (!(err instanceof Invalid)) throw err;
              await tx.query('ROLLBACK TO SAVEPOINT connector_contact');
              c.skipped++;
              c.problems.push({ externalId: change.externalId, error: err.message });
            }
          }
          await tx.query(
            'UPDATE connectors SET sync_cursor = $2, last_sync_at = $3, last_sync_error = NULL WHERE id = $1',
            [first.id, changes.cursor ?? cursor, this.clock.now()],
          );
          return { record: { checkpoint: null, done: page + 1 }, value: c };
        });
        totals.created += counts.created;
        totals.updated += counts.updated;
        totals.skipped += counts.skipped;
        totals.deleted += counts.deleted;
        problems.push(...counts.problems.slice(0, MAX_SYNC_PROBLEMS - problems.length));
        totals.pages++;
        cursor = changes.cursor ?? cursor;
        if (!changes.more) break;
      }
    } catch (err) {
      const message = err instanceof ConnectorError ? err.message : 'the sync failed';
      await this.db.query('UPDATE connectors SET last_sync_error = $2 WHERE id = $1', [first.id, message]);
      throw err;
    }
    return { ...totals, problems };
  }

  // ------------------------------------------------------------ configuration

  async list(actor: Actor): Promise<Connector[]> {
    requirePrivilege(actor, 'integrations.manage');
    return (await store.allConnectors(this.db)).map(toConnector);
  }

  async get(actor: Actor, id: string): Promise<Connector> {
    requirePrivilege(actor, 'integrations.manage');
    return toConnector(await this.row(this.db, id));
  }

  /** Adds a connector; the answer carries its signing secret, which is never shown again. */
  async create(actor: Actor, input: ConnectorCreate, tx?: Queryable): Promise<Connector & { secret: string }> {
    requirePrivilege(actor, 'integrations.manage');
    // Read before the transaction: the allow-list is read outside it (the embedded engine has one connection).
    const baseUrl = await this.checkUrl(input.baseUrl);
    const created = await inTransaction(this.db, tx, async (q) => {
      const [count] = await q.query<{ n: number }>('SELECT count(*) AS n FROM connectors');
      if (count.n >= MAX_CONNECTORS)
        throw new Invalid([{ field: 'kind', message: `at most ${MAX_CONNECTORS} connectors` }]);
      const secret = `whsec_${randomBytes(32).toString('base64')}`;
      const now = this.clock.now();
      const [row] = await q.query<store.ConnectorRow>(
        `INSERT INTO connectors (kind, name, system, base_url, enabled, use_for_lookup, log_interactions,
           sync_contacts, lookup_budget_ms, secret, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING *`,
        [
          input.kind,
          input.name.trim(),
          input.system,
          baseUrl,
          input.enabled ?? true,
          input.useForLookup ?? true,
          input.logInteractions ?? true,
          input.syncContacts ?? false,
          input.lookupBudgetMs ?? 300,
          secret,
          now,
        ],
      );
      await recordAudit(q, actor, {
        action: 'connector.created',
        targetType: 'connector',
        targetId: row.id,
        details: { kind: row.kind, system: row.system, baseUrl },
      });
      await store.announceChange(q);
      return { ...toConnector(row), secret };
    });
    if (!tx) await this.reload();
    return created;
  }

  async update(actor: Actor, id: string, patch: ConnectorPatch, tx?: Queryable): Promise<Connector> {
    requirePrivilege(actor, 'integrations.manage');
    const checkedUrl = patch.baseUrl === undefined ? null : await this.checkUrl(patch.baseUrl);
    const updated = await inTransaction(this.db, tx, async (q) => {
      const before = await this.row(q, id, true);
      if (patch.version !== undefined && patch.version !== before.version) throw Conflict.stale(toConnector(before));
      const baseUrl = checkedUrl ?? before.base_url;
      const [row] = await q.query<store.ConnectorRow>(
        `UPDATE connectors SET name = $2, base_url = $3, enabled = $4, use_for_lookup = $5, log_interactions = $6,
           sync_contacts = $7, lookup_budget_ms = $8, updated_at = $9, version = version + 1
         WHERE id = $1 RETURNING *`,
        [
          id,
          patch.name?.trim() ?? before.name,
          baseUrl,
          patch.enabled ?? before.enabled,
          patch.useForLookup ?? before.use_for_lookup,
          patch.logInteractions ?? before.log_interactions,
          patch.syncContacts ?? before.sync_contacts,
          patch.lookupBudgetMs ?? before.lookup_budget_ms,
          this.clock.now(),
        ],
      );
      const { version: _version, ...changes } = patch;
      await recordAudit(q, actor, {
        action: 'connector.updated',
        targetType: 'connector',
        targetId: id,
        details: changes,
      });
      await store.announceChange(q);
      return toConnector(row);
    });
    if (!tx) await this.reload();
    return updated;
  }

  async delete(actor: Actor, id: string, tx?: Queryable): Promise<void> {
    requirePrivilege(actor, 'integrations.manage');
    await inTransaction(this.db, tx, async (q) => {
      const before = await this.row(q, id, true);
      await q.query('DELETE FROM connectors WHERE id = $1', [id]);
      await recordAudit(q, actor, {
        action: 'connector.deleted',
        targetType: 'connector',
        targetId: id,
        details: { system: before.system },
      });
      await store.announceChange(q);
    });
    if (!tx) await this.reload();
  }

  async settings(actor: Actor): Promise<ConnectorSettings> {
    requirePrivilege(actor, 'integrations.manage');
    const row = await store.settingsRow(this.db);
    return { lookupOrder: row.lookup_order, version: row.version };
  }

  async updateSettings(
    actor: Actor,
    input: { lookupOrder: LookupOrder; version?: number },
    tx?: Queryable,
  ): Promise<ConnectorSettings> {
    requirePrivilege(actor, 'integrations.manage');
    const out = await inTransaction(this.db, tx, async (q) => {
      const before = await store.settingsRow(q, true);
      if (input.version !== undefined && input.version !== before.version) {
        throw Conflict.stale({ lookupOrder: before.lookup_order, version: before.version });
      }
      const [row] = await q.query<{ lookup_order: LookupOrder; version: number }>(
        'UPDATE connector_settings SET lookup_order = $1, version = version + 1 RETURNING lookup_order, version',
        [input.lookupOrder],
      );
      await recordAudit(q, actor, {
        action: 'connector.settings_changed',
        details: { lookupOrder: input.lookupOrder },
      });
      await store.announceChange(q);
      return { lookupOrder: row.lookup_order, version: row.version };
    });
    if (!tx) await this.reload();
    return out;
  }

  /** Tries the connector now (a harmless call) and records the outcome on it. */
  async test(actor: Actor, id: string): Promise<ConnectorTestResult> {
    requirePrivilege(actor, 'integrations.manage');
    const row = await this.row(this.db, id);
    const started = performance.now();
    let error: string | null = null;
    try {
      await this.implOf(row).test();
    } catch (err) {
      error = err instanceof ConnectorError ? err.message : 'the connector failed';
    }
    const latencyMs = Math.round(performance.now() - started);
    await this.db.query('UPDATE connectors SET last_test_at = $2, last_test_error = $3 WHERE id = $1', [
      id,
      this.clock.now(),
      error,
    ]);
    return { ok: error === null, latencyMs, error };
  }

  private async row(q: Queryable, id: string, forUpdate = false): Promise<store.ConnectorRow> {
    const row = isUuid(id) ? await store.connectorById(q, id, forUpdate) : null;
    if (!row) throw new NotFound('Connector');
    return row;
  }

  /** http(s) only; a literal non-public address must be on the SSRF allow-list (names are checked on every call). */
  private async checkUrl(raw: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw new Invalid([{ field: 'baseUrl', message: 'must be an absolute http or https URL' }]);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Invalid([{ field: 'baseUrl', message: 'must be an http or https URL' }]);
    }
    if (url.username || url.password) {
      throw new Invalid([{ field: 'baseUrl', message: 'must not carry a user name or password' }]);
    }
    const refusal = literalRefusal(url, await this.deps.webhooks.ssrfAllowList());
    if (refusal)
      throw new Invalid([{ field: 'baseUrl', message: `${refusal} (allow it in the webhook settings first)` }]);
    return url.toString();
  }
}
