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
  attempts: number;
  msg_id: string;
  body: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
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

/**
 * Claims due deliveries for this process until `leaseUntil` (FOR UPDATE SKIP
 * LOCKED: processes never claim the same one). Per endpoint and record only
 * the oldest pending delivery is eligible, so a record's events go out in
 * commit order and a failing one holds back only its own record's later events.
 */
export async function claimDue(q: Queryable, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedRow[]> {
  return q.query<ClaimedRow>(
    `WITH picked AS (
       SELECT d.id FROM webhook_deliveries d
       JOIN webhook_endpoints e ON e.id = d.endpoint_id
       WHERE d.state = 'pending' AND d.next_attempt_at <= $1
         AND (d.locked_until IS NULL OR d.locked_until <= $1) AND e.enabled
         AND NOT EXISTS (
           SELECT 1 FROM webhook_deliveries p
           WHERE p.endpoint_id = d.endpoint_id AND p.record_key = d.record_key AND p.state = 'pending' AND p.id < d.id)
       ORDER BY d.next_attempt_at, d.id
       LIMIT $3
       FOR UPDATE OF d SKIP LOCKED
     ), claimed AS (
       UPDATE webhook_deliveries d SET locked_until = $2 FROM picked WHERE d.id = picked.id
       RETURNING d.id, d.endpoint_id, d.event_id, d.attempts
     )
     SELECT c.id, c.endpoint_id, c.attempts, ev.msg_id, ev.body, e.url, e.secret, e.previous_secret, e.previous_secret_until
     FROM claimed c JOIN webhook_events ev ON ev.id = c.event_id JOIN webhook_endpoints e ON e.id = c.endpoint_id
     ORDER BY c.id`,
    [now, leaseUntil, limit],
  );
}
