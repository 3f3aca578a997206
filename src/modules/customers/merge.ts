import { Type, type Static } from '@sinclair/typebox';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { emitEvents } from '../../events/outbox.js';
import { enqueueWebhook } from '../webhooks/outbox.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Conflict, Invalid, NotFound } from '../../http/errors.js';
import { validateCustomFields } from '../custom-fields/validate.js';
import { diffFields, recordHistory } from '../history/service.js';
import { Customer } from './schema.js';
import { checkComplete, customerEvent, historyFields, RECORD_TYPE, valuesOf } from './service.js';
import { type CustomerRow, type CustomerValues, deleteCustomer, getRow, toCustomer, updateCustomer } from './store.js';

/**
 * Merging two customers: `POST /api/v1/customers/{id}/merge`
 * moves everything of customer `fromId` onto customer `id` (the survivor) and
 * deletes `fromId`, in one transaction (the flow src/flows/customer-merge.ts):
 * - its cases, tasks and interactions (through their modules' `moveToCustomer`,
 *   which write each record's own history);
 * - its phones the survivor lacks (same E.164, or same digits for numbers
 *   that do not parse, counts as had), after the survivor's, at most 20 in all;
 * - its Support Center account when the survivor has none (refused when both have one);
 * - field values: the survivor's, except where the survivor's is empty, then
 *   the other's; `fields` chooses per field (`survivor` or `merged`). VIP when
 *   either is; a draft only when both are; custom fields per key likewise.
 * History: a `merge` entry on the survivor (`mergedFrom`, what moved, each
 * field from → to) and a `delete` entry on the merged one whose first change
 * is `mergedInto`. Versions of both are checked (stale: 409 with `current`).
 */
export const MERGE_FIELDS = [
  'firstName',
  'lastName',
  'company',
  'email',
  'notes',
  'primaryAddress',
  'secondaryAddress',
] as const;
type MergeField = (typeof MERGE_FIELDS)[number];

const Choice = Type.Optional(
  Type.Unsafe<'survivor' | 'merged'>({
    type: 'string',
    enum: ['survivor', 'merged'],
    description:
      "whose value the survivor keeps (default: the survivor's, or the other's when the survivor's is empty)",
  }),
);

export const MergeBody = Type.Object(
  {
    fromId: Type.String({ description: 'the customer merged into this one (deleted afterwards)' }),
    version: Type.Optional(Type.Integer({ description: "this (surviving) customer's version read, or If-Match" })),
    fromVersion: Type.Integer({ description: "the merged customer's version read" }),
    fields: Type.Optional(
      Type.Object(Object.fromEntries(MERGE_FIELDS.map((f) => [f, Choice])) as Record<MergeField, typeof Choice>, {
        additionalProperties: false,
      }),
    ),
    dryRun: Type.Optional(
      Type.Boolean({ description: 'answer what the merge would do (record and counts) and change nothing' }),
    ),
  },
  { additionalProperties: false },
);
export type MergeBody = Static<typeof MergeBody>;

export const MergeResult = Type.Object({
  customer: Customer,
  merged: Type.Object({ id: Type.String(), accountNumber: Type.String(), displayName: Type.String() }),
  moved: Type.Object({
    cases: Type.Integer(),
    tasks: Type.Integer(),
    interactions: Type.Integer(),
    phones: Type.Integer(),
    portalAccount: Type.Boolean(),
  }),
  dryRun: Type.Boolean(),
});
export type MergeResult = Static<typeof MergeResult>;

const MAX_PHONES = 20;

const isEmpty = (v: unknown) => v === null || v === undefined || v === '';

/** The two customers of a merge, locked and checked (customers' own rows: opaque to the flow). */
interface MergePair {
  readonly survivor: CustomerRow;
  readonly other: CustomerRow;
}

/** What the other modules moved, as the merge's answer and history tell it. */
type MovedElsewhere = Omit<MergeResult['moved'], 'phones'>;

/**
 * The customers module's part of a merge (the whole command is the flow
 * src/flows/customer-merge.ts, which also moves cases, tasks, interactions
 * and the Support Center account through their modules' services, all in one
 * transaction): first `lock`, then, after the others moved theirs, `complete`.
 */
export class CustomerMergeSteps {
  constructor(private readonly db: Db) {}

  /** Locks both customers (in one order: two merges of the same pair cannot deadlock) and checks both versions. */
  async lock(actor: Actor, id: string, body: MergeBody, version: number, tx?: Queryable): Promise<MergePair> {
    requirePrivilege(actor, 'customers.edit', 'customers.delete');
    const fromId = body.fromId.trim();
    return inTransaction(this.db, tx, async (q) => {
      const locked = new Map<string, CustomerRow | null>();
      for (const k of [id, fromId].sort()) locked.set(k, await getRow(q, k, true));
      const survivor = locked.get(id);
      const other = locked.get(fromId);
      if (!survivor) throw new NotFound('Customer');
      if (!other) throw new Invalid([{ field: 'fromId', message: 'no such customer' }]);
      if (version !== survivor.version) throw Conflict.stale(toCustomer(survivor));
      if (body.fromVersion !== other.version) {
        throw new Conflict('The customer to merge was changed by someone else since you read it', {
          errors: [{ field: 'fromVersion', message: 'stale version' }],
          current: toCustomer(other),
        });
      }
      return { survivor, other };
    });
  }

  /**
   * Moves the phones, chooses the fields, deletes the merged customer and
   * updates the survivor, with both history entries and both events.
   */
  async complete(
    actor: Actor,
    pair: MergePair,
    body: MergeBody,
    elsewhere: MovedElsewhere,
    tx?: Queryable,
  ): Promise<MergeResult> {
    requirePrivilege(actor, 'customers.edit', 'customers.delete');
    const { survivor, other } = pair;
    const id = survivor.id;
    const fromId = other.id;
    return inTransaction(this.db, tx, async (tx) => {
      const phones = await movePhones(tx, fromId, id);
      if (survivor.phones.length + phones > MAX_PHONES) {
        throw new Conflict(`Together the two customers have more than ${MAX_PHONES} different phone numbers`, {
          errors: [{ field: 'phones', message: `at most ${MAX_PHONES}: remove some from either customer first` }],
        });
      }

      const s = valuesOf(survivor);
      const o = valuesOf(other);
      const next: CustomerValues = { ...s };
      for (const f of MERGE_FIELDS) {
        const choice = body.fields?.[f];
        const take = choice === 'merged' || (choice === undefined && isEmpty(s[f]));
        if (take) (next as unknown as Record<string, unknown>)[f] = o[f];
      }
      next.vip = s.vip || o.vip;
      next.draft = s.draft && o.draft;
      const taken = Object.fromEntries(
        Object.entries(o.customFields).filter(([k, v]) => !isEmpty(v) && isEmpty(s.customFields[k])),
      );
      checkComplete(next);

      // The merged customer goes first: its email, account number and unique custom fields are free after.
      await deleteCustomer(tx, fromId);
      next.customFields = await validateCustomFields(tx, 'customer', taken, s.customFields, {
        draft: next.draft,
        requireAll: s.draft && !next.draft,
      });
      await updateCustomer(tx, id, next, actor.userId);
      const after = (await getRow(tx, id))!;

      const merged = { id: other.id, accountNumber: other.account_number, displayName: toCustomer(other).displayName };
      const moved = {
        cases: elsewhere.cases,
        tasks: elsewhere.tasks,
        interactions: elsewhere.interactions,
        phones,
        portalAccount: elsewhere.portalAccount,
      };
      await recordHistory(tx, actor, {
        recordType: RECORD_TYPE,
        recordId: id,
        action: 'merge',
        changes: [
          { field: 'mergedFrom', from: null, to: merged },
          { field: 'moved', from: null, to: moved },
          ...diffFields(historyFields(s, survivor.phones), historyFields(next, after.phones)),
        ],
      });
      await recordHistory(tx, actor, {
        recordType: RECORD_TYPE,
        recordId: fromId,
        action: 'delete',
        changes: [
          { field: 'mergedInto', from: null, to: { id, accountNumber: after.account_number } },
          ...diffFields(historyFields(o, other.phones), {}),
        ],
      });
      const customer = toCustomer(after);
      await emitEvents(tx, [
        customerEvent('customer.deleted', toCustomer(other), { mergedInto: id }),
        customerEvent('customer.updated', customer, { mergedFrom: fromId }),
      ]);
      await enqueueWebhook(tx, 'customer.deleted', { ...toCustomer(other), mergedInto: id });
      await enqueueWebhook(tx, 'customer.merged', { ...customer, mergedFrom: fromId });
      return { customer, merged, moved, dryRun: body.dryRun ?? false };
    });
  }
}

/**
 * Moves the merged customer's phones the survivor lacks (by E.164, or by
 * digits for numbers that do not parse; a number listed twice moves once)
 * after the survivor's own, keeping what was stored. Returns how many moved.
 */
async function movePhones(tx: Queryable, fromId: string, toId: string): Promise<number> {
  const rows = await tx.query<{ id: string }>(
    `WITH have AS (SELECT coalesce(e164, 'd' || digits) AS k FROM customer_phones WHERE customer_id = $2),
     base AS (SELECT coalesce(max(position) + 1, 0) AS b FROM customer_phones WHERE customer_id = $2),
     firsts AS (
       SELECT DISTINCT ON (coalesce(e164, 'd' || digits)) id, position FROM customer_phones
       WHERE customer_id = $1 AND coalesce(e164, 'd' || digits) NOT IN (SELECT k FROM have)
       ORDER BY coalesce(e164, 'd' || digits), position
     ),
     pick AS (SELECT id, row_number() OVER (ORDER BY position) - 1 AS n FROM firsts)
     UPDATE customer_phones p SET customer_id = $2, position = base.b + pick.n
     FROM pick, base WHERE p.id = pick.id RETURNING p.id`,
    [fromId, toId],
  );
  return rows.length;
}
