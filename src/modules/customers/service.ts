import type { Config } from '../../config.js';
import { Coalescer } from '../../db/coalesce.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { emitEvent, type NewEvent } from '../../events/outbox.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Conflict, Invalid, NotFound, type FieldError } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import type { Page } from '../../http/pagination.js';
import { readCustomFieldValidatorAhead, validateCustomFields } from '../custom-fields/validate.js';
import { DefinitionReads, prepareCustomFieldFilters, prepareCustomFieldSearch } from '../custom-fields/filters.js';
import { diffFields, listHistory, recordHistory, type FieldChange, type HistoryEntry } from '../history/service.js';
import { enqueueWebhook } from '../webhooks/outbox.js';
import { normalisePhone } from './phones.js';
import { PreferencesService } from './preferences.js';
import { ExternalIdsService } from './external-ids.js';
import { CustomerImporter, CustomerRowsAhead, type CustomerImportOptions } from './import.js';
import type {
  Address,
  AddressInput,
  Customer,
  CustomerCreate,
  CustomerPatch,
  CustomerSummary,
  PhoneInput,
} from './schema.js';
import { type ExactPhoneList, listByE164Many, listCustomers, type ListOptions, type ListRow } from './search.js';
import {
  type CustomerRow,
  type CustomerValues,
  type PhoneRow,
  deleteCustomer,
  getRow,
  getRowByAccountNumber,
  getRowByEmail,
  insertCustomer,
  replacePhones,
  summariesByIds,
  toCustomer,
  updateCustomerRow,
  customerTagCounts,
  setCustomerTags,
} from './store.js';
import { tagFilterOf, tagsOf, tagText } from '../../formats/tags.js';

export const RECORD_TYPE = 'customer';
const trimOrNull = (s: string | null | undefined): string | null => {
  const t = s?.trim();
  return t ? t : null;
};

function cleanAddress(a: AddressInput | null | undefined): Address | null {
  if (!a) return null;
  const out: Address = {
    street: trimOrNull(a.street),
    city: trimOrNull(a.city),
    region: trimOrNull(a.region),
    postalCode: trimOrNull(a.postalCode),
    country: trimOrNull(a.country),
  };
  return Object.values(out).some((v) => v !== null) ? out : null;
}

/** The flat view of a customer that the history of changes compares. */
export function historyFields(v: CustomerValues, phones: { type: string; number: string }[]): Record<string, unknown> {
  return {
    accountNumber: v.accountNumber,
    firstName: v.firstName,
    lastName: v.lastName,
    company: v.company,
    email: v.email,
    phones: phones.length ? phones.map((p) => ({ type: p.type, number: p.number })) : null,
    primaryAddress: v.primaryAddress,
    secondaryAddress: v.secondaryAddress,
    notes: v.notes,
    vip: v.vip,
    draft: v.draft,
    customFields: Object.keys(v.customFields).length ? v.customFields : null,
  };
}

export function valuesOf(r: CustomerRow): CustomerValues {
  return {
    accountNumber: r.account_number,
    firstName: r.first_name,
    lastName: r.last_name,
    company: r.company,
    email: r.email,
    notes: r.notes,
    vip: r.vip,
    draft: r.draft,
    primaryAddress: r.primary_address,
    secondaryAddress: r.secondary_address,
    customFields: r.custom_fields,
  };
}

/** Completeness rules: a non-draft customer has a first and a last name. */
export function checkComplete(v: CustomerValues): void {
  if (v.draft) return;
  const errors: FieldError[] = [];
  if (!v.firstName) errors.push({ field: 'firstName', message: 'First name is required (or save as a draft).' });
  if (!v.lastName) errors.push({ field: 'lastName', message: 'Last name is required (or save as a draft).' });
  if (errors.length) throw new Invalid(errors);
}

const samePhones = (a: { type: string; number: string }[], b: { type: string; number: string }[]) =>
  a.length === b.length && a.every((p, i) => p.type === b[i].type && p.number === b[i].number);

/**
 * Customers (docs/product.md C1–C3, C5–C7): records with typed phones, drafts,
 * optimistic concurrency, history of changes, search, and the lookups other
 * modules (interactions, email, imports) build on.
 */
export class CustomersService {
  readonly preferences: PreferencesService;
  /** Ids in other systems: upsert and lookup by `{system, id}` (customers/external-ids.ts). */
  readonly externalIds: ExternalIdsService;
  /** The custom field definitions a list or search needs, read with concurrent requests' reads. */
  private readonly definitionReads: DefinitionReads;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
  ) {
    this.preferences = new PreferencesService(db);
    this.externalIds = new ExternalIdsService(db, this);
    this.definitionReads = new DefinitionReads(db);
  }

  /** Phones are read in the deployment's default region (DEFAULT_PHONE_REGION) unless typed with a country code. */
  private normalisePhones(phones: { type?: string; number: string }[]): PhoneRow[] {
    const region = this.config.defaultPhoneRegion;
    return phones.map((p, i) => {
      const number = p.number.trim();
      const n = normalisePhone(number, region);
      if (!n.digits) throw new Invalid([{ field: `phones.${i}.number`, message: 'has no digits' }]);
      return {
        type: p.type ?? 'voice',
        number,
        e164: n.e164,
        extension: n.extension,
        valid: n.valid,
        digits: n.digits,
      };
    });
  }

  async get(actor: Actor, id: string, tx?: Queryable): Promise<Customer> {
    requirePrivilege(actor, 'customers.view');
    const row = isUuid(id) ? await getRow(tx ?? this.db, id) : null;
    if (!row) throw new NotFound('Customer');
    return toCustomer(row);
  }

  /** The customer with this email (case-insensitively), drafts included: for the email channel and the Support Center. */
  async findByEmail(actor: Actor, email: string, tx?: Queryable): Promise<Customer | null> {
    requirePrivilege(actor, 'customers.view');
    const row = email.trim() ? await getRowByEmail(tx ?? this.db, email) : null;
    return row ? toCustomer(row) : null;
  }

  /** The customer with this account number, drafts included (Support Center sign-in). */
  async findByAccountNumber(actor: Actor, accountNumber: string, tx?: Queryable): Promise<Customer | null> {
    requirePrivilege(actor, 'customers.view');
    const row = accountNumber.trim() ? await getRowByAccountNumber(tx ?? this.db, accountNumber) : null;
    return row ? toCustomer(row) : null;
  }

  /** Compact summaries of these customers (for other modules' lists); unknown ids are left out. */
  async summaries(actor: Actor, ids: string[]): Promise<CustomerSummary[]> {
    requirePrivilege(actor, 'customers.view');
    return summariesByIds(this.db, [...new Set(ids.filter(isUuid))]);
  }

  async list(actor: Actor, query: ListOptions & { tag?: string[] }): Promise<Page<Customer>> {
    requirePrivilege(actor, 'customers.view');
    const { tag, ...rest } = query;
    const opts: ListOptions = { ...rest, tags: tagFilterOf(tag) };
    // cf.* parameters travel in opts as the querystring had them.
    const custom = await prepareCustomFieldFilters(
      this.definitionReads,
      'customer',
      opts as unknown as Record<string, unknown>,
      { alias: 'c' },
    );
    const customSearch =
      opts.q !== undefined
        ? await prepareCustomFieldSearch(this.definitionReads, 'customer', opts.q, { alias: 'c' })
        : null;
    const { rows, nextCursor } = await listCustomers(
      this.db,
      { ...opts, custom, customSearch },
      this.config.defaultPhoneRegion,
      this.exactPhone,
    );
    return { items: rows.map(toCustomer), nextCursor };
  }

  /** Concurrent `?phone=` lists' exact tier: one statement per event-loop turn and page size. */
  private readonly exactPhoneBatches = new Map<number, Coalescer<ListRow[]>>();

  private readonly exactPhone: ExactPhoneList = (e164, rows) => {
    let batches = this.exactPhoneBatches.get(rows);
    if (!batches) {
      batches = new Coalescer(
        (keys) => listByE164Many(this.db, keys, rows),
        () => [],
      );
      this.exactPhoneBatches.set(rows, batches);
    }
    return batches.load(e164);
  };

  /** `tx`: inside another module's transaction (an interaction's create-and-associate). */
  async create(actor: Actor, input: CustomerCreate, tx?: Queryable): Promise<Customer> {
    requirePrivilege(actor, 'customers.create');
    const values: CustomerValues = {
      accountNumber: input.accountNumber?.trim() ?? '',
      firstName: trimOrNull(input.firstName),
      lastName: trimOrNull(input.lastName),
      company: trimOrNull(input.company),
      email: trimOrNull(input.email),
      notes: input.notes ?? null,
      vip: input.vip ?? false,
      draft: input.draft ?? false,
      primaryAddress: cleanAddress(input.primaryAddress),
      secondaryAddress: cleanAddress(input.secondaryAddress),
      customFields: {},
    };
    checkComplete(values);
    const phones = this.normalisePhones(input.phones ?? []);
    const tags = input.tags ? tagsOf(input.tags) : [];
    return inTransaction(this.db, tx, async (tx) => {
      values.customFields = await validateCustomFields(tx, 'customer', input.customFields, undefined, {
        draft: values.draft,
      });
      const { id, accountNumber } = await insertCustomer(tx, values, actor.userId);
      values.accountNumber = accountNumber;
      await replacePhones(tx, id, phones);
      if (tags.length > 0) await setCustomerTags(tx, id, tags);
      await recordHistory(tx, actor, {
        recordType: RECORD_TYPE,
        recordId: id,
        action: 'create',
        changes: diffFields({}, { ...historyFields(values, phones), tags: tags.length ? tags : null }),
      });
      const created = toCustomer((await getRow(tx, id))!);
      await this.emit(tx, 'customer.created', created);
      await enqueueWebhook(tx, 'customer.created', created);
      return created;
    });
  }

  /**
   * Changes the fields sent. `expectedVersion` is the version the client read
   * (null only for system writers such as imports); a stale one is a 409 with
   * the current record and nothing changes. Completing a draft applies the full rules.
   */
  async update(
    actor: Actor,
    id: string,
    patch: CustomerPatch,
    expectedVersion: number | null,
    tx?: Queryable,
  ): Promise<Customer> {
    requirePrivilege(actor, 'customers.edit');
    if (!isUuid(id)) throw new NotFound('Customer');
    return inTransaction(this.db, tx, async (tx) => {
      const before = await getRow(tx, id, true);
      if (!before) throw new NotFound('Customer');
      if (expectedVersion !== null && expectedVersion !== before.version) throw Conflict.stale(toCustomer(before));
      if (patch.accountNumber !== undefined && patch.accountNumber.trim() !== before.account_number) {
        throw new Invalid([{ field: 'accountNumber', message: 'cannot be changed' }]);
      }
      const old = valuesOf(before);
      const has = (k: keyof CustomerPatch) => patch[k] !== undefined;
      const next: CustomerValues = {
        ...old,
        firstName: has('firstName') ? trimOrNull(patch.firstName) : old.firstName,
        lastName: has('lastName') ? trimOrNull(patch.lastName) : old.lastName,
        company: has('company') ? trimOrNull(patch.company) : old.company,
        email: has('email') ? trimOrNull(patch.email) : old.email,
        notes: has('notes') ? (patch.notes ?? null) : old.notes,
        vip: patch.vip ?? old.vip,
        draft: patch.draft ?? old.draft,
        primaryAddress: has('primaryAddress') ? cleanAddress(patch.primaryAddress) : old.primaryAddress,
        secondaryAddress: has('secondaryAddress') ? cleanAddress(patch.secondaryAddress) : old.secondaryAddress,
      };
      checkComplete(next);
      next.customFields = await validateCustomFields(tx, 'customer', patch.customFields, old.customFields, {
        draft: next.draft,
        requireAll: old.draft && !next.draft,
      });

      const typed: PhoneInput[] =
        patch.phones ?? before.phones.map((p) => ({ type: p.type as PhoneInput['type'], number: p.number }));
      const phones = this.normalisePhones(typed);
      const phonesChanged =
        !samePhones(phones, before.phones) || phones.some((p, i) => p.e164 !== before.phones[i].e164);

      const tags = patch.tags !== undefined ? tagsOf(patch.tags) : before.tags;
      const changes = diffFields(
        { ...historyFields(old, before.phones), tags: before.tags },
        { ...historyFields(next, phones), tags },
      );
      if (changes.length === 0 && !phonesChanged) return toCustomer(before);
      // Phones and tags first: the update then answers the customer as it now is (no second read).
      if (phonesChanged) await replacePhones(tx, id, phones);
      if (patch.tags !== undefined && tags.join('\n') !== before.tags.join('\n')) await setCustomerTags(tx, id, tags);
      const after = toCustomer(await updateCustomerRow(tx, id, next, actor.userId, old));
      await recordHistory(tx, actor, { recordType: RECORD_TYPE, recordId: id, action: 'update', changes });
      await this.emit(tx, 'customer.updated', after);
      await enqueueWebhook(tx, 'customer.updated', after);
      return after;
    });
  }

  /** The tags in use on customers, most used first, with how many customers carry each. */
  async tagCounts(
    actor: Actor,
    query: { q?: string; limit?: number },
  ): Promise<{ items: { tag: string; count: number }[] }> {
    requirePrivilege(actor, 'customers.view');
    const prefix = (query.q !== undefined && tagText(query.q)) || null;
    return { items: await customerTagCounts(this.db, { prefix, limit: query.limit ?? 100 }) };
  }

  /**
   * A line in a customer's history that is not a change of its fields: what
   * a contact sync decided (a conflict and which side won, a contact deleted
   * in the other system, a push the other system refused), in the caller's transaction.
   */
  async recordNote(
    actor: Actor,
    id: string,
    action: 'sync_conflict' | 'sync_deleted' | 'sync_failed',
    changes: FieldChange[],
    tx?: Queryable,
  ): Promise<void> {
    requirePrivilege(actor, 'customers.edit');
    await recordHistory(tx ?? this.db, actor, { recordType: RECORD_TYPE, recordId: id, action, changes });
  }

  /** Deletes a customer; the history keeps every field it had, who deleted it and when. */
  async delete(actor: Actor, id: string, expectedVersion: number | null): Promise<void> {
    requirePrivilege(actor, 'customers.delete');
    if (!isUuid(id)) throw new NotFound('Customer');
    await this.db.transaction(async (tx) => {
      const before = await getRow(tx, id, true);
      if (!before) throw new NotFound('Customer');
      if (expectedVersion !== null && expectedVersion !== before.version) throw Conflict.stale(toCustomer(before));
      await deleteCustomer(tx, id);
      await recordHistory(tx, actor, {
        recordType: RECORD_TYPE,
        recordId: id,
        action: 'delete',
        changes: diffFields(historyFields(valuesOf(before), before.phones), {}),
      });
      await this.emit(tx, 'customer.deleted', toCustomer(before));
      await enqueueWebhook(tx, 'customer.deleted', toCustomer(before));
    });
  }

  /** The history of changes, newest first; also for a deleted customer (its history outlives it). */
  async history(actor: Actor, id: string, opts: { limit: number; cursor?: string }): Promise<Page<HistoryEntry>> {
    requirePrivilege(actor, 'customers.view');
    if (!isUuid(id)) throw new NotFound('Customer');
    const page = await listHistory(this.db, RECORD_TYPE, id, opts);
    if (page.items.length === 0 && !opts.cursor && !(await getRow(this.db, id))) throw new NotFound('Customer');
    return page;
  }

  /**
   * Customers in bulk for an import (customers/import.ts), inside the import chunk's transaction:
   * `data.import`, and the privileges of what the mode may do.
   */
  async importer(actor: Actor, opts: CustomerImportOptions, tx?: Queryable): Promise<CustomerImporter> {
    requirePrivilege(actor, 'data.import');
    if (opts.mode !== 'update') requirePrivilege(actor, 'customers.create');
    if (opts.mode !== 'create') requirePrivilege(actor, 'customers.edit');
    return CustomerImporter.prepare(actor, opts, tx ?? this.db);
  }

  /**
   * An import's next chunk worked out before its transaction (customers/import.ts,
   * CustomerRowsAhead): custom field definitions read from the pool, no lock.
   */
  async importAhead(actor: Actor, opts: CustomerImportOptions): Promise<CustomerRowsAhead> {
    requirePrivilege(actor, 'data.import');
    return new CustomerRowsAhead(opts, await readCustomFieldValidatorAhead(this.db, 'customer'));
  }

  /** Customer ids by account number and by email (lower-cased), for linking imported cases. */
  async idsByKeys(
    actor: Actor,
    keys: { accountNumbers: string[]; emails: string[] },
    tx?: Queryable,
  ): Promise<{ byAccountNumber: Map<string, string>; byEmail: Map<string, string> }> {
    requirePrivilege(actor, 'customers.view');
    const byAccountNumber = new Map<string, string>();
    const byEmail = new Map<string, string>();
    if (keys.accountNumbers.length) {
      const rows = await (tx ?? this.db).query<{ id: string; account_number: string }>(
        'SELECT id, account_number FROM customers WHERE account_number = ANY($1::text[])',
        [keys.accountNumbers],
      );
      for (const r of rows) byAccountNumber.set(r.account_number, r.id);
    }
    if (keys.emails.length) {
      const rows = await (tx ?? this.db).query<{ id: string; email_key: string }>(
        'SELECT id, email_key FROM customers WHERE email_key = ANY($1::text[])',
        [keys.emails.map((e) => e.toLowerCase())],
      );
      for (const r of rows) byEmail.set(r.email_key, r.id);
    }
    return { byAccountNumber, byEmail };
  }

  private async emit(tx: Queryable, type: CustomerEventName, c: Customer): Promise<void> {
    await emitEvent(tx, customerEvent(type, c));
  }
}

type CustomerEventName = 'customer.created' | 'customer.updated' | 'customer.deleted';

/** The broadcast of a customer change; a merge adds where the customer went or came from. */
export function customerEvent(
  type: CustomerEventName,
  c: Customer,
  merge: { mergedInto?: string; mergedFrom?: string } = {},
): NewEvent {
  return {
    type,
    recordType: RECORD_TYPE,
    recordId: c.id,
    requires: 'customers.view',
    payload: { accountNumber: c.accountNumber, displayName: c.displayName, version: c.version, ...merge },
  };
}
