import type { Db, Queryable } from '../../db/adapter.js';
import { listParam, maybeOne, one } from '../../db/adapter.js';
import { Coalescer } from '../../db/coalesce.js';
import { isUuid } from '../../http/ids.js';
import type { CustomField } from './schema.js';
import { OBJECT_TYPES, type CustomFieldObjectType } from './tables.js';
import type { FieldType, PickOption } from './values.js';

/** The custom-fields module's SQL: the only code that touches `custom_fields` and `custom_field_sets`. */

/** A definition as the rules use it. */
export interface FieldDef {
  id: string;
  objectType: CustomFieldObjectType;
  key: string;
  label: string;
  helpText: string;
  type: FieldType;
  options: PickOption[];
  required: boolean;
  default: unknown;
  unique: boolean;
  filterable: boolean;
  searchable: boolean;
  order: number;
  retired: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

interface FieldRow {
  id: string;
  object_type: CustomFieldObjectType;
  key: string;
  label: string;
  help_text: string;
  type: FieldType;
  options: PickOption[];
  required: boolean;
  default_value: unknown;
  unique_values: boolean;
  filterable: boolean;
  searchable: boolean;
  position: number;
  retired: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, object_type, key, label, help_text, type, options, required, default_value, unique_values,
  filterable, searchable, position, retired, version, created_at, updated_at`;

function toDef(r: FieldRow): FieldDef {
  return {
    id: r.id,
    objectType: r.object_type,
    key: r.key,
    label: r.label,
    helpText: r.help_text,
    type: r.type,
    options: (r.options ?? []).map((o) => ({ key: o.key, label: o.label, retired: o.retired === true })),
    required: r.required,
    default: r.default_value ?? null,
    unique: r.unique_values,
    filterable: r.filterable,
    searchable: r.searchable,
    order: r.position,
    retired: r.retired,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toApi(d: FieldDef): CustomField {
  return {
    id: d.id,
    objectType: d.objectType,
    key: d.key,
    label: d.label,
    helpText: d.helpText,
    type: d.type,
    options: d.options,
    required: d.required,
    default: d.default,
    unique: d.unique,
    filterable: d.filterable,
    searchable: d.searchable,
    order: d.order,
    retired: d.retired,
    version: d.version,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

/** Every definition of an object type (retired ones too), in display order. At most MAX_FIELDS rows. */
export async function loadDefinitions(q: Queryable, objectType: CustomFieldObjectType): Promise<FieldDef[]> {
  const rows = await q.query<FieldRow>(
    `SELECT ${COLUMNS} FROM custom_fields WHERE object_type = $1 ORDER BY position, key`,
    [objectType],
    { name: 'customFields.definitions' },
  );
  return rows.map(toDef);
}

/**
 * The definitions read from the pool for lists and searches, coalesced (see
 * db/coalesce.ts): every customers `q` search needs them to know the searchable
 * fields, and concurrent searches share one statement instead of a round trip
 * each. Always read, never cached: a definition changed a moment ago applies to
 * the next request. Not for a transaction (it must see its own writes).
 */
export class DefinitionReads {
  private readonly batches: Coalescer<FieldDef[]>;

  constructor(db: Db) {
    this.batches = new Coalescer(
      async (types) => {
        const rows = await db.query<FieldRow>(
          `SELECT ${COLUMNS} FROM custom_fields WHERE object_type = ANY(${listParam('$1', 'text')}) ORDER BY position, key`,
          [types],
          { name: 'customFields.definitionsMany' },
        );
        const byType = new Map<string, FieldDef[]>();
        for (const def of rows.map(toDef)) {
          const defs = byType.get(def.objectType);
          if (defs) defs.push(def);
          else byType.set(def.objectType, [def]);
        }
        return byType;
      },
      () => [],
    );
  }

  load(objectType: CustomFieldObjectType): Promise<FieldDef[]> {
    return this.batches.load(objectType);
  }
}

/** Where a list reads the definitions: a connection or transaction, or coalesced pool reads. */
export type DefinitionsSource = Queryable | DefinitionReads;

export function definitionsFrom(source: DefinitionsSource, objectType: CustomFieldObjectType): Promise<FieldDef[]> {
  return source instanceof DefinitionReads ? source.load(objectType) : loadDefinitions(source, objectType);
}

export async function listDefinitions(
  q: Queryable,
  filter: { objectType?: CustomFieldObjectType; retired?: boolean },
): Promise<FieldDef[]> {
  const rows = await q.query<FieldRow>(
    `SELECT ${COLUMNS} FROM custom_fields
     WHERE ($1::text IS NULL OR object_type = $1) AND ($2::boolean IS NULL OR retired = $2)
     ORDER BY array_position($3::text[], object_type), position, key
     LIMIT ${OBJECT_TYPES.length * 200}`,
    [filter.objectType ?? null, filter.retired ?? null, [...OBJECT_TYPES]],
  );
  return rows.map(toDef);
}

export async function findDefinition(q: Queryable, id: string, forUpdate = false): Promise<FieldDef | null> {
  if (!isUuid(id)) return null;
  const row = await maybeOne<FieldRow>(
    q,
    `SELECT ${COLUMNS} FROM custom_fields WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return row ? toDef(row) : null;
}

/**
 * Locks an object type's set of definitions for a change (definition changes of
 * one type take turns: the active-field cap holds) and bumps its version.
 */
export async function lockAndBumpSet(tx: Queryable, objectType: CustomFieldObjectType): Promise<number> {
  const row = await one<{ version: number }>(
    tx,
    'UPDATE custom_field_sets SET version = version + 1 WHERE object_type = $1 RETURNING version',
    [objectType],
  );
  return row.version;
}

export async function countDefinitions(
  tx: Queryable,
  objectType: CustomFieldObjectType,
): Promise<{ active: number; total: number; maxPosition: number }> {
  return one(
    tx,
    `SELECT count(*) FILTER (WHERE NOT retired)::int AS active, count(*)::int AS total,
            coalesce(max(position), -1)::int AS "maxPosition"
     FROM custom_fields WHERE object_type = $1`,
    [objectType],
  );
}

export type DefValues = Omit<FieldDef, 'id' | 'version' | 'createdAt' | 'updatedAt'>;

export async function insertDefinition(tx: Queryable, v: DefValues, userId: string | null): Promise<FieldDef> {
  const row = await one<FieldRow>(
    tx,
    `INSERT INTO custom_fields (object_type, key, label, help_text, type, options, required, default_value,
       unique_values, filterable, searchable, position, retired, created_by, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
     RETURNING ${COLUMNS}`,
    [
      v.objectType,
      v.key,
      v.label,
      v.helpText,
      v.type,
      JSON.stringify(v.options),
      v.required,
      v.default === null ? null : JSON.stringify(v.default),
      v.unique,
      v.filterable,
      v.searchable,
      v.order,
      v.retired,
      userId,
    ],
  );
  return toDef(row);
}

export async function updateDefinition(
  tx: Queryable,
  id: string,
  v: DefValues,
  userId: string | null,
): Promise<FieldDef> {
  const row = await one<FieldRow>(
    tx,
    `UPDATE custom_fields SET label = $2, help_text = $3, type = $4, options = $5, required = $6,
       default_value = $7, unique_values = $8, filterable = $9, searchable = $10, position = $11, retired = $12,
       updated_by = $13, version = version + 1, updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      id,
      v.label,
      v.helpText,
      v.type,
      JSON.stringify(v.options),
      v.required,
      v.default === null ? null : JSON.stringify(v.default),
      v.unique,
      v.filterable,
      v.searchable,
      v.order,
      v.retired,
      userId,
    ],
  );
  return toDef(row);
}

export async function deleteDefinition(tx: Queryable, id: string): Promise<void> {
  await tx.query('DELETE FROM custom_fields WHERE id = $1', [id]);
}
