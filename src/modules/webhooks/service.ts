import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Conflict, Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';
import { recordAudit } from '../audit/service.js';
import { isWebhookEventType, TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES, type WebhookEventType } from './event-types.js';
import { enqueueWebhook, type WebhookRecord } from './outbox.js';
import { PinnedAgents, postPinned, type SendResult } from './send.js';
import { DEFAULT_ROTATION_GRACE_SECONDS, newSigningSecret, rotation, signatureHeader, signersAt } from './signing.js';
import {
  cachingResolver,
  literalRefusal,
  resolveTarget,
  systemResolver,
  TargetRefused,
  type Resolver,
} from './ssrf.js';
import * as store from './store.js';

/** Delays before the 2nd, 3rd … attempt: about a day and a half in all, 9 attempts (the first at once). */
export const RETRY_DELAYS_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3600_000,
  5 * 3600_000,
  10 * 3600_000,
  10 * 3600_000,
  10 * 3600_000,
];
/** An endpoint whose deliveries have failed for this long (no success in between) is disabled and flagged. */
const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3600_000;
/** Chains (a record's deliveries to one endpoint, sent in sequence) in flight per process. */
const MAX_IN_FLIGHT = 256;
/** Chains in flight per endpoint and process. */
const PER_ENDPOINT = 64;
/** Keep-alive connections per endpoint address and process (more requests wait for one, within their timeout). */
const SOCKETS_PER_ENDPOINT = 16;
/** Deliveries of one record to one endpoint taken by one claim. */
const PER_CHAIN = 8;
/** A host's DNS answer is used this long (every attempt still checks it). */
const RESOLUTION_TTL_MS = 5000;
/**
 * A wake-up (an outbox write's NOTIFY, a batch's end) claims this much later, so
 * that the changes committed meanwhile are claimed together: under load one
 * claim, and one outcome write, carry many deliveries instead of a few.
 */
const CLAIM_GATHER_MS = 20;
/**
 * Outcome writes under way at once per process: each writes every part queued
 * when it starts (one statement), so under load a write carries many parts,
 * and a slow write does not hold back the parts finishing meanwhile.
 */
const OUTCOME_WRITERS = 2;
/** Outbox writes notify this channel: every process's poller wakes at once instead of on its next tick. */
const WAKE_CHANNEL = 'sb_webhooks';
/** The delivery log keeps finished deliveries this long. */
const LOG_RETENTION_DAYS = 30;
const MAX_ENDPOINTS = 100;

interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  /** Why the server disabled it: `gone` (the receiver answered 410) or `failing` (failing for 5 days); null otherwise. */
  disabledReason: string | null;
  failingSince: string | null;
  lastSuccessAt: string | null;
  /** During a rotation's grace period: until when the previous secret also signs. */
  previousSecretUntil: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

interface WebhookDelivery {
  id: string;
  webhookId: string;
  type: string;
  state: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
}

interface WebhookAttempt {
  at: string;
  status: number | null;
  latencyMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

interface EndpointInput {
  url: string;
  events: string[];
  description?: string | null;
  enabled?: boolean;
}

/** -infinity (due at once) comes back as a number from the drivers: no time to show. */
const iso = (d: Date | number | null): string | null =>
  d instanceof Date && Number.isFinite(d.getTime()) ? d.toISOString() : null;

function toEndpoint(r: store.EndpointRow, now: Date): WebhookEndpoint {
  const rotating = r.previous_secret && r.previous_secret_until && r.previous_secret_until > now;
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    events: r.events,
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    failingSince: iso(r.failing_since),
    lastSuccessAt: iso(r.last_success_at),
    previousSecretUntil: rotating ? iso(r.previous_secret_until) : null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
  };
}

function toDelivery(r: store.DeliveryRow): WebhookDelivery {
  return {
    id: String(r.id),
    webhookId: r.msg_id,
    type: r.type,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.state === 'pending' ? (iso(r.next_attempt_at) ?? r.created_at.toISOString()) : null,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at.toISOString(),
    finishedAt: iso(r.finished_at),
  };
}

interface WebhooksOptions {
  /** DNS resolution for the SSRF guard (tests pass their own). */
  resolver?: Resolver;
  /**
   * The time written in `webhook-timestamp`: receivers compare it with their
   * own wall clock, so it is the real time even when tests move the
   * scheduling clock.
   */
  wallClock?: Clock;
}

/**
 * Webhooks (docs/webhooks.md): endpoints administrators register, the
 * outbox written in the changing transaction (`enqueueWebhook`), and the
 * delivery worker every server process runs: Standard Webhooks signatures,
 * retries on the injected clock, per-record order, the SSRF guard.
 */
export class WebhooksService {
  /** Each claim's part for one endpoint, until its outcomes are written. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Chains in flight, in all and per endpoint. */
  private chains = 0;
  private readonly chainsOf = new Map<string, number>();
  private stopping = false;
  private polling: Promise<number> | null = null;
  private pollAgain = false;
  private listening = false;
  private wakeTimer: ReturnType<typeof setTimeout> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private readonly agents = new PinnedAgents(SOCKETS_PER_ENDPOINT);
  /** Endpoints' parts of claims, sent and waiting for the outcome writer. */
  private readonly outcomeQueue: { part: store.OutcomePart; written: () => void }[] = [];
  /** Outcome writes under way (at most OUTCOME_WRITERS). */
  private outcomeWriters = 0;
  /** Attempts made by this process (deliverDue answers how many it made). */
  private attemptsMade = 0;
  private readonly resolver: Resolver;
  private readonly wallClock: Clock;
  /** The deliverer's own connections (WEBHOOK_DB_POOL_SIZE), opened on its first claim; else `db`. */
  private delivererDb: Db | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly clock: Clock = systemClock,
    opts: WebhooksOptions = {},
  ) {
    this.resolver = cachingResolver(opts.resolver ?? systemResolver, RESOLUTION_TTL_MS);
    this.wallClock = opts.wallClock ?? systemClock;
  }

  /** For other modules (imports, exports): `webhooks.enqueue('import.completed', record, tx)`; same as enqueueWebhook. */
  async enqueue<T extends WebhookRecord>(type: WebhookEventType, data: T, tx?: Queryable): Promise<void> {
    await inTransaction(this.db, tx, (q) => enqueueWebhook(q, type, data));
  }

  eventTypes(): { type: string; description: string }[] {
    return Object.entries(WEBHOOK_EVENT_TYPES).map(([type, description]) => ({ type, description }));
  }

  // ------------------------------------------------------------ endpoints

  async list(actor: Actor): Promise<WebhookEndpoint[]> {
    requirePrivilege(actor, 'integrations.manage');
    const rows = await this.db.query<store.EndpointRow>('SELECT * FROM webhook_endpoints ORDER BY created_at, id');
    const now = this.clock.now();
    return rows.map((r) => toEndpoint(r, now));
  }

  async get(actor: Actor, id: string): Promise<WebhookEndpoint> {
    requirePrivilege(actor, 'integrations.manage');
    return toEndpoint(await this.row(this.db, id), this.clock.now());
  }

  /** Registers an endpoint; the answer carries its secret, which is never shown again. */
  async create(actor: Actor, input: EndpointInput, tx?: Queryable): Promise<WebhookEndpoint & { secret: string }> {
    requirePrivilege(actor, 'integrations.manage');
    return inTransaction(this.db, tx, async (q) => {
      const url = await this.checkUrl(q, input.url);
      const events = checkEvents(input.events);
      const count = await q.query<{ n: number }>('SELECT count(*) AS n FROM webhook_endpoints');
      if (count[0].n >= MAX_ENDPOINTS)
        throw new Invalid([{ field: 'url', message: `at most ${MAX_ENDPOINTS} endpoints` }]);
      const secret = newSigningSecret();
      const now = this.clock.now();
      const [row] = await q.query<store.EndpointRow>(
        `INSERT INTO webhook_endpoints (url, description, events, enabled, secret, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *`,
        [url, input.description?.trim() || null, events, input.enabled ?? true, secret, now],
      );
      await recordAudit(q, actor, {
        action: 'webhook.created',
        targetType: 'webhook',
        targetId: row.id,
        details: { url, events },
      });
      return { ...toEndpoint(row, now), secret };
    });
  }

  /** Changes the fields sent; enabling again clears the server's flag and the failing period. */
  async update(
    actor: Actor,
    id: string,
    patch: Partial<EndpointInput>,
    expectedVersion: number | null,
    tx?: Queryable,
  ): Promise<WebhookEndpoint> {
    requirePrivilege(actor, 'integrations.manage');
    return inTransaction(this.db, tx, async (q) => {
      const before = await this.row(q, id, true);
      const now = this.clock.now();
      if (expectedVersion !== null && expectedVersion !== before.version) throw Conflict.stale(toEndpoint(before, now));
      const url = patch.url !== undefined ? await this.checkUrl(q, patch.url) : before.url;
      const events = patch.events !== undefined ? checkEvents(patch.events) : before.events;
      const description = patch.description !== undefined ? patch.description?.trim() || null : before.description;
      const enabled = patch.enabled ?? before.enabled;
      const reenabled = enabled && !before.enabled;
      const [row] = await q.query<store.EndpointRow>(
        `UPDATE webhook_endpoints SET url = $2, events = $3, description = $4, enabled = $5::boolean,
           disabled_reason = CASE WHEN $5::boolean THEN NULL ELSE disabled_reason END,
           failing_since = CASE WHEN $6::boolean THEN NULL ELSE failing_since END,
           updated_at = $7, version = version + 1
         WHERE id = $1 RETURNING *`,
        [id, url, events, description, enabled, reenabled, now],
      );
      const changed: Record<string, unknown> = {};
      if (url !== before.url) changed.url = url;
      if (events.join() !== before.events.join()) changed.events = events;
      if (description !== before.description) changed.description = description;
      if (enabled !== before.enabled) changed.enabled = enabled;
      await recordAudit(q, actor, { action: 'webhook.updated', targetType: 'webhook', targetId: id, details: changed });
      return toEndpoint(row, now);
    });
  }

  async delete(actor: Actor, id: string, tx?: Queryable): Promise<void> {
    requirePrivilege(actor, 'integrations.manage');
    await inTransaction(this.db, tx, async (q) => {
      const before = await this.row(q, id, true);
      await q.query('DELETE FROM webhook_endpoints WHERE id = $1', [id]);
      await recordAudit(q, actor, {
        action: 'webhook.deleted',
        targetType: 'webhook',
        targetId: id,
        details: { url: before.url },
      });
    });
  }

  /**
   * A new secret, shown once. For `graceSeconds` (default a day) the old
   * secret signs too: each delivery carries both signatures, so receivers can
   * switch over without losing a message.
   */
  async rotateSecret(
    actor: Actor,
    id: string,
    graceSeconds: number = DEFAULT_ROTATION_GRACE_SECONDS,
    tx?: Queryable,
  ): Promise<WebhookEndpoint & { secret: string }> {
    requirePrivilege(actor, 'integrations.manage');
    return inTransaction(this.db, tx, async (q) => {
      const before = await this.row(q, id, true);
      const now = this.clock.now();
      const next = rotation(before.secret, now, graceSeconds);
      const secret = next.secret;
      const [row] = await q.query<store.EndpointRow>(
        `UPDATE webhook_endpoints SET secret = $2, previous_secret = $3, previous_secret_until = $4,
           updated_at = $5, version = version + 1
         WHERE id = $1 RETURNING *`,
        [id, secret, next.previousSecret, next.previousSecretUntil, now],
      );
      await recordAudit(q, actor, {
        action: 'webhook.secret_rotated',
        targetType: 'webhook',
        targetId: id,
        details: { graceSeconds },
      });
      return { ...toEndpoint(row, now), secret };
    });
  }

  // ------------------------------------------------------------ deliveries

  async deliveries(
    actor: Actor,
    id: string,
    opts: { state?: 'pending' | 'succeeded' | 'failed'; limit: number; cursor?: string },
  ): Promise<Page<WebhookDelivery>> {
    requirePrivilege(actor, 'integrations.manage');
    await this.row(this.db, id);
    const beforeId = opts.cursor ? Number(decodeCursor(opts.cursor, ['number'])[0]) : undefined;
    const rows = await store.listDeliveries(this.db, id, { state: opts.state, beforeId, limit: opts.limit + 1 });
    return keysetPage(rows, opts.limit, (last) => [Number(last.id)], toDelivery);
  }

  /** One delivery with its body and every attempt (time, status, latency, response excerpt). */
  async delivery(
    actor: Actor,
    id: string,
    deliveryId: string,
  ): Promise<WebhookDelivery & { body: string; attemptLog: WebhookAttempt[] }> {
    requirePrivilege(actor, 'integrations.manage');
    await this.row(this.db, id);
    const row = /^\d{1,15}$/.test(deliveryId) ? await store.getDelivery(this.db, id, Number(deliveryId)) : null;
    if (!row) throw new NotFound('Delivery');
    const attempts = await store.listAttempts(this.db, row.id);
    return {
      ...toDelivery(row),
      body: row.body,
      attemptLog: attempts.map((a) => ({
        at: a.at.toISOString(),
        status: a.status,
        latencyMs: a.latency_ms,
        error: a.error,
        responseExcerpt: a.response_excerpt,
      })),
    };
  }

  /** Sends a delivery again (same webhook-id, so receivers can deduplicate), at once and with a fresh retry schedule. */
  async replay(actor: Actor, id: string, deliveryId: string, tx?: Queryable): Promise<WebhookDelivery> {
    requirePrivilege(actor, 'integrations.manage');
    return inTransaction(this.db, tx, async (q) => {
      await this.row(q, id);
      if (!/^\d{1,15}$/.test(deliveryId)) throw new NotFound('Delivery');
      const rows = await q.query<{ id: number }>(
        `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = '-infinity',
           locked_until = NULL, finished_at = NULL
         WHERE endpoint_id = $1 AND id = $2 AND state <> 'pending' RETURNING id`,
        [id, Number(deliveryId)],
      );
      const row = await store.getDelivery(q, id, Number(deliveryId));
      if (!row) throw new NotFound('Delivery');
      if (rows.length) {
        await recordAudit(q, actor, {
          action: 'webhook.replayed',
          targetType: 'webhook',
          targetId: id,
          details: { delivery: deliveryId },
        });
      }
      return toDelivery(row);
    });
  }

  /** Replays every failed delivery of the endpoint created since a time; answers how many. */
  async replayFailed(actor: Actor, id: string, since: Date, tx?: Queryable): Promise<{ replayed: number }> {
    requirePrivilege(actor, 'integrations.manage');
    return inTransaction(this.db, tx, async (q) => {
      await this.row(q, id);
      const rows = await q.query<{ id: number }>(
        `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = '-infinity',
           locked_until = NULL, finished_at = NULL
         WHERE endpoint_id = $1 AND state = 'failed' AND created_at >= $2 RETURNING id`,
        [id, since],
      );
      await recordAudit(q, actor, {
        action: 'webhook.replayed',
        targetType: 'webhook',
        targetId: id,
        details: { since: since.toISOString(), count: rows.length },
      });
      return { replayed: rows.length };
    });
  }

  /** "Send a test event": a `webhook.test` delivery to this endpoint only, whatever it subscribes to. */
  async sendTest(actor: Actor, id: string, tx?: Queryable): Promise<WebhookDelivery> {
    requirePrivilege(actor, 'integrations.manage');
    return inTransaction(this.db, tx, async (q) => {
      await this.row(q, id);
      const msgId = `msg_${randomUUID().replace(/-/g, '')}`;
      const body = JSON.stringify({
        type: TEST_EVENT_TYPE,
        timestamp: this.clock.now().toISOString(),
        data: { webhookEndpointId: id, message: 'A test event from Switchboard' },
      });
      const [ev] = await q.query<{ id: number }>(
        'INSERT INTO webhook_events (msg_id, type, body) VALUES ($1, $2, $3) RETURNING id',
        [msgId, TEST_EVENT_TYPE, body],
      );
      const [d] = await q.query<{ id: number }>(
        'INSERT INTO webhook_deliveries (endpoint_id, event_id, record_key) VALUES ($1, $2, $3) RETURNING id',
        [id, ev.id, `test:${msgId}`],
      );
      return toDelivery((await store.getDelivery(q, id, d.id))!);
    });
  }

  // ------------------------------------------------------------ settings

  /** Hosts and addresses an administrator allows past the SSRF guard (WEBHOOK_ALLOWED_HOSTS adds to them). */
  async settings(
    actor: Actor,
  ): Promise<{ allowedHosts: string[]; environmentAllowedHosts: string[]; version: number }> {
    requirePrivilege(actor, 'integrations.manage');
    const [row] = await this.db.query<{ allowed_hosts: string[]; version: number }>(
      'SELECT allowed_hosts, version FROM webhook_settings',
    );
    return {
      allowedHosts: row.allowed_hosts,
      environmentAllowedHosts: this.config.webhooks.allowedHosts,
      version: row.version,
    };
  }

  async updateSettings(
    actor: Actor,
    input: { allowedHosts: string[]; version?: number },
    tx?: Queryable,
  ): Promise<{ allowedHosts: string[]; environmentAllowedHosts: string[]; version: number }> {
    requirePrivilege(actor, 'integrations.manage');
    const hosts = [...new Set(input.allowedHosts.map((h) => h.trim().toLowerCase()).filter(Boolean))];
    hosts.forEach((h, i) => {
      if (!/^[a-z0-9.:_-]+$/.test(h)) {
        throw new Invalid([{ field: `allowedHosts.${i}`, message: 'a host name or an IP address' }]);
      }
    });
    return inTransaction(this.db, tx, async (q) => {
      const [before] = await q.query<{ allowed_hosts: string[]; version: number }>(
        'SELECT allowed_hosts, version FROM webhook_settings FOR UPDATE',
      );
      if (input.version !== undefined && input.version !== before.version) {
        throw Conflict.stale({ allowedHosts: before.allowed_hosts, version: before.version });
      }
      const [row] = await q.query<{ allowed_hosts: string[]; version: number }>(
        'UPDATE webhook_settings SET allowed_hosts = $1, version = version + 1 RETURNING allowed_hosts, version',
        [hosts],
      );
      await recordAudit(q, actor, { action: 'webhook.settings_changed', details: { allowedHosts: hosts } });
      return {
        allowedHosts: row.allowed_hosts,
        environmentAllowedHosts: this.config.webhooks.allowedHosts,
        version: row.version,
      };
    });
  }

  // ------------------------------------------------------------ the worker

  /**
   * Wakes the poller whenever an outbox write commits anywhere (NOTIFY), and
   * when a batch's outcomes are written here; the timer's poll stays as the
   * safety net (a listener reconnect can lose a notification).
   */
  async listen(): Promise<void> {
    if (this.listening || this.stopping) return;
    this.listening = true;
    this.unlisten = await this.db.listen(WAKE_CHANNEL, () => this.wake());
  }

  /**
   * A wake-up claims after CLAIM_GATHER_MS, not at once: the changes that
   * commit meanwhile (each one notifies) are claimed by the same statement.
   */
  private wake(): void {
    if (!this.listening || this.stopping || this.wakeTimer) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      if (this.listening && !this.stopping) void this.poll().catch(() => undefined); // the timer's poll logs errors
    }, CLAIM_GATHER_MS);
  }

  /**
   * One poll (every server process: on its timer, on NOTIFY, when a batch
   * ends): claims due deliveries up to the free sending slots and starts them
   * without waiting, so one slow receiver never holds up the others. A poll
   * asked for while one runs makes that one claim again.
   */
  poll(): Promise<number> {
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    const run = async () => {
      let total = 0;
      do {
        this.pollAgain = false;
        while (!this.stopping) {
          const free = MAX_IN_FLIGHT - this.chains;
          if (free <= 0) break; // a batch that ends wakes the poller again (or the timer does)
          const n = await this.claimAndSend(free);
          total += n;
          if (n < free) break;
        }
      } while (this.pollAgain && !this.stopping);
      return total;
    };
    // Cleared in a later microtask: run() may finish without awaiting anything (no free slot).
    const polling: Promise<number> = run().finally(() => {
      if (this.polling === polling) this.polling = null;
    });
    this.polling = polling;
    return polling;
  }

  /** Claims up to `limit` chains and starts them; answers how many chains. */
  private async claimAndSend(limit: number): Promise<number> {
    const now = this.clock.now();
    const room = new Map([...this.chainsOf].map(([e, n]) => [e, Math.max(0, PER_ENDPOINT - n)]));
    // One statement, atomic on its own (no BEGIN/COMMIT round trips), which also reads the allow-list.
    // A walk that met only a stuck record's backlog put it off and found nothing: the next walk goes past it.
    let claim: store.Claim;
    do {
      claim = await store.claimDue(this.workDb(), now, {
        chains: limit,
        perChain: PER_CHAIN,
        perEndpoint: PER_ENDPOINT,
        room,
        timeoutMs: this.config.webhooks.timeoutMs,
      });
    } while (claim.rows.length === 0 && claim.deferred > 0 && !this.stopping);
    const claimed = claim.rows;
    if (claimed.length === 0) return 0;
    const allow = new Set([...this.config.webhooks.allowedHosts, ...(claimed[0].allowed_hosts ?? [])]);
    // Rows come in id order: per endpoint, per record, a chain in commit order.
    const byEndpoint = new Map<string, Map<string, store.ClaimedRow[]>>();
    for (const c of claimed) {
      let chains = byEndpoint.get(c.endpoint_id);
      if (!chains) byEndpoint.set(c.endpoint_id, (chains = new Map()));
      const chain = chains.get(c.record_key);
      if (chain) chain.push(c);
      else chains.set(c.record_key, [c]);
    }
    let started = 0;
    for (const [endpointId, chains] of byEndpoint) {
      const n = chains.size;
      started += n;
      this.chains += n;
      this.chainsOf.set(endpointId, (this.chainsOf.get(endpointId) ?? 0) + n);
      const p: Promise<void> = this.sendChains(endpointId, [...chains.values()], allow).finally(() => {
        this.inFlight.delete(p);
        this.chains -= n;
        const left = this.chainsOf.get(endpointId)! - n;
        if (left > 0) this.chainsOf.set(endpointId, left);
        else this.chainsOf.delete(endpointId);
        this.wake();
      });
      this.inFlight.add(p);
    }
    return started;
  }

  /**
   * Sends one endpoint's chains of a claim, each chain in sequence and the
   * chains side by side; a failure stops its chain (the rest are given back
   * unsent, behind it). Then writes every outcome in one statement.
   */
  private async sendChains(
    endpointId: string,
    chains: store.ClaimedRow[][],
    allow: ReadonlySet<string>,
  ): Promise<void> {
    const outcomes: store.Outcome[] = [];
    const released: number[] = [];
    await Promise.all(
      chains.map(async (chain) => {
        for (let i = 0; i < chain.length; i++) {
          if (i > 0 && this.stopping) {
            released.push(...chain.slice(i).map((c) => c.id));
            return;
          }
          const outcome = await this.attempt(chain[i], allow);
          outcomes.push(outcome);
          if (outcome.state !== 'succeeded') {
            released.push(...chain.slice(i + 1).map((c) => c.id));
            return;
          }
        }
      }),
    );
    await this.recordOutcomes({ endpointId, outcomes, released, health: null });
  }

  /**
   * Queues one endpoint's part of a claim for the outcome writers and answers
   * once it is written. Up to OUTCOME_WRITERS writes run at once per process;
   * the parts that finish meanwhile are written together by the next one (one
   * statement), so under load a write carries many deliveries, and alone a
   * part waits for nothing.
   */
  private recordOutcomes(part: store.OutcomePart): Promise<void> {
    return new Promise((resolve) => {
      this.outcomeQueue.push({ part, written: resolve });
      if (this.outcomeWriters < OUTCOME_WRITERS) {
        this.outcomeWriters++;
        void this.writeOutcomes();
      }
    });
  }

  /** One writer: writes what is queued, then what was queued meanwhile, until nothing is. */
  private async writeOutcomes(): Promise<void> {
    try {
      // Started in a later turn, so that the parts finishing in this one are written together.
      await Promise.resolve();
      while (this.outcomeQueue.length > 0) await this.writeQueued();
    } finally {
      // In the same turn as its last look at the queue: a part queued after it starts another writer.
      this.outcomeWriters--;
    }
  }

  private async writeQueued(): Promise<void> {
    const batch = this.outcomeQueue.splice(0);
    // One part per endpoint (its health is worked out over all its outcomes of the batch).
    const byEndpoint = new Map<string, store.OutcomePart>();
    for (const { part } of batch) {
      const merged = byEndpoint.get(part.endpointId);
      if (merged) {
        merged.outcomes.push(...part.outcomes);
        merged.released.push(...part.released);
      } else byEndpoint.set(part.endpointId, { ...part, outcomes: [...part.outcomes], released: [...part.released] });
    }
    const parts = [...byEndpoint.values()].map((p) => ({ ...p, health: healthOf(p.outcomes) }));
    try {
      await store.recordOutcomes(this.workDb(), parts, DISABLE_AFTER_FAILING_MS);
    } catch {
      // An endpoint deleted meanwhile can fail the statement: then each part on its own.
      if (parts.length > 1) {
        for (const part of parts) {
          await store.recordOutcomes(this.workDb(), [part], DISABLE_AFTER_FAILING_MS).catch(() => undefined);
        }
      }
    } finally {
      for (const { written } of batch) written();
    }
  }

  /** Sends everything due now and waits for the answers (tests, after moving the clock); answers the attempts made. */
  async deliverDue(): Promise<number> {
    const before = this.attemptsMade;
    for (;;) {
      const n = await this.claimAndSend(MAX_IN_FLIGHT - this.chains);
      if (n === 0 && this.inFlight.size === 0) return this.attemptsMade - before;
      if (this.inFlight.size > 0) await Promise.race(this.inFlight);
    }
  }

  /**
   * The hourly prune: finished deliveries (and their attempts) older than
   * LOG_RETENTION_DAYS go, then events no delivery refers to. Answers the deliveries removed.
   */
  async prune(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - LOG_RETENTION_DAYS * 24 * 3600_000);
    const rows = await this.db.query<{ id: number }>(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND finished_at < $1 LIMIT 10000)
       RETURNING id`,
      [before],
    );
    await this.db.query(
      `DELETE FROM webhook_events ev WHERE ev.created_at < $1
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = ev.id)`,
      [before],
    );
    return rows.length;
  }

  /** Waits for the attempts under way (shutdown). */
  async drain(): Promise<void> {
    this.stopping = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    await this.unlisten?.().catch(() => undefined);
    this.unlisten = null;
    await this.polling?.catch(() => undefined);
    await Promise.all([...this.inFlight]);
    this.agents.close();
    const own = this.delivererDb;
    this.delivererDb = null;
    if (own && own !== this.db) await own.close().catch(() => undefined);
  }

  /**
   * Where the deliverer's claims and outcome writes go: on PostgreSQL a small
   * pool of its own (WEBHOOK_DB_POOL_SIZE connections, same settings as the
   * request pool, so behind PgBouncer in transaction mode too), so a claim
   * never waits behind request traffic in a saturated pool and outlives its
   * lease; with 0, or on PGlite (one connection), the shared database.
   */
  private workDb(): Db {
    if (!this.delivererDb) {
      const size = this.config.webhooks.dbPoolSize;
      this.delivererDb =
        size > 0 && this.db.openSidePool && !this.stopping
          ? this.db.openSidePool({ poolSize: size, application: 'switchboard-webhooks' })
          : this.db;
    }
    return this.delivererDb;
  }

  /** The SSRF guard's allow-list (WEBHOOK_ALLOWED_HOSTS and the settings), for other outgoing calls (connectors). */
  async ssrfAllowList(): Promise<ReadonlySet<string>> {
    return this.allowList();
  }

  private async allowList(): Promise<Set<string>> {
    const rows = await this.db.query<{ allowed_hosts: string[] }>('SELECT allowed_hosts FROM webhook_settings');
    return new Set([...this.config.webhooks.allowedHosts, ...(rows[0]?.allowed_hosts ?? [])]);
  }

  /** One attempt: the SSRF check, the signatures, the POST; answers the outcome to write. */
  private async attempt(c: store.ClaimedRow, allow: ReadonlySet<string>): Promise<store.Outcome> {
    this.attemptsMade++;
    const at = this.clock.now();
    let result: SendResult;
    try {
      const url = new URL(c.url);
      const target = await resolveTarget(url, allow, this.resolver);
      const signers = signersAt(
        { secret: c.secret, previousSecret: c.previous_secret, previousSecretUntil: c.previous_secret_until },
        at,
      );
      const sentAt = this.wallClock.now();
      const headers = {
        'webhook-id': c.msg_id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signatureHeader(signers, c.msg_id, sentAt, c.body),
        'user-agent': 'Switchboard-Webhooks/1',
      };
      result = await postPinned(this.agents, url, target, headers, c.body, this.config.webhooks.timeoutMs);
    } catch (err) {
      const refused = err instanceof TargetRefused;
      result = {
        status: null,
        error: refused ? `refused: ${err.message}` : (err as Error).message,
        excerpt: null,
        latencyMs: 0,
      };
    }
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const attempts = c.attempts + 1;
    const exhausted = attempts > RETRY_DELAYS_MS.length;
    const state = ok ? 'succeeded' : result.status === 410 || exhausted ? 'failed' : 'pending';
    return {
      id: c.id,
      state,
      attempts,
      nextAttemptAt: state === 'pending' ? new Date(at.getTime() + RETRY_DELAYS_MS[attempts - 1]) : null,
      at,
      status: result.status,
      error: result.error,
      latencyMs: result.latencyMs,
      excerpt: result.excerpt,
    };
  }

  // ------------------------------------------------------------ helpers

  private async row(q: Queryable, id: string, forUpdate = false): Promise<store.EndpointRow> {
    const row = isUuid(id) ? await store.getEndpoint(q, id, forUpdate) : null;
    if (!row) throw new NotFound('Webhook endpoint');
    return row;
  }

  private async checkUrl(q: Queryable, raw: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw new Invalid([{ field: 'url', message: 'not a URL' }]);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Invalid([{ field: 'url', message: 'must start with http:// or https://' }]);
    }
    const rows = await q.query<{ allowed_hosts: string[] }>('SELECT allowed_hosts FROM webhook_settings');
    const refusal = literalRefusal(
      url,
      new Set([...this.config.webhooks.allowedHosts, ...(rows[0]?.allowed_hosts ?? [])]),
    );
    if (refusal) throw new Invalid([{ field: 'url', message: `${refusal} (allow it in the webhook settings first)` }]);
    return url.toString();
  }
}

/** What one endpoint's batch of outcomes says about its health (null: nothing was attempted). */
function healthOf(outcomes: store.Outcome[]): store.Health | null {
  if (outcomes.length === 0) return null;
  const sorted = [...outcomes].sort((a, b) => a.at.getTime() - b.at.getTime() || a.id - b.id);
  let succeededAt: Date | null = null;
  let failingFrom: Date | null = null;
  for (const o of sorted) {
    if (o.state === 'succeeded') {
      succeededAt = o.at;
      failingFrom = null;
    } else failingFrom ??= o.at;
  }
  return {
    succeededAt,
    failingFrom,
    latestAt: sorted[sorted.length - 1].at,
    gone: outcomes.some((o) => o.status === 410),
  };
}

function checkEvents(events: string[]): string[] {
  if (events.length === 0) throw new Invalid([{ field: 'events', message: 'name at least one event type, or *' }]);
  events.forEach((e, i) => {
    if (e !== '*' && !isWebhookEventType(e)) {
      throw new Invalid([
        { field: `events.${i}`, message: `unknown event type "${e}" (see GET /api/v1/webhooks/event-types)` },
      ]);
    }
  });
  return [...new Set(events)];
}
