import type { Queryable } from '../../db/adapter.js';

export interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  disabled_reason: string | null;
  failing_since: Date | null;
  last_success_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface DeliveryRow {
  id: number;
  endpoint_id: string;
  event_id: number;
  msg_id: string;
  type: string;
  state: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: Date | number;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

interface AttemptRow {
  id: number;
  at: Date;
  status: number | null;
  latency_ms: number;
  error: string | null;
  response_excerpt: string | null;
}

/** A claimed delivery with what sending it needs. */
export interface ClaimedRow {
  id: number;
  endpoint_id: string;
  record_key: string;
  attempts: number;
  msg_id: string;
  body: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  /** The administrators' allow-list (webhook_settings), read by the claim: the same on every row. */
  allowed_hosts: string[] | null;
}

export async function getEndpoint(q: Queryable, id: string, forUpdate = false): Promise<EndpointRow | null> {
  const rows = await q.query<EndpointRow>(
    `SELECT * FROM webhook_endpoints WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

const DELIVERY_COLUMNS = `d.id, d.endpoint_id, d.event_id, ev.msg_id, ev.type, d.state, d.attempts, d.next_attempt_at,
  d.last_status, d.last_error, d.created_at, d.finished_at`;

export async function listDeliveries(
  q: Queryable,
  endpointId: string,
  opts: { state?: string; beforeId?: number; limit: number },
): Promise<DeliveryRow[]> {
  return q.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
     WHERE d.endpoint_id = $1 AND ($2::text IS NULL OR d.state = $2) AND ($3::bigint IS NULL OR d.id < $3)
     ORDER BY d.id DESC LIMIT $4`,
    [endpointId, opts.state ?? null, opts.beforeId ?? null, opts.limit],
  );
}

export async function getDelivery(
  q: Queryable,
  endpointId: string,
  id: number,
): Promise<(DeliveryRow & { body: string }) | null> {
  const rows = await q.query<DeliveryRow & { body: string }>(
    `SELECT ${DELIVERY_COLUMNS}, ev.body FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
     WHERE d.endpoint_id = $1 AND d.id = $2`,
    [endpointId, id],
  );
  return rows[0] ?? null;
}

export async function listAttempts(q: Queryable, deliveryId: number): Promise<AttemptRow[]> {
  return q.query<AttemptRow>(
    'SELECT id, at, status, latency_ms, error, response_excerpt FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id',
    [deliveryId],
  );
}

/** How much one claim may take: chains, deliveries per chain, per-endpoint room. */
interface ClaimLimits {
  /** Chains (a record's deliveries to one endpoint) at most. */
  chains: number;
  /** Deliveries per chain at most (the oldest pending one and the next ones behind it). */
  perChain: number;
  /** Chains per endpoint at most, unless `room` says less. */
  perEndpoint: number;
  /** Endpoints with chains already in flight here: how many more each may take. */
  room: Map<string, number>;
  /** The attempt timeout: the claim lasts (longest chain + 1) × this + 1 s. */
  timeoutMs: number;
}

/** What a claim took, and how many deliveries it found waiting behind a head not due and put off. */
export interface Claim {
  rows: ClaimedRow[];
  /** Deliveries whose record's oldest pending one waits for a retry: now due with it, out of the next walks. */
  deferred: number;
}

/**
 * Claims due deliveries for this process (FOR UPDATE SKIP LOCKED: processes
 * never claim the same one). Per endpoint and record only the oldest pending
 * delivery starts a chain, and the chain takes the next pending ones of that
 * record behind it (in id order, up to the first one not due or claimed):
 * they are sent in sequence, so a record's events go out in commit order and
 * a failing one holds back only its own record's later events. The claim
 * lasts long enough for the longest chain to run out its timeouts, so only a
 * dead process's claims are taken over.
 *
 * The cost follows what is claimed, not the backlog: each enabled endpoint's
 * due deliveries are walked in (next_attempt_at, id) order up to four times
 * what it may take, and only the walked ones are checked for being their
 * record's oldest pending one. A walked delivery whose record waits for a
 * retry of its oldest one is given that retry's time (it cannot go before
 * it), so the next walks pass over a stuck record's backlog instead of
 * reading it again.
 */
export async function claimDue(q: Queryable, now: Date, limits: ClaimLimits): Promise<Claim> {
  const roomEndpoints = [...limits.room.keys()];
  const rows = await q.query<ClaimedRow & { deferred: string }>(
    `WITH walked AS (
       SELECT w.id, w.endpoint_id, w.record_key, w.next_attempt_at, room.n
       FROM webhook_endpoints e
       CROSS JOIN LATERAL (
         SELECT COALESCE((SELECT r.n FROM unnest($5::uuid[], $6::int[]) AS r(endpoint_id, n)
           WHERE r.endpoint_id = e.id), $4::int) AS n
       ) room
       CROSS JOIN LATERAL (
         SELECT d.id, d.endpoint_id, d.record_key, d.next_attempt_at FROM webhook_deliveries d
         WHERE d.endpoint_id = e.id AND d.state = 'pending' AND d.next_attempt_at <= $1
           AND (d.locked_until IS NULL OR d.locked_until <= $1)
         ORDER BY d.next_attempt_at, d.id
         LIMIT least($2::int, room.n) * 4
       ) w
       WHERE e.enabled AND room.n > 0
     ), walked_oldest AS (
       SELECT w.id, w.endpoint_id, w.next_attempt_at, w.n, o.id AS oldest_id, o.next_attempt_at AS oldest_due
       FROM walked w CROSS JOIN LATERAL (
         SELECT p.id, p.next_attempt_at FROM webhook_deliveries p
         WHERE p.endpoint_id = w.endpoint_id AND p.record_key = w.record_key AND p.state = 'pending'
         ORDER BY p.id LIMIT 1
       ) o
     ), deferred AS (
       -- Arrays, not a join with the walk: the planner cannot tell the walk is short, and a join would
       -- read the whole table to put off a few rows.
       UPDATE webhook_deliveries d SET next_attempt_at = w.oldest_due
       FROM unnest(
         ARRAY(SELECT w.id FROM walked_oldest w WHERE w.oldest_id <> w.id AND w.oldest_due > $1 ORDER BY w.id),
         ARRAY(SELECT w.oldest_due FROM walked_oldest w WHERE w.oldest_id <> w.id AND w.oldest_due > $1 ORDER BY w.id)
       ) AS w(id, oldest_due)
       WHERE d.id = w.id AND d.state = 'pending'
       RETURNING d.id
     ), candidates AS (
       SELECT w.id, w.n, row_number() OVER (PARTITION BY w.endpoint_id ORDER BY w.next_attempt_at, w.id) AS rn
       FROM walked_oldest w WHERE w.oldest_id = w.id
     ), heads AS (
       SELECT d.id, d.endpoint_id, d.record_key FROM webhook_deliveries d
       JOIN candidates c ON c.id = d.id
       WHERE c.rn <= c.n AND d.state = 'pending' AND (d.locked_until IS NULL OR d.locked_until <= $1)
       ORDER BY d.next_attempt_at, d.id
       LIMIT $2
       FOR UPDATE OF d SKIP LOCKED
     ), chain AS (
       SELECT h.id, 1 AS pos FROM heads h
       UNION ALL
       SELECT f.id, f.pos FROM heads h CROSS JOIN LATERAL (
         SELECT x.id, x.pos FROM (
           SELECT p.id, 1 + row_number() OVER (ORDER BY p.id) AS pos,
             bool_and(p.next_attempt_at <= $1 AND (p.locked_until IS NULL OR p.locked_until <= $1))
               OVER (ORDER BY p.id) AS ready
           FROM (
             SELECT p.id, p.next_attempt_at, p.locked_until FROM webhook_deliveries p
             WHERE p.endpoint_id = h.endpoint_id AND p.record_key = h.record_key AND p.state = 'pending' AND p.id > h.id
             ORDER BY p.id LIMIT $3::int - 1
           ) p
         ) x WHERE x.ready
       ) f
     ), claimed AS (
       UPDATE webhook_deliveries d
       SET locked_until = $1::timestamptz + ((SELECT max(pos) FROM chain) + 1) * $7::float8 * interval '1 millisecond'
         + interval '1 second'
       FROM chain WHERE d.id = chain.id
       RETURNING d.id, d.endpoint_id, d.event_id, d.attempts, d.record_key
     )
     SELECT x.*, (SELECT count(*) FROM deferred) AS deferred
     FROM (SELECT 1) one LEFT JOIN (
       SELECT c.id, c.endpoint_id, c.record_key, c.attempts, ev.msg_id, ev.body, e.url, e.secret, e.previous_secret,
         e.previous_secret_until, (SELECT s.allowed_hosts FROM webhook_settings s) AS allowed_hosts
       FROM claimed c JOIN webhook_events ev ON ev.id = c.event_id JOIN webhook_endpoints e ON e.id = c.endpoint_id
     ) x ON true
     ORDER BY x.id`,
    [
      now,
      limits.chains,
      limits.perChain,
      limits.perEndpoint,
      roomEndpoints,
      roomEndpoints.map((e) => limits.room.get(e)!),
      limits.timeoutMs,
    ],
  );
  // With nothing claimed, the one row carries only the count.
  const deferred = Number(rows[0]?.deferred ?? 0);
  return {
    rows: rows.filter((r) => r.id !== null).map(({ deferred: _, ...r }) => r),
    deferred,
  };
}

/** One attempt's outcome, as the worker records it. */
export interface Outcome {
  id: number;
  state: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  nextAttemptAt: Date | null;
  at: Date;
  status: number | null;
  error: string | null;
  latencyMs: number;
  excerpt: string | null;
}

/** What a batch of attempts says about its endpoint. */
export interface Health {
  /** The last success, if any. */
  succeededAt: Date | null;
  /** The first failure after the last success (or of the batch, with none). */
  failingFrom: Date | null;
  /** The last attempt. */
  latestAt: Date;
  /** A 410 answer: the endpoint is disabled. */
  gone: boolean;
}

/** One endpoint's part of a claim, once sent: its outcomes, the claims it gives back unsent, its health. */
export interface OutcomePart {
  endpointId: string;
  outcomes: Outcome[];
  /** Claims given back unsent (behind a failure in their chain, or at shutdown). */
  released: number[];
  /** Null when nothing was attempted. */
  health: Health | null;
}

/**
 * Writes the outcomes of any number of endpoints' parts of claims in one
 * statement (atomic on its own): the attempt log lines, each delivery's state
 * or next try, the claims given back unsent, and each endpoint's health
 * (disabled on 410 or after failing for `disableAfterMs`). The endpoints are
 * locked in id order, so two processes' writes never deadlock on them, and
 * FOR NO KEY UPDATE (what an UPDATE of non-key columns takes anyway): a
 * FOR UPDATE would wait for every open transaction that has inserted a
 * delivery (its foreign key holds a KEY SHARE lock on the endpoint).
 */
export async function recordOutcomes(q: Queryable, parts: OutcomePart[], disableAfterMs: number): Promise<void> {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  const outcomes = parts.flatMap((p) => p.outcomes);
  const healthy = parts.filter((p): p is OutcomePart & { health: Health } => p.health !== null);
  await q.query(
    `WITH o AS (
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::timestamptz[], $5::int[], $6::text[],
         $7::timestamptz[], $8::int[], $9::text[]) AS o(id, state, attempts, next_at, status, error, at, latency_ms, excerpt)
     ), attempt AS (
       INSERT INTO webhook_attempts (delivery_id, at, status, latency_ms, error, response_excerpt)
       SELECT o.id, o.at, o.status, o.latency_ms, o.error, o.excerpt FROM o JOIN webhook_deliveries d ON d.id = o.id
       ORDER BY o.at, o.id
     ), delivery AS (
       UPDATE webhook_deliveries d SET state = o.state, attempts = o.attempts,
         next_attempt_at = COALESCE(o.next_at, d.next_attempt_at), locked_until = NULL,
         last_status = o.status, last_error = left(o.error, 500),
         finished_at = CASE WHEN o.state = 'pending' THEN NULL ELSE o.at END
       FROM o WHERE d.id = o.id
     ), released AS (
       UPDATE webhook_deliveries SET locked_until = NULL WHERE id = ANY($10::bigint[]) AND state = 'pending'
     ), health AS (
       SELECT e.id, h.succeeded_at, h.gone, h.latest_at,
         CASE WHEN h.succeeded_at IS NOT NULL THEN h.failing_from
           ELSE COALESCE(e.failing_since, h.failing_from) END AS failing
       FROM webhook_endpoints e
       JOIN unnest($11::uuid[], $12::timestamptz[], $13::timestamptz[], $14::boolean[], $15::timestamptz[])
         AS h(id, succeeded_at, failing_from, gone, latest_at) ON h.id = e.id
       ORDER BY e.id
       FOR NO KEY UPDATE OF e
     )
     UPDATE webhook_endpoints e SET
       last_success_at = COALESCE(h.succeeded_at, e.last_success_at),
       failing_since = h.failing,
       enabled = CASE WHEN h.gone OR h.latest_at - h.failing >= $16::float8 * interval '1 millisecond'
         THEN false ELSE e.enabled END,
       disabled_reason = CASE WHEN h.gone THEN 'gone'
         WHEN h.latest_at - h.failing >= $16::float8 * interval '1 millisecond' THEN 'failing'
         ELSE e.disabled_reason END
     FROM health h WHERE e.id = h.id`,
    [
      outcomes.map((o) => o.id),
      outcomes.map((o) => o.state),
      outcomes.map((o) => o.attempts),
      outcomes.map((o) => iso(o.nextAttemptAt)),
      outcomes.map((o) => o.status),
      outcomes.map((o) => o.error),
      outcomes.map((o) => o.at.toISOString()),
      outcomes.map((o) => o.latencyMs),
      outcomes.map((o) => o.excerpt),
      parts.flatMap((p) => p.released),
      healthy.map((p) => p.endpointId),
      healthy.map((p) => iso(p.health.succeededAt)),
      healthy.map((p) => iso(p.health.failingFrom)),
      healthy.map((p) => p.health.gone),
      healthy.map((p) => p.health.latestAt.toISOString()),
      disableAfterMs,
    ],
  );
}
