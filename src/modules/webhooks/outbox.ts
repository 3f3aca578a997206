import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/adapter.js';
import type { WebhookEventType } from './event-types.js';

/** The record a webhook carries, as the API returns it; `id` and `version` order a record's deliveries. */
export interface WebhookRecord {
  id?: string;
  version?: number;
}

/**
 * Writes a webhook event to the outbox in the caller's transaction: one
 * delivery per enabled endpoint that wants `type` (or `*`). A rollback sends
 * nothing; a commit is delivered at least once, after a restart if need be.
 * With no endpoint wanting it, nothing is written (one indexed read).
 * The body is `{type, timestamp, data}`; the timestamp is the transaction's.
 * The body is built once, whatever the number of endpoints, and the commit
 * wakes every process's poller (NOTIFY sb_webhooks, sent only at commit).
 */
export async function enqueueWebhook<T extends WebhookRecord>(
  tx: Queryable,
  type: WebhookEventType,
  data: T,
): Promise<void> {
  const msgId = `msg_${randomUUID().replace(/-/g, '')}`;
  const recordKey = `${type.slice(0, type.indexOf('.'))}:${data.id ?? msgId}`;
  await tx.query(
    `WITH ep AS (
       SELECT id FROM webhook_endpoints WHERE enabled AND events && ARRAY[$1::text, '*']
     ), ev AS (
       INSERT INTO webhook_events (msg_id, type, body)
       SELECT $2, $1, '{"type":' || to_json($1::text)::text
                || ',"timestamp":"' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                || '","data":' || $3::text || '}'
       WHERE EXISTS (SELECT 1 FROM ep)
       RETURNING id
     )
     INSERT INTO webhook_deliveries (endpoint_id, event_id, record_key)
     SELECT ep.id, ev.id, $4 FROM ep CROSS JOIN ev
       CROSS JOIN (SELECT pg_notify('sb_webhooks', '') WHERE EXISTS (SELECT 1 FROM ev)) wake`,
    [type, msgId, JSON.stringify(data), recordKey],
  );
}
