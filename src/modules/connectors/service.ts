import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '../../clock.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Conflict, Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { recordAudit } from '../audit/service.js';
import type { JobHandler, JobQueue } from '../jobs/queue.js';
import { DEFAULT_ROTATION_GRACE_SECONDS, newSigningSecret, rotation } from '../webhooks/signing.js';
import { literalRefusal, systemResolver, type Resolver } from '../webhooks/ssrf.js';
import type { WebhooksService } from '../webhooks/service.js';
import {
  ConnectorError,
  ContactConflict,
  ConnectorUnavailable,
  heldEmail,
  type ChangesPage,
  type Connector as ConnectorImpl,
  type ConnectorEnv,
  type ExternalContact,
  type InteractionLog,
  type LookupKeys,
  type TwoWayContacts,
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

/** What a push could not do for one contact (named in the customer's history). */
type PushFailure = 'push refused' | 'conflict' | 'deletion refused';
/** The longest excerpt of a server's reason a history line keeps. */
const FAILURE_REASON_CHARS = 300;

interface SyncJobParams {
  connectorId: string;
}

/** A customer as a contact sync sees it: as an external contact, with its version and last change. */
interface LocalContact {
  customerId: string;
  version: number;
  updatedAt: Date;
  contact: ExternalContact;
}

/** One changed field in a history line: from → to. */
interface NoteChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** The customers as the contact sync reaches them (set by the crm-connectors flow, which calls the customers module). */
interface LocalContacts {
  /** Writes one external contact to the customer with that external id (created when new). */
  write(
    system: string,
    contact: ExternalContact,
    tx: Queryable,
  ): Promise<{ outcome: 'created' | 'updated'; customerId: string; version: number }>;
  /** The customer carrying this external id, or null. */
  read(system: string, externalId: string, tx?: Queryable): Promise<LocalContact | null>;
  /** The customers with an id in the system, in id order after `after`. */
  linked(system: string, after: string | null, limit: number): Promise<(LocalContact & { externalId: string })[]>;
  /** A line in the customer's history. */
  note(
    customerId: string,
    action: 'sync_conflict' | 'sync_deleted' | 'sync_failed',
    changes: NoteChange[],
    tx: Queryable,
  ): Promise<void>;
  /** Removes the customer's id in the system (the contact was deleted there); the customer stays. */
  unlink(system: string, externalId: string, tx: Queryable): Promise<void>;
}

/** The fields a sync compares (what a vCard holds). */
const SYNCED_FIELDS = ['displayName', 'firstName', 'lastName', 'company', 'emails', 'phones', 'addresses'] as const;

/** The fields that differ between two versions of a contact: from the first to the second. */
function contactDiff(a: ExternalContact, b: ExternalContact): NoteChange[] {
  const out: NoteChange[] = [];
  for (const f of SYNCED_FIELDS) {
    // Of several emails the customer holds one; the others are kept in the CRM, never lost to a conflict.
    const from = f === 'emails' ? heldEmail(a.emails) : (a[f] ?? null);
    const to = f === 'emails' ? heldEmail(b.emails) : (b[f] ?? null);
    if (JSON.stringify(from) !== JSON.stringify(to)) out.push({ field: f === 'emails' ? 'email' : f, from, to });
  }
  return out;
}

/** How many contacts the push pass reads at a time. */
const PUSH_BATCH = 100;

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

/** User name and password belong to carddav connectors only. */
function checkCredentials(kind: store.ConnectorRow['kind'], input: { username?: string; password?: string }): void {
  if (kind === 'carddav') return;
  for (const field of ['username', 'password'] as const) {
    if (input[field] !== undefined) throw new Invalid([{ field, message: `only a carddav connector has a ${field}` }]);
  }
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toConnector(r: store.ConnectorRow, now: Date): Connector {
  const rotating = r.previous_secret !== null && r.previous_secret_until !== null && r.previous_secret_until > now;
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
    pushContacts: r.push_contacts,
    lookupBudgetMs: r.lookup_budget_ms,
    username: r.username,
    lastSyncAt: iso(r.last_sync_at),
    lastSyncError: r.last_sync_error,
    lastTestAt: iso(r.last_test_at),
    lastTestError: r.last_test_error,
    previousSecretUntil: rotating ? iso(r.previous_secret_until) : null,
    syncIntervalMinutes: r.sync_interval_minutes,
    lastSyncCounts: r.last_sync_counts,
    lastSyncProblems: r.last_sync_problems,
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
  /** The customers as a contact sync reaches them (set by the crm-connectors flow). */
  localContacts: LocalContacts | null = null;

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
      clock,
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
      {
        id: r.id,
        kind: r.kind,
        system: r.system,
        baseUrl: r.base_url,
        username: r.username,
        secret: r.secret,
        previousSecret: r.previous_secret,
        previousSecretUntil: r.previous_secret_until,
      },
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
   * One sync run. The pull: reads the changes feed from the connector's
   * cursor, page by page; each page's customers, the new cursor and the sync
   * time commit together (a run stopped midway carries on from the last
   * page). A contact the customers module refuses (a bad email…) is skipped
   * and counted. Two-way connectors (http and carddav: every kind today):
   * see pullTwoWay and push; a connector without `twoWay` would only pull,
   * its deletions counted but not applied.
   */
  private async runSync(run: Parameters<JobHandler<SyncJobParams, null>['run']>[0]): Promise<Record<string, unknown>> {
    const first = await store.connectorById(this.db, run.job.params.connectorId);
    if (!first) return { skipped: 'the connector was removed' };
    if (!first.enabled || !first.sync_contacts) return { skipped: 'the connector is disabled or does not sync' };
    const impl = this.implOf(first);
    const totals: Record<string, number> = { created: 0, updated: 0, skipped: 0, deleted: 0, pages: 0 };
    if (impl.twoWay) Object.assign(totals, { unchanged: 0, conflicts: 0, pushed: 0, removed: 0, failed: 0 });
    const add = (c: Record<string, number>) => {
      for (const [k, v] of Object.entries(c)) totals[k] = (totals[k] ?? 0) + v;
    };
    /** The first contacts skipped and why (the job's result shows them). */
    const problems: SyncProblem[] = [];
    /** A full listing (no sync token): every href seen, to find the deleted ones. */
    let seen: Set<string> | null = null;
    try {
      let cursor = first.sync_cursor;
      for (let page = 0; page < MAX_SYNC_PAGES; page++) {
        const changes = await impl.changes(cursor);
        if (changes.full) {
          seen ??= new Set();
          for (const c of changes.changes) if (c.href && !c.deleted) seen.add(c.href);
        }
        const counts = await run.step(async (tx) => {
          const c = { created: 0, updated: 0, skipped: 0, deleted: 0, unchanged: 0, conflicts: 0 };
          const pageProblems: SyncProblem[] = [];
          for (const change of changes.changes) {
            await tx.query('SAVEPOINT connector_contact');
            try {
              if (impl.twoWay) await this.pullTwoWay(first, impl.twoWay, change, c, tx);
              else if (change.deleted || !change.contact) c.deleted++;
              else {
                const written = await this.localContacts!.write(
                  first.system,
                  { ...change.contact, externalId: change.externalId },
                  tx,
                );
                c[written.outcome]++;
              }
              await tx.query('RELEASE SAVEPOINT connector_contact');
            } catch (err) {
              if (!(err instanceof Invalid)) throw err;
              await tx.query('ROLLBACK TO SAVEPOINT connector_contact');
              c.skipped++;
              pageProblems.push({ externalId: change.externalId, error: err.message });
            }
          }
          await tx.query(
            'UPDATE connectors SET sync_cursor = $2, last_sync_at = $3, last_sync_error = NULL WHERE id = $1',
            [first.id, changes.cursor ?? cursor, this.clock.now()],
          );
          return { record: { checkpoint: null, done: page + 1 }, value: { counts: c, problems: pageProblems } };
        });
        const { unchanged, conflicts, ...pulled } = counts.counts;
        add(impl.twoWay ? { ...pulled, unchanged, conflicts } : pulled);
        problems.push(...counts.problems.slice(0, MAX_SYNC_PROBLEMS - problems.length));
        totals.pages++;
        cursor = changes.cursor ?? cursor;
        if (!changes.more) break;
      }
      if (impl.twoWay) {
        if (seen) add(await this.deletedFromListing(run, first, seen));
        // Push off: the CRM is the source of truth; nothing is written there.
        if (first.push_contacts) add(await this.push(run, first, impl.twoWay, problems));
        await this.db.query(
          'UPDATE connectors SET last_sync_at = $2, last_sync_counts = $3, last_sync_problems = $4 WHERE id = $1',
          [first.id, this.clock.now(), JSON.stringify(totals), JSON.stringify(problems.slice(0, MAX_SYNC_PROBLEMS))],
        );
      } else {
        await this.db.query('UPDATE connectors SET last_sync_counts = $2, last_sync_problems = $3 WHERE id = $1', [
          first.id,
          JSON.stringify(totals),
          JSON.stringify(problems.slice(0, MAX_SYNC_PROBLEMS)),
        ]);
      }
    } catch (err) {
      const message = err instanceof ConnectorError ? err.message : 'the sync failed';
      await this.db.query('UPDATE connectors SET last_sync_error = $2 WHERE id = $1', [first.id, message]);
      throw err;
    }
    return { ...totals, problems: problems.slice(0, MAX_SYNC_PROBLEMS) };
  }

  /**
   * One change pulled from a two-way connector. Unchanged since the last sync
   * (the same ETag, e.g. our own write coming back): nothing. Changed there
   * only: written to the customer. Changed on both sides (the customer's
   * version is past the one synced): a conflict, resolved by version (see
   * resolveConflict). Deleted there: the customer loses its id in that system
   * and keeps everything else, unless it changed here since (then it is
   * written back as a new contact by the push).
   */
  private async pullTwoWay(
    conn: store.ConnectorRow,
    two: TwoWayContacts,
    change: ChangesPage['changes'][number],
    c: Record<'created' | 'updated' | 'deleted' | 'unchanged' | 'conflicts', number>,
    tx: Queryable,
  ): Promise<void> {
    const local = this.localContacts!;
    const link =
      (change.href ? await store.linkOf(tx, conn.id, { href: change.href }) : null) ??
      (await store.linkOf(tx, conn.id, { externalId: change.externalId }));
    if (change.deleted || !change.contact) {
      // A deletion of a contact never synced (an initial sync may list old ones) is not counted.
      if (link) {
        await this.remoteDeleted(conn, link, tx);
        c.deleted++;
      }
      return;
    }
    const contact = { ...change.contact, externalId: change.externalId };
    if (link && change.etag && link.etag === change.etag) {
      c.unchanged++;
      return;
    }
    const mine = await local.read(conn.system, contact.externalId, tx);
    if (link && mine && mine.version > link.synced_version) {
      c.conflicts++;
      await this.resolveConflict(
        conn,
        two,
        mine,
        { contact, etag: change.etag ?? null, href: change.href ?? link.href },
        tx,
      );
      return;
    }
    const written = await local.write(conn.system, contact, tx);
    await store.saveLink(tx, conn.id, {
      external_id: contact.externalId,
      href: change.href ?? link?.href ?? two.hrefFor(contact.externalId),
      etag: change.etag ?? null,
      synced_version: written.version,
      document: contact.source ?? null,
      customer_id: written.customerId,
    });
    c[written.outcome]++;
  }

  /**
   * Both sides changed one contact: the newer change wins, by version — the
   * vCard's REV against the time the customer reached its current version
   * (a vCard without REV loses). The winner is applied (the customer updated,
   * or the contact pushed with If-Match the version just read, by the push
   * pass); the customer's history gets a `sync_conflict` line naming the
   * winner and the values the other side lost.
   */
  private async resolveConflict(
    conn: store.ConnectorRow,
    _two: TwoWayContacts,
    mine: LocalContact,
    theirs: { contact: ExternalContact; etag: string | null; href: string },
    tx: Queryable,
  ): Promise<void> {
    const local = this.localContacts!;
    const rev = theirs.contact.revision ? new Date(theirs.contact.revision) : null;
    // Push off: the CRM is the source of truth, its version always wins (nothing could be written back).
    const theyWin = !conn.push_contacts || (rev !== null && rev.getTime() > mine.updatedAt.getTime());
    const verdict = {
      field: 'conflict',
      from: null,
      to: !conn.push_contacts
        ? `${conn.system} won: push is off, ${conn.system} is the source of truth (Switchboard's version ${mine.version} replaced)`
        : theyWin
          ? `${conn.system} won: changed at ${rev!.toISOString()}, after Switchboard's version ${mine.version} (${mine.updatedAt.toISOString()})`
          : `Switchboard won: version ${mine.version} (${mine.updatedAt.toISOString()}) is newer than ${conn.system}'s change${rev ? ` at ${rev.toISOString()}` : ' (no revision)'}`,
    };
    if (theyWin) {
      // The lost values: Switchboard's, replaced by the address book's.
      await local.note(mine.customerId, 'sync_conflict', [verdict, ...contactDiff(mine.contact, theirs.contact)], tx);
      const written = await local.write(conn.system, theirs.contact, tx);
      await store.saveLink(tx, conn.id, {
        external_id: theirs.contact.externalId,
        href: theirs.href,
        etag: theirs.etag,
        synced_version: written.version,
        document: theirs.contact.source ?? null,
        customer_id: written.customerId,
      });
    } else {
      // The lost values: the address book's, overwritten by the push (If-Match the ETag just read).
      const lost = contactDiff(theirs.contact, mine.contact).map((d) => ({ ...d, field: `${conn.system}.${d.field}` }));
      await local.note(mine.customerId, 'sync_conflict', [verdict, ...lost], tx);
      const link = await store.linkOf(tx, conn.id, { externalId: theirs.contact.externalId });
      await store.saveLink(tx, conn.id, {
        external_id: theirs.contact.externalId,
        href: theirs.href,
        etag: theirs.etag,
        synced_version: Math.min(link?.synced_version ?? 0, mine.version - 1),
        document: theirs.contact.source ?? null,
        customer_id: mine.customerId,
      });
    }
  }

  /** The contact was deleted on the server. */
  private async remoteDeleted(conn: store.ConnectorRow, link: store.ContactLink, tx: Queryable): Promise<void> {
    const local = this.localContacts!;
    const mine = await local.read(conn.system, link.external_id, tx);
    await store.dropLink(tx, conn.id, link.external_id);
    if (!mine) return;
    if (mine.version > link.synced_version && conn.push_contacts) {
      // Changed here since: Switchboard wins, the push writes it back as a new contact.
      await local.note(
        mine.customerId,
        'sync_conflict',
        [
          {
            field: 'conflict',
            from: null,
            to: `deleted in ${conn.system} but changed in Switchboard since: written back`,
          },
        ],
        tx,
      );
      return;
    }
    await local.note(
      mine.customerId,
      'sync_deleted',
      [{ field: `externalIds.${conn.system}`, from: link.external_id, to: null }],
      tx,
    );
    await local.unlink(conn.system, link.external_id, tx);
  }

  /** A full listing (no sync token): synced contacts it did not list were deleted on the server. */
  private async deletedFromListing(
    run: Parameters<JobHandler<SyncJobParams, null>['run']>[0],
    conn: store.ConnectorRow,
    seen: Set<string>,
  ): Promise<Record<string, number>> {
    let deleted = 0;
    let after: string | null = null;
    for (;;) {
      const links = await store.linksAfter(this.db, conn.id, after, PUSH_BATCH);
      if (links.length === 0) break;
      after = links[links.length - 1].external_id;
      const gone = links.filter((l) => !seen.has(l.href));
      if (gone.length === 0) continue;
      await run.step(async (tx) => {
        for (const l of gone) await this.remoteDeleted(conn, l, tx);
        return { record: { checkpoint: null, done: 0 }, value: null };
      });
      deleted += gone.length;
    }
    return { deleted };
  }

  /**
   * The push pass of a two-way connector: every customer with an id in the
   * connector's system whose version is past the one synced is written to
   * the server (If-Match the ETag last seen; If-None-Match * when new); a
   * 412 means it changed there meanwhile: read again and resolved by version.
   * A synced contact whose customer is gone (deleted or unlinked here) is
   * deleted on the server (If-Match).
   *
   * One contact's failure is its own: a write the server refuses, a conflict
   * still there after reading the contact again, or a deletion refused is
   * counted (`failed`, or `conflicts` for a deletion the server's newer
   * version won) and listed in `problems`, and the pass goes on. Only a
   * server that cannot be used now (ConnectorUnavailable) stops the run.
   */
  private async push(
    run: Parameters<JobHandler<SyncJobParams, null>['run']>[0],
    conn: store.ConnectorRow,
    two: TwoWayContacts,
    problems: SyncProblem[],
  ): Promise<Record<string, number>> {
    const local = this.localContacts!;
    const counts = { pushed: 0, conflicts: 0, removed: 0, updated: 0, failed: 0 };
    const noted = await store.notedFailures(this.db, conn.id);
    const failedOn = async (
      contact: { externalId: string; customerId: string | null },
      failure: PushFailure,
      err: unknown,
    ) => {
      if (!(err instanceof ConnectorError) || err instanceof ConnectorUnavailable) throw err;
      counts.failed++;
      if (problems.length < MAX_SYNC_PROBLEMS) problems.push({ externalId: contact.externalId, error: err.message });
      await this.noteFailure(run, conn, noted, contact, failure, err.message);
    };
    /** In a step that recorded a success: the failure noted before is forgotten (a new one is noted again). */
    const succeeded = async (externalId: string, tx: Queryable) => {
      if (noted.has(externalId)) await store.forgetNotedFailure(tx, conn.id, externalId);
    };
    const linkedIds = new Set<string>();
    let after: string | null = null;
    for (;;) {
      const batch = await local.linked(conn.system, after, PUSH_BATCH);
      if (batch.length === 0) break;
      after = batch[batch.length - 1].externalId;
      for (const mine of batch) {
        linkedIds.add(mine.externalId);
        const link = await store.linkOf(this.db, conn.id, { externalId: mine.externalId });
        if (link && mine.version <= link.synced_version) continue;
        const contact = { ...mine.contact, externalId: mine.externalId };
        let at = { href: link?.href ?? null, etag: link?.etag ?? null, base: link?.document ?? null };
        for (let attempt = 0; ; attempt++) {
          try {
            const put = await two.putContact(contact, at);
            // A server that answers no ETag: read it, so the next pull knows its own write.
            const etag = put.etag ?? (await two.getContact(put.href))?.etag ?? null;
            await run.step(async (tx) => {
              await store.saveLink(tx, conn.id, {
                external_id: mine.externalId,
                href: put.href,
                etag,
                synced_version: mine.version,
                document: put.document,
                customer_id: mine.customerId,
              });
              await succeeded(mine.externalId, tx);
              return { record: { checkpoint: null, done: 0 }, value: null };
            });
            noted.delete(mine.externalId);
            counts.pushed++;
            break;
          } catch (err) {
            if (!(err instanceof ContactConflict) || attempt > 0) {
              // Left as it is (its version still past the one synced): the next sync tries again.
              const failure = err instanceof ContactConflict ? 'conflict' : 'push refused';
              await failedOn(mine, failure, err);
              break;
            }
            const theirs = await two.getContact(at.href ?? two.hrefFor(mine.externalId));
            if (!theirs) {
              at = { ...at, etag: null };
              continue;
            }
            counts.conflicts++;
            const href = at.href ?? two.hrefFor(mine.externalId);
            const won = await run.step(async (tx) => {
              const fresh = await local.read(conn.system, mine.externalId, tx);
              if (!fresh) return { record: { checkpoint: null, done: 0 }, value: true };
              await this.resolveConflict(
                conn,
                two,
                fresh,
                { contact: { ...theirs.contact, externalId: mine.externalId }, etag: theirs.etag, href },
                tx,
              );
              const l = await store.linkOf(tx, conn.id, { externalId: mine.externalId });
              return { record: { checkpoint: null, done: 0 }, value: l !== null && l.synced_version >= fresh.version };
            });
            if (won) {
              counts.updated++;
              break;
            }
            at = { href, etag: theirs.etag, base: theirs.contact.source ?? at.base };
          }
        }
      }
    }
    // Synced contacts whose customer is gone or no longer carries the id: deleted on the server.
    let from: string | null = null;
    for (;;) {
      const links = await store.linksAfter(this.db, conn.id, from, PUSH_BATCH);
      if (links.length === 0) break;
      from = links[links.length - 1].external_id;
      for (const l of links) {
        if (linkedIds.has(l.external_id)) continue;
        try {
          await two.deleteContact(l.href, l.etag);
          counts.removed++;
        } catch (err) {
          const contact = { externalId: l.external_id, customerId: l.customer_id ?? null };
          if (!(err instanceof ContactConflict)) {
            // Kept linked: the next sync tries the deletion again.
            await failedOn(contact, 'deletion refused', err);
            continue;
          }
          // Changed on the server since it was last synced: its newer version stays there, and
          // Switchboard lets go of it (a later change of it arrives as a new customer, like any new contact).
          counts.conflicts++;
          const error = `not deleted in ${conn.system}: it changed there since the last sync (kept there, no longer linked)`;
          if (problems.length < MAX_SYNC_PROBLEMS) problems.push({ externalId: l.external_id, error });
          await this.noteFailure(run, conn, noted, contact, 'deletion refused', error);
        }
        await run.step(async (tx) => {
          await store.dropLink(tx, conn.id, l.external_id);
          await succeeded(l.external_id, tx);
          return { record: { checkpoint: null, done: 0 }, value: null };
        });
        noted.delete(l.external_id);
      }
    }
    return counts;
  }

  /**
   * A contact the push could not write or delete: a `sync_failed` line in its
   * customer's history naming the connector, what failed and the server's
   * reason (an excerpt). Noted once: a contact failing again the same way
   * (same failure, same reason) on later runs adds no line; another failure
   * or reason does, and so does the same one after a push or deletion of it
   * succeeded in between. A link saved before its customer was recorded
   * (migration 1630), deleted or unlinked here, names no customer: not noted.
   */
  private async noteFailure(
    run: Parameters<JobHandler<SyncJobParams, null>['run']>[0],
    conn: store.ConnectorRow,
    noted: Map<string, string>,
    contact: { externalId: string; customerId: string | null },
    failure: PushFailure,
    reason: string,
  ): Promise<void> {
    const { customerId, externalId } = contact;
    if (customerId === null) return;
    const excerpt = reason.length > FAILURE_REASON_CHARS ? `${reason.slice(0, FAILURE_REASON_CHARS - 1)}…` : reason;
    const digest = createHash('sha256').update(`${failure}\n${excerpt}`).digest('hex');
    if (noted.get(externalId) === digest) return;
    await run.step(async (tx) => {
      await store.saveNotedFailure(tx, conn.id, externalId, digest, this.clock.now());
      await this.localContacts!.note(
        customerId,
        'sync_failed',
        [
          { field: 'connector', from: null, to: `${conn.name} (${conn.system})` },
          { field: 'failure', from: null, to: failure },
          { field: 'reason', from: null, to: excerpt },
        ],
        tx,
      );
      return { record: { checkpoint: null, done: 0 }, value: null };
    });
    noted.set(externalId, digest);
  }

  // ------------------------------------------------------------ configuration

  async list(actor: Actor): Promise<Connector[]> {
    requirePrivilege(actor, 'integrations.manage');
    return (await store.allConnectors(this.db)).map((r) => toConnector(r, this.clock.now()));
  }

  async get(actor: Actor, id: string): Promise<Connector> {
    requirePrivilege(actor, 'integrations.manage');
    return toConnector(await this.row(this.db, id), this.clock.now());
  }

  /**
   * Adds a connector. http: the answer carries its signing secret, which is
   * never shown again. carddav: the user name and password are required; the
   * password is stored as the secret and never returned.
   */
  async create(actor: Actor, input: ConnectorCreate, tx?: Queryable): Promise<Connector & { secret?: string }> {
    requirePrivilege(actor, 'integrations.manage');
    checkCredentials(input.kind, input);
    if (input.kind === 'carddav') {
      if (!input.username) throw new Invalid([{ field: 'username', message: 'required for a carddav connector' }]);
      if (!input.password) throw new Invalid([{ field: 'password', message: 'required for a carddav connector' }]);
    }
    // Read before the transaction: the allow-list is read outside it (the embedded engine has one connection).
    const baseUrl = await this.checkUrl(input.baseUrl);
    const created = await inTransaction(this.db, tx, async (q) => {
      const [count] = await q.query<{ n: number }>('SELECT count(*) AS n FROM connectors');
      if (count.n >= MAX_CONNECTORS)
        throw new Invalid([{ field: 'kind', message: `at most ${MAX_CONNECTORS} connectors` }]);
      const secret = input.kind === 'carddav' ? input.password! : newSigningSecret();
      const now = this.clock.now();
      const [row] = await q.query<store.ConnectorRow>(
        `INSERT INTO connectors (kind, name, system, base_url, enabled, use_for_lookup, log_interactions,
           sync_contacts, lookup_budget_ms, secret, username, sync_interval_minutes, created_at, updated_at,
           push_contacts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) RETURNING *`,
        [
          input.kind,
          input.name.trim(),
          input.system,
          baseUrl,
          input.enabled ?? true,
          input.useForLookup ?? input.kind === 'http',
          input.logInteractions ?? input.kind === 'http',
          input.syncContacts ?? input.kind === 'carddav',
          input.lookupBudgetMs ?? 300,
          secret,
          input.username?.trim() ?? null,
          input.syncIntervalMinutes ?? null,
          now,
          input.pushContacts ?? true,
        ],
      );
      await recordAudit(q, actor, {
        action: 'connector.created',
        targetType: 'connector',
        targetId: row.id,
        details: { kind: row.kind, system: row.system, baseUrl },
      });
      await store.announceChange(q);
      return input.kind === 'http' ? { ...toConnector(row, now), secret } : toConnector(row, now);
    });
    if (!tx) await this.reload();
    return created;
  }

  async update(actor: Actor, id: string, patch: ConnectorPatch, tx?: Queryable): Promise<Connector> {
    requirePrivilege(actor, 'integrations.manage');
    const checkedUrl = patch.baseUrl === undefined ? null : await this.checkUrl(patch.baseUrl);
    const updated = await inTransaction(this.db, tx, async (q) => {
      const before = await this.row(q, id, true);
      if (patch.version !== undefined && patch.version !== before.version)
        throw Conflict.stale(toConnector(before, this.clock.now()));
      checkCredentials(before.kind, patch);
      const baseUrl = checkedUrl ?? before.base_url;
      const interval =
        patch.syncIntervalMinutes === undefined ? before.sync_interval_minutes : patch.syncIntervalMinutes;
      const [row] = await q.query<store.ConnectorRow>(
        `UPDATE connectors SET name = $2, base_url = $3, enabled = $4, use_for_lookup = $5, log_interactions = $6,
           sync_contacts = $7, lookup_budget_ms = $8, updated_at = $9, version = version + 1,
           username = $10, secret = $11, sync_interval_minutes = $12, push_contacts = $13,
           next_sync_at = CASE WHEN $12::integer IS DISTINCT FROM sync_interval_minutes THEN NULL ELSE next_sync_at END,
           -- Another address book or account: its sync-token and ETags mean nothing there.
           sync_cursor = CASE WHEN $3 <> base_url OR $10 IS DISTINCT FROM username THEN NULL ELSE sync_cursor END
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
          patch.username?.trim() ?? before.username,
          patch.password ?? before.secret,
          interval,
          patch.pushContacts ?? before.push_contacts,
        ],
      );
      if (row.sync_cursor === null && before.sync_cursor !== null) {
        await q.query('DELETE FROM connector_contacts WHERE connector_id = $1', [id]);
      }
      const { version: _version, password, ...rest } = patch;
      // The audit line says the password changed, never what it is.
      const changes = password === undefined ? rest : { ...rest, password: 'changed' };
      await recordAudit(q, actor, {
        action: 'connector.updated',
        targetType: 'connector',
        targetId: id,
        details: changes,
      });
      await store.announceChange(q);
      return toConnector(row, this.clock.now());
    });
    if (!tx) await this.reload();
    return updated;
  }

  /**
   * A new signing secret for an http connector, shown once. For
   * `graceSeconds` (default a day) the old secret signs too: every request
   * carries both signatures, so the CRM can switch over without refusing one.
   */
  async rotateSecret(
    actor: Actor,
    id: string,
    graceSeconds: number = DEFAULT_ROTATION_GRACE_SECONDS,
    tx?: Queryable,
  ): Promise<Connector & { secret: string }> {
    requirePrivilege(actor, 'integrations.manage');
    const out = await inTransaction(this.db, tx, async (q) => {
      const before = await this.row(q, id, true);
      if (before.kind !== 'http') {
        throw new Invalid([
          { field: 'kind', message: 'only an http connector has a signing secret (change an address book’s password)' },
        ]);
      }
      const now = this.clock.now();
      const next = rotation(before.secret, now, graceSeconds);
      const [row] = await q.query<store.ConnectorRow>(
        `UPDATE connectors SET secret = $2, previous_secret = $3, previous_secret_until = $4,
           updated_at = $5, version = version + 1
         WHERE id = $1 RETURNING *`,
        [id, next.secret, next.previousSecret, next.previousSecretUntil, now],
      );
      await recordAudit(q, actor, {
        action: 'connector.secret_rotated',
        targetType: 'connector',
        targetId: id,
        details: { graceSeconds },
      });
      await store.announceChange(q);
      return { ...toConnector(row, now), secret: next.secret };
    });
    if (!tx) await this.reload();
    return out;
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

  /** Enqueues the scheduled syncs that are due (every process calls it; each due sync is claimed by one). */
  async scheduleSyncs(): Promise<number> {
    return inTransaction(this.db, undefined, async (q) => {
      const ids = await store.claimDueSyncs(q, this.clock.now());
      for (const connectorId of ids) {
        await this.deps.jobs.enqueue<SyncJobParams>({ kind: SYNC_JOB_KIND, params: { connectorId }, ownerId: null }, q);
      }
      return ids.length;
    });
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
