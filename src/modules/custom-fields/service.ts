import type { Config } from '../../config.js';
import type { Db, Queryable } from '../../db/adapter.js';
import { emitEvent } from '../../events/outbox.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { AppError, Conflict, Invalid, NotFound, type FieldError } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import type { Page } from '../../http/pagination.js';
import { recordAudit } from '../audit/service.js';
import { diffFields, hasHistory, listHistory, recordHistory, type HistoryEntry } from '../history/service.js';
import { checkDefinition, definitionView } from './rules.js';
import {
  MAX_ACTIVE_FIELDS,
  MAX_FIELDS,
  type CustomField,
  type CustomFieldCreate,
  type CustomFieldPatch,
} from './schema.js';
import {
  countDefinitions,
  deleteDefinition,
  findDefinition,
  insertDefinition,
  listDefinitions,
  loadDefinitions,
  lockAndBumpSet,
  toApi,
  updateDefinition,
  type DefValues,
  type FieldDef,
} from './store.js';
import { syncFieldIndexes } from './indexes.js';
import {
  hasCustomFieldOptionValue,
  hasCustomFieldValues,
  MUTABLE_OBJECT_TYPES,
  removeCustomFieldValues,
  type CustomFieldObjectType,
} from './tables.js';
import { CUSTOM_FIELD_LOCK, lockKeyOf, setCustomFieldPhoneRegion } from './validate.js';

const RECORD_TYPE = 'customField';

/**
 * Custom field definitions (docs/product.md C4, K2): administrators change them;
 * every signed-in user reads them (the console renders forms from them).
 * Each change, its indexes, its history and its event commit together; the
 * changes of one object type take turns (custom_field_sets row lock).
 */
export class CustomFieldsService {
  private readonly region: string;

  constructor(
    private readonly db: Db,
    config: Config,
  ) {
    this.region = config.defaultPhoneRegion;
    setCustomFieldPhoneRegion(config.defaultPhoneRegion);
  }

  /** Definitions for every signed-in user (forms, list columns, filters). */
  async list(
    _actor: Actor,
    filter: { objectType?: CustomFieldObjectType; retired?: boolean } = {},
  ): Promise<CustomField[]> {
    return (await listDefinitions(this.db, filter)).map(toApi);
  }

  async get(_actor: Actor, id: string): Promise<CustomField> {
    const def = await findDefinition(this.db, id);
    if (!def) throw new NotFound('Custom field');
    return toApi(def);
  }

  /** For other modules (imports, exports, the console's columns): an object type's definitions. */
  async definitions(objectType: CustomFieldObjectType, tx?: Queryable): Promise<CustomField[]> {
    return (await loadDefinitions(tx ?? this.db, objectType)).map(toApi);
  }

  async create(actor: Actor, input: CustomFieldCreate): Promise<CustomField> {
    requirePrivilege(actor, 'admin');
    const values: DefValues = {
      objectType: input.objectType,
      key: input.key,
      label: input.label.trim(),
      helpText: input.helpText?.trim() ?? '',
      type: input.type,
      options: (input.options ?? []).map((o) => ({ key: o.key, label: o.label.trim(), retired: o.retired ?? false })),
      required: input.required ?? false,
      default: input.default ?? null,
      unique: input.unique ?? false,
      filterable: input.filterable ?? false,
      searchable: input.searchable ?? false,
      order: input.order ?? 0,
      retired: input.retired ?? false,
    };
    values.default = this.checked(values, null);
    return this.db.transaction(async (tx) => {
      await lockAndBumpSet(tx, values.objectType);
      const counts = await countDefinitions(tx, values.objectType);
      if (counts.total >= MAX_FIELDS) throw tooMany(`at most ${MAX_FIELDS} fields (active and retired)`);
      if (!values.retired && counts.active >= MAX_ACTIVE_FIELDS) {
        throw tooMany(`at most ${MAX_ACTIVE_FIELDS} active fields per object type: retire or delete one first`);
      }
      if (input.order === undefined) values.order = counts.maxPosition + 1;
      const created = await insertDefinition(tx, values, actor.userId);
      await this.indexes(tx, null, created);
      await recordHistory(tx, actor, {
        recordType: RECORD_TYPE,
        recordId: created.id,
        action: 'create',
        changes: diffFields({}, definitionView(created)),
      });
      await recordAudit(tx, actor, {
        action: 'custom_field.created',
        targetType: 'customField',
        targetId: created.id,
        details: { objectType: created.objectType, key: created.key },
      });
      await this.announce(tx, created, 'created');
      return toApi(created);
    });
  }

  async update(
    actor: Actor,
    id: string,
    patch: CustomFieldPatch,
    expectedVersion: number | null,
  ): Promise<CustomField> {
    requirePrivilege(actor, 'admin');
    return this.db.transaction(async (tx) => {
      const before = await this.lockField(tx, id, expectedVersion);
      const immutable: FieldError[] = [];
      if (patch.key !== undefined && patch.key !== before.key) immutable.push({ field: 'key', message: 'immutable' });
      if (patch.objectType !== undefined && patch.objectType !== before.objectType) {
        immutable.push({ field: 'objectType', message: 'immutable' });
      }
      if (immutable.length > 0) throw new Invalid(immutable);

      const type = patch.type ?? before.type;
      const typeChanged = type !== before.type;
      const pick = type === 'singlePick' || type === 'multiPick';
      const after: DefValues = {
        objectType: before.objectType,
        key: before.key,
        label: patch.label?.trim() ?? before.label,
        helpText: patch.helpText?.trim() ?? before.helpText,
        type,
        options:
          patch.options?.map((o) => ({ key: o.key, label: o.label.trim(), retired: o.retired ?? false })) ??
          (pick ? before.options : []),
        required: patch.required ?? before.required,
        default: patch.default !== undefined ? patch.default : before.default,
        unique: patch.unique ?? before.unique,
        filterable: patch.filterable ?? before.filterable,
        searchable: patch.searchable ?? before.searchable,
        order: patch.order ?? before.order,
        retired: patch.retired ?? before.retired,
      };
      after.default = this.checked(after, before);

      const removedOptions = before.options.filter((o) => !after.options.some((n) => n.key === o.key));
      if (typeChanged || removedOptions.length > 0) {
        // Wait for the writes validated against the old definition, and keep new ones out until commit.
        await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [CUSTOM_FIELD_LOCK, lockKeyOf(before.objectType)]);
      }
      if (typeChanged && (await hasCustomFieldValues(tx, before.objectType, before.key))) {
        throw new Conflict('Records hold values of this field: its type cannot change', {
          errors: [{ field: 'type', message: 'records hold values of this field: its type cannot change' }],
        });
      }
      if (!typeChanged) {
        for (const o of removedOptions) {
          if (await hasCustomFieldOptionValue(tx, before.objectType, before.key, o.key)) {
            throw new Invalid([
              { field: 'options', message: `records hold option ${JSON.stringify(o.key)}: retire it instead` },
            ]);
          }
        }
      }
      if (before.retired && !after.retired) {
        const counts = await countDefinitions(tx, before.objectType);
        if (counts.active >= MAX_ACTIVE_FIELDS) {
          throw tooMany(`at most ${MAX_ACTIVE_FIELDS} active fields per object type: retire another one first`);
        }
      }
      const updated = await updateDefinition(tx, before.id, after, actor.userId);
      await this.indexes(tx, before, updated);
      const changes = diffFields(definitionView(before), definitionView(updated));
      await recordHistory(tx, actor, { recordType: RECORD_TYPE, recordId: before.id, action: 'update', changes });
      if (changes.length > 0) {
        await recordAudit(tx, actor, {
          action: 'custom_field.updated',
          targetType: 'customField',
          targetId: before.id,
          details: { objectType: before.objectType, key: before.key, changes },
        });
        await this.announce(tx, updated, 'updated');
      }
      return toApi(updated);
    });
  }

  /**
   * Deletes a field. When records hold values, `confirm` is needed and the values
   * are removed from every record (customers, cases, tasks) with it; follow-ups
   * are append-only, so a follow-up field with values can only be retired.
   */
  async remove(actor: Actor, id: string, opts: { confirm: boolean; expectedVersion: number | null }): Promise<void> {
    requirePrivilege(actor, 'admin');
    await this.db.transaction(async (tx) => {
      const before = await this.lockField(tx, id, opts.expectedVersion);
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [CUSTOM_FIELD_LOCK, lockKeyOf(before.objectType)]);
      const hasValues = await hasCustomFieldValues(tx, before.objectType, before.key);
      let removed = 0;
      if (hasValues) {
        if (!MUTABLE_OBJECT_TYPES.has(before.objectType)) {
          throw new Conflict('Follow-ups are append-only: their values cannot be removed; retire the field', {
            errors: [{ field: 'confirm', message: 'follow-ups hold values of this field: retire it instead' }],
          });
        }
        if (!opts.confirm) {
          throw new Conflict('Records hold values of this field: confirm to delete them with it, or retire it', {
            errors: [
              {
                field: 'confirm',
                message: 'records hold values of this field: send confirm=true to delete them, or retire the field',
              },
            ],
          });
        }
        removed = await removeCustomFieldValues(tx, before.objectType, before.key);
      }
      await this.indexes(tx, before, null);
      await deleteDefinition(tx, before.id);
      await recordHistory(tx, actor, {
        recordType: RECORD_TYPE,
        recordId: before.id,
        action: 'delete',
        changes: [...diffFields(definitionView(before), {}), { field: 'recordsWithValues', from: removed, to: 0 }],
      });
      await recordAudit(tx, actor, {
        action: 'custom_field.deleted',
        targetType: 'customField',
        targetId: before.id,
        details: { objectType: before.objectType, key: before.key, valuesRemoved: removed },
      });
      await this.announce(tx, before, 'deleted');
    });
  }

  /** The history of a definition (deleted ones too: history outlives them). */
  async history(actor: Actor, id: string, page: { limit: number; cursor?: string }): Promise<Page<HistoryEntry>> {
    requirePrivilege(actor, 'admin');
    const def = await findDefinition(this.db, id);
    if (!def) {
      const known = isUuid(id) && (await hasHistory(this.db, RECORD_TYPE, id));
      if (!known) throw new NotFound('Custom field');
    }
    return listHistory(this.db, RECORD_TYPE, id, page);
  }

  /** Validates a definition; returns its default, normalised. */
  private checked(values: DefValues, before: FieldDef | null): unknown {
    const { errors, defaultValue } = checkDefinition(values, before, this.region);
    if (errors.length > 0) throw new Invalid(errors);
    return defaultValue;
  }

  private async lockField(tx: Queryable, id: string, expectedVersion: number | null): Promise<FieldDef> {
    const found = await findDefinition(tx, id);
    if (!found) throw new NotFound('Custom field');
    await lockAndBumpSet(tx, found.objectType);
    const before = await findDefinition(tx, id, true);
    if (!before) throw new NotFound('Custom field');
    if (expectedVersion !== null && expectedVersion !== before.version) throw Conflict.stale(toApi(before));
    return before;
  }

  private async indexes(tx: Queryable, before: FieldDef | null, after: FieldDef | null): Promise<void> {
    const objectType = (after ?? before)!.objectType;
    try {
      await syncFieldIndexes(tx, objectType, before, after);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw Conflict.field('unique', 'records already share values of this field: make them unique first');
      }
      throw err;
    }
  }

  private async announce(tx: Queryable, def: FieldDef, action: 'created' | 'updated' | 'deleted'): Promise<void> {
    await emitEvent(tx, {
      type: `customField.${action}` as const,
      recordType: RECORD_TYPE,
      recordId: def.id,
      payload: { objectType: def.objectType, key: def.key },
    });
  }
}

function tooMany(detail: string): AppError {
  return new Conflict(detail, { errors: [{ field: 'objectType', message: detail }] });
}
