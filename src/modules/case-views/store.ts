import type { Queryable } from '../../db/adapter.js';
import type { CaseSort } from '../cases/schema.js';
import type { CaseView, CaseViewFilter } from './schema.js';

export interface CaseViewRow {
  id: string;
  owner_id: string;
  shared: boolean;
  name: string;
  filter: CaseViewFilter;
  sort: string;
  position: number;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const COLUMNS = 'id, owner_id, shared, name, filter, sort, position, created_at, updated_at, version';

export function toCaseView(r: CaseViewRow): CaseView {
  return {
    id: r.id,
    name: r.name,
    shared: r.shared,
    ownerId: r.owner_id,
    filter: r.filter,
    sort: r.sort as CaseSort,
    position: r.position,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
  };
}

/** The user's own views, then the shared ones; each by position, then name. */
export async function listViews(q: Queryable, userId: string | null): Promise<CaseViewRow[]> {
  return q.query<CaseViewRow>(
    `SELECT ${COLUMNS} FROM case_views WHERE shared OR owner_id = $1
      ORDER BY shared, position, lower(name), id LIMIT 500`,
    [userId],
  );
}

export async function findView(q: Queryable, id: string, lock = false): Promise<CaseViewRow | null> {
  const rows = await q.query<CaseViewRow>(
    `SELECT ${COLUMNS} FROM case_views WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

interface ViewFields {
  name: string;
  shared: boolean;
  filter: CaseViewFilter;
  sort: string;
  position: number;
}

export async function insertView(
  q: Queryable,
  r: ViewFields & { ownerId: string; by: string | null; now: Date },
): Promise<CaseViewRow> {
  const rows = await q.query<CaseViewRow>(
    `INSERT INTO case_views (owner_id, shared, name, filter, sort, position, created_by, updated_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $7, $8, $8) RETURNING ${COLUMNS}`,
    [r.ownerId, r.shared, r.name, JSON.stringify(r.filter), r.sort, r.position, r.by, r.now],
  );
  return rows[0];
}

export async function updateView(
  q: Queryable,
  id: string,
  r: ViewFields & { by: string | null; now: Date },
): Promise<CaseViewRow> {
  const rows = await q.query<CaseViewRow>(
    `UPDATE case_views SET name = $2, shared = $3, filter = $4::jsonb, sort = $5, position = $6, updated_by = $7,
            updated_at = $8, version = version + 1
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, r.name, r.shared, JSON.stringify(r.filter), r.sort, r.position, r.by, r.now],
  );
  return rows[0];
}

export async function deleteView(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM case_views WHERE id = $1', [id]);
}
