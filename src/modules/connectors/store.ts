import type { Queryable } from '../../db/adapter.js';
import type { ConnectorKind, LookupOrder } from './schema.js';

/** The connectors module's SQL: `connectors` and `connector_settings` (migration 1530). */
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
  lookup_budget_ms: number;
  username: string | null;
  secret: string;
  sync_cursor: string | null;
  last_sync_at: Date | null;
  last_sync_error: string | null;
  last_test_at: Date | null;
  last_test_error: string | null;
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
