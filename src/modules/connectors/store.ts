import type { Queryable } from '../../db/adapter.js';
import type { ConnectorKind, LookupOrder } from './schema.js';

/** The connectors module's SQL: `connectors`, `connector_settings` (migration 1530) and `connector_contacts` (1540). */
export interface ConnectorRow {
  id: string;
  kind: ConnectorKind;
  name: string;
  system: string;
  base_url: string;
  enabled: boolean;
  use_for_lookup: boolean;
  log_interactions: boolean;
  sync_contacts: boolean;
  /** Off: a sync only pulls (the CRM is the source of truth). */
  push_contacts: boolean;
  lookup_budget_ms: number;
  username: string | null;
  secret: string;
  /** During a rotation's grace period (http): the old signing secret, which signs too until then. */
  previous_secret: string | null;
  previous_secret_until: Date | null;
  sync_cursor: string | null;
  last_sync_at: Date | null;
  last_sync_error: string | null;
  last_test_at: Date | null;
  last_test_error: string | null;
  sync_interval_minutes: number | null;
  next_sync_at: Date | null;
  last_sync_counts: Record<string, number> | null;
  /** The contacts the last sync could not write, delete or reconcile, and why. */
  last_sync_problems: { externalId: string; error: string }[] | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

/** The channel every process listens on: a connector or the settings changed (reload the cache). */
export const CHANGED_CHANNEL = 'sb_connectors';

export async function allConnectors(q: Queryable): Promise<ConnectorRow[]> {
  return q.query<ConnectorRow>('SELECT * FROM connectors ORDER BY created_at, id');
}

export async function connectorById(q: Queryable, id: string, forUpdate = false): Promise<ConnectorRow | null> {
  const rows = await q.query<ConnectorRow>(`SELECT * FROM connectors WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [
    id,
  ]);
  return rows[0] ?? null;
}

export async function settingsRow(
  q: Queryable,
  forUpdate = false,
): Promise<{ lookup_order: LookupOrder; version: number }> {
  const [row] = await q.query<{ lookup_order: LookupOrder; version: number }>(
    `SELECT lookup_order, version FROM connector_settings${forUpdate ? ' FOR UPDATE' : ''}`,
  );
  return row;
}

/** Tells every process (itself included) to reload the cached configuration, at commit. */
export async function announceChange(q: Queryable): Promise<void> {
  await q.query(`SELECT pg_notify('${CHANGED_CHANNEL}', '')`);
}

/** A contact as the last sync left it on both sides (two-way connectors). */
export interface ContactLink {
  external_id: string;
  href: string;
  etag: string | null;
  synced_version: number;
  /** The contact's document as last read or written (a vCard); undefined when not read (linksAfter). */
  document?: string | null;
  /** The customer it belongs to (null: saved before migration 1630); left out when saving: the one stored is kept. */
  customer_id?: string | null;
}

export async function linkOf(
  q: Queryable,
  connectorId: string,
  by: { externalId: string } | { href: string },
): Promise<ContactLink | null> {
  const [column, value] = 'href' in by ? ['href', by.href] : ['external_id', by.externalId];
  const rows = await q.query<ContactLink>(
    `SELECT external_id, href, etag, synced_version, document, customer_id FROM connector_contacts
     WHERE connector_id = $1 AND ${column} = $2`,
    [connectorId, value],
  );
  return rows[0] ?? null;
}

/** Saves a link; a `document` or `customer_id` left out (or null) keeps the one stored. */
export async function saveLink(q: Queryable, connectorId: string, link: ContactLink): Promise<void> {
  // One contact per href: a contact that moved (a new UID at an old address) replaces the old link.
  await q.query('DELETE FROM connector_contacts WHERE connector_id = $1 AND href = $2 AND external_id <> $3', [
    connectorId,
    link.href,
    link.external_id,
  ]);
  await q.query(
    `INSERT INTO connector_contacts (connector_id, external_id, href, etag, synced_version, document, customer_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (connector_id, external_id) DO UPDATE
       SET href = $3, etag = $4, synced_version = $5, document = COALESCE($6, connector_contacts.document),
         customer_id = COALESCE($7, connector_contacts.customer_id)`,
    [
      connectorId,
      link.external_id,
      link.href,
      link.etag,
      link.synced_version,
      link.document ?? null,
      link.customer_id ?? null,
    ],
  );
}

export async function dropLink(q: Queryable, connectorId: string, externalId: string): Promise<void> {
  await q.query('DELETE FROM connector_contacts WHERE connector_id = $1 AND external_id = $2', [
    connectorId,
    externalId,
  ]);
}

/** The links of a connector in external-id order after `after` (null: from the start). */
export async function linksAfter(
  q: Queryable,
  connectorId: string,
  after: string | null,
  limit: number,
): Promise<ContactLink[]> {
  return q.query<ContactLink>(
    `SELECT external_id, href, etag, synced_version, customer_id FROM connector_contacts
     WHERE connector_id = $1 AND ($2::text IS NULL OR external_id > $2) ORDER BY external_id LIMIT $3`,
    [connectorId, after, limit],
  );
}

/** The failures already noted in customers' histories (migration 1630): external id → digest of what failed. */
export async function notedFailures(q: Queryable, connectorId: string): Promise<Map<string, string>> {
  const rows = await q.query<{ external_id: string; failure_digest: string }>(
    'SELECT external_id, failure_digest FROM connector_contact_failures WHERE connector_id = $1',
    [connectorId],
  );
  return new Map(rows.map((r) => [r.external_id, r.failure_digest]));
}

export async function saveNotedFailure(
  q: Queryable,
  connectorId: string,
  externalId: string,
  digest: string,
  at: Date,
): Promise<void> {
  await q.query(
    `INSERT INTO connector_contact_failures (connector_id, external_id, failure_digest, noted_at)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (connector_id, external_id) DO UPDATE SET failure_digest = $3, noted_at = $4`,
    [connectorId, externalId, digest, at],
  );
}

export async function forgetNotedFailure(q: Queryable, connectorId: string, externalId: string): Promise<void> {
  await q.query('DELETE FROM connector_contact_failures WHERE connector_id = $1 AND external_id = $2', [
    connectorId,
    externalId,
  ]);
}

/**
 * Claims the scheduled syncs that are due: moves each one's next time on in
 * the same statement, so of several processes only one enqueues it.
 */
export async function claimDueSyncs(q: Queryable, now: Date): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `UPDATE connectors SET next_sync_at = $1::timestamptz + make_interval(mins => sync_interval_minutes)
     WHERE enabled AND sync_contacts AND sync_interval_minutes IS NOT NULL
       AND (next_sync_at IS NULL OR next_sync_at <= $1)
     RETURNING id`,
    [now],
  );
  return rows.map((r) => r.id);
}
