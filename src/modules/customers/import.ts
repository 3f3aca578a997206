import { plainMessage } from '../../http/messages.js';
import { randomUUID } from 'node:crypto';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Queryable } from '../../db/adapter.js';
import { RowsAhead } from '../../db/rows-ahead.js';
import type { Actor } from '../../http/actor.js';
import { Invalid, type FieldError } from '../../http/errors.js';
import { definitionsKey, prepareCustomFieldValidator, type CustomFieldValidator } from '../custom-fields/validate.js';
import { diffFields, historyRowJson, recordHistoryRows } from '../history/service.js';
import { normalisePhone, type PhoneMemo } from './phones.js';
import { CustomerCreate, CustomerPatch, type Address, type PhoneType } from './schema.js';
import { historyFields, RECORD_TYPE } from './service.js';
import {
  addTerms,
  CUSTOMER_COLUMNS,
  displayNameOf,
  type CustomerRow,
  type CustomerValues,
  type PhoneRow,
} from './store.js';
import { nameTerms } from './terms.js';

/**
 * Customers in bulk, for imports: the same rules as POST/PATCH /customers
 * (the API's schemas, completeness, phone normalisation, email uniqueness,
 * custom field rules), applied to a chunk of rows with set-based SQL. `plan`
 * reads (and locks) what the rows match and decides each row's outcome;
 * `write` stores the planned creates and updates with one history entry per
 * record. The imports module drives both inside its chunk's transaction.
 */

export const CUSTOMER_MATCH_KEYS = ['accountNumber', 'email', 'externalId', 'phone'] as const;
export type CustomerMatchKey = (typeof CUSTOMER_MATCH_KEYS)[number];
export type ImportMode = 'create' | 'upsert' | 'update';

export interface CustomerImportOptions {
  mode: ImportMode;
  /** Tried in order: the first key with a value that finds customers decides. */
  match: CustomerMatchKey[];
  /** Region for phone numbers typed without a country code. */
  region: string;
  /** The file's phones replace a matched customer's phones (default: numbers it lacks are added). */
  replacePhones: boolean;
  /** The job's memory of numbers already normalised (the same number parsed once per job). */
  phoneMemo?: PhoneMemo;
}

type AddressPart = keyof Address;

/** What a row says about a customer: a key present sets the field, null clears it, absent leaves it. */
export interface CustomerImportFields {
  accountNumber?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  company?: string | null;
  email?: string | null;
  notes?: string | null;
  vip?: boolean | null;
  draft?: boolean | null;
  primaryAddress?: Partial<Record<AddressPart, string | null>>;
  secondaryAddress?: Partial<Record<AddressPart, string | null>>;
  customFields?: Record<string, unknown>;
}

export interface CustomerImportRow {
  row: number;
  fields: CustomerImportFields;
  phones: { type: PhoneType; number: string }[];
  /** Phone columns mapped to clear when blank, all blank: the customer's phones are removed. */
  clearPhones?: boolean;
}

interface Base {
  row: number;
  /** What the row names (for the import's in-file duplicate check). */
  claims: string[];
  /** The record as it would be stored (preview). */
  record: Record<string, unknown>;
}
/** A create's rows for the chunk's statements, as JSON (built ahead of the transaction when it can be). */
interface CreateStatementRows {
  customer: string;
  phones: string[];
  terms: string[];
  /** null: the database numbers the account, and the history entry names the number it chose. */
  history: string | null;
}

export type PlannedCustomer =
  | { row: number; outcome: 'failed'; errors: FieldError[] }
  | (Base & {
      outcome: 'create';
      id: string;
      values: CustomerValues;
      phones: PhoneRow[];
      statementRows?: CreateStatementRows;
    })
  | (Base & {
      outcome: 'update';
      id: string;
      values: CustomerValues;
      phones: PhoneRow[];
      phonesChanged: boolean;
      changes: ReturnType<typeof diffFields>;
    })
  | (Base & { outcome: 'unchanged'; id: string });

export type WritableCustomer = Extract<PlannedCustomer, { outcome: 'create' | 'update' }>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ coerceTypes: false, useDefaults: false, allErrors: true, strict: false }));
const checkCreate: ValidateFunction = ajv.compile(CustomerCreate);
const checkPatch: ValidateFunction = ajv.compile(CustomerPatch);

/** The API's validation messages, in words for a person fixing a spreadsheet. */
function schemaErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((e) => {
    const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'row';
    const p = e.params as Record<string, unknown>;
    // Anything not worded below: the API's plain sentence (src/http/messages.ts), never the validator's text.
    let message = plainMessage(e, field);
    if (e.keyword === 'maxLength') message = `is longer than ${String(p.limit)} characters`;
    else if (e.keyword === 'format' && p.format === 'email') message = 'is not a valid email address';
    else if (e.keyword === 'pattern' && field === 'accountNumber')
      message = 'may hold letters, digits, ".", "_" and "-" only (at most 40, starting with a letter or digit)';
    else if (e.keyword === 'maxItems') message = `has more than ${String(p.limit)} numbers`;
    return { field, message };
  });
}

const trimOrNull = (s: string | null | undefined): string | null => {
  const t = s?.trim();
  return t ? t : null;
};

function addressOf(a: Partial<Record<AddressPart, string | null>> | undefined, old: Address | null): Address | null {
  const parts: AddressPart[] = ['street', 'city', 'region', 'postalCode', 'country'];
  const out = {} as Address;
  for (const k of parts) out[k] = a && a[k] !== undefined ? trimOrNull(a[k]) : (old?.[k] ?? null);
  return parts.some((k) => out[k] !== null) ? out : null;
}

const phoneKey = (p: { e164: string | null; digits: string }) => p.e164 ?? `d:${p.digits}`;

interface ExistingRef {
  id: string;
  account_number: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  email: string | null;
}
const describe = (c: ExistingRef) => `customer ${c.account_number} (${displayNameOf(c)})`;

function normalisePhones(
  phones: { type: PhoneType; number: string }[],
  opts: CustomerImportOptions,
  errors: FieldError[],
): PhoneRow[] {
  return phones.map((p, i) => {
    const number = p.number.trim();
    const n = opts.phoneMemo ? opts.phoneMemo.normalise(number, opts.region) : normalisePhone(number, opts.region);
    if (!n.digits) errors.push({ field: `phones.${i}.number`, message: 'has no digits' });
    return { type: p.type, number, e164: n.e164, extension: n.extension, valid: n.valid, digits: n.digits };
  });
}

/** What a row needs no database for: its phones normalised, its keys. */
function prepareRow(r: CustomerImportRow, opts: CustomerImportOptions): Prepared {
  const errors: FieldError[] = [];
  const phones = normalisePhones(r.phones, opts, errors);
  const account = trimOrNull(r.fields.accountNumber ?? null);
  const email = trimOrNull(r.fields.email ?? null);
  return { r, errors, phones, account, emailKey: email?.toLowerCase() ?? null };
}

const customerJson = (id: string, v: CustomerValues, terms = nameTerms(v.firstName, v.lastName, v.company)) =>
  JSON.stringify({
    id,
    account_number: v.accountNumber,
    name_terms: terms,
    first_name: v.firstName,
    last_name: v.lastName,
    company: v.company,
    email: v.email,
    notes: v.notes,
    vip: v.vip,
    draft: v.draft,
    primary_address: v.primaryAddress,
    secondary_address: v.secondaryAddress,
    custom_fields: v.customFields,
  });

const phoneRowsJson = (id: string, phones: PhoneRow[]) =>
  phones.map((p, position) =>
    JSON.stringify({
      customer_id: id,
      position,
      type: p.type,
      raw: p.number,
      e164: p.e164,
      extension: p.extension,
      digits: p.digits,
      valid: p.valid,
    }),
  );

const createHistoryJson = (id: string, v: CustomerValues, phones: PhoneRow[]) =>
  historyRowJson({
    recordType: RECORD_TYPE,
    recordId: id,
    action: 'create',
    changes: diffFields({}, historyFields(v, phones)),
  });

function statementRowsOf(c: Extract<PlannedCustomer, { outcome: 'create' }>): CreateStatementRows {
  const terms = nameTerms(c.values.firstName, c.values.lastName, c.values.company);
  return {
    customer: customerJson(c.id, c.values, terms),
    phones: phoneRowsJson(c.id, c.phones),
    terms,
    // With its account number the plan's record is historyFields(values, phones) (planCreate): not built again.
    history: c.values.accountNumber
      ? historyRowJson({ recordType: RECORD_TYPE, recordId: c.id, action: 'create', changes: diffFields({}, c.record) })
      : null,
  };
}

/** A new customer's work done ahead: its plan and errors were the row new, and its statement rows. */
function prepareAheadRow(r: CustomerImportRow, opts: CustomerImportOptions, cf: CustomFieldValidator): Prepared {
  const p = prepareRow(r, opts);
  if (p.errors.length === 0) {
    const errors: FieldError[] = [];
    const plan = planCreate(p, opts, cf, errors);
    if (plan && plan.outcome === 'create') plan.statementRows = statementRowsOf(plan);
    p.create = { plan, errors };
  }
  return p;
}

/**
 * A chunk's rows worked out before its transaction (src/db/rows-ahead.ts),
 * with custom field definitions read without the lock: phones, schema and
 * completeness, custom fields, and, for a row that turns out to be new, its
 * whole plan and statement rows. CustomerImporter.plan uses this work only
 * when its own definitions, read under the lock, are the same; what depends
 * on the database (matches, locks, uniqueness) it always decides itself.
 */
export class CustomerRowsAhead extends RowsAhead<CustomerImportRow, Prepared> {
  constructor(
    opts: CustomerImportOptions,
    private readonly cf: CustomFieldValidator,
  ) {
    super(definitionsKey(cf.definitions), (r) => prepareAheadRow(r, opts, cf));
  }

  /** The custom field definitions read (the imports module converts text cells by type). */
  get customFields() {
    return this.cf.definitions;
  }
}

export class CustomerImporter {
  private constructor(
    private readonly actor: Actor,
    private readonly opts: CustomerImportOptions,
    private readonly cf: CustomFieldValidator,
  ) {}

  static async prepare(actor: Actor, opts: CustomerImportOptions, tx?: Queryable): Promise<CustomerImporter> {
    if (!tx) throw new Error("an importer works inside the import chunk's transaction");
    if (opts.match.includes('externalId')) {
      throw new Invalid([
        { field: 'match', message: 'customers have no external ids yet: match by accountNumber, email or phone' },
      ]);
    }
    return new CustomerImporter(actor, opts, await prepareCustomFieldValidator(tx, 'customer'));
  }

  /** The custom field definitions (the imports module converts text cells by type). */
  get customFields() {
    return this.cf.definitions;
  }

  /** The definitions this importer read under the lock, as comparable text. */
  get definitionsKey(): string {
    return (this.key ??= definitionsKey(this.cf.definitions));
  }
  private key: string | undefined;

  /**
   * Decides every row's outcome; locks the customers the rows update (in id
   * order). `ahead`: the rows' work done before the transaction, used for
   * the rows it was done for when it was done with the definitions read now.
   */
  async plan(
    rows: CustomerImportRow[],
    ahead: CustomerRowsAhead | undefined,
    tx?: Queryable,
  ): Promise<PlannedCustomer[]> {
    if (!tx) throw new Error("an importer works inside the import chunk's transaction");
    const prepared = rows.map((r) => {
      const done = ahead?.get(r, this.definitionsKey);
      // A copy: a step retried after a deadlock plans the same rows again.
      return done ? { ...done, errors: [...done.errors] } : prepareRow(r, this.opts);
    });

    // What the rows' keys find, one statement per key.
    const accounts = [...new Set(prepared.map((p) => p.account).filter((a): a is string => a !== null))];
    const emails = [...new Set(prepared.map((p) => p.emailKey).filter((e): e is string => e !== null))];
    const usesPhone = this.opts.match.includes('phone');
    const e164s = usesPhone ? [...new Set(prepared.flatMap((p) => p.phones.map((ph) => ph.e164 ?? '')))] : [];
    const refCols = 'id, account_number, first_name, last_name, company, email';
    const byAccount = new Map<string, ExistingRef>();
    const byEmail = new Map<string, ExistingRef>();
    if (accounts.length) {
      for (const c of await tx.query<ExistingRef>(
        `SELECT ${refCols} FROM customers WHERE account_number = ANY($1::text[])`,
        [accounts],
      ))
        byAccount.set(c.account_number, c);
    }
    if (emails.length) {
      for (const c of await tx.query<ExistingRef & { email_key: string }>(
        `SELECT ${refCols}, email_key FROM customers WHERE email_key = ANY($1::text[])`,
        [emails],
      ))
        byEmail.set(c.email_key, c);
    }
    const byPhone = new Map<string, ExistingRef[]>();
    if (e164s.filter(Boolean).length) {
      for (const c of await tx.query<ExistingRef & { e164: string }>(
        `SELECT DISTINCT p.e164, c.id, c.account_number, c.first_name, c.last_name, c.company, c.email
         FROM customer_phones p JOIN customers c ON c.id = p.customer_id WHERE p.e164 = ANY($1::text[])`,
        [e164s.filter(Boolean)],
      )) {
        const list = byPhone.get(c.e164) ?? [];
        if (!list.some((x) => x.id === c.id)) list.push(c);
        byPhone.set(c.e164, list);
      }
    }

    // Each row's match: the first key with a value that finds anyone.
    const matched = prepared.map((p) => {
      for (const key of this.opts.match) {
        if (key === 'accountNumber' && p.account) {
          const c = byAccount.get(p.account);
          if (c) return { key, found: [c] };
        } else if (key === 'email' && p.emailKey) {
          const c = byEmail.get(p.emailKey);
          if (c) return { key, found: [c] };
        } else if (key === 'phone') {
          const found = new Map<string, ExistingRef>();
          for (const ph of p.phones) for (const c of (ph.e164 && byPhone.get(ph.e164)) || []) found.set(c.id, c);
          if (found.size > 0) return { key, found: [...found.values()] };
        }
      }
      return null;
    });

    // The customers to update, locked and read whole.
    const ids = [
      ...new Set(
        matched.flatMap((m) => (m && m.found.length === 1 && this.opts.mode !== 'create' ? [m.found[0].id] : [])),
      ),
    ].sort();
    const current = new Map<string, CustomerRow>();
    if (ids.length) {
      await tx.query('SELECT id FROM customers WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [ids]);
      for (const c of await tx.query<CustomerRow>(
        `SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.id = ANY($1::uuid[])`,
        [ids],
      ))
        current.set(c.id, c);
    }

    const keyWord: Record<CustomerMatchKey, string> = {
      accountNumber: 'account number',
      email: 'email',
      phone: 'phone',
      externalId: 'external id',
    };
    return prepared.map((p, i): PlannedCustomer => {
      const m = matched[i];
      const errors = p.errors;
      const fail = (): PlannedCustomer => ({ row: p.r.row, outcome: 'failed', errors });
      if (m && m.found.length > 1) {
        errors.push({
          field: m.key,
          message: `matches ${m.found.length} customers (${m.found
            .slice(0, 5)
            .map((c) => c.account_number)
            .join(', ')}): make the row name one`,
        });
        return fail();
      }
      const target = m ? current.get(m.found[0].id) : undefined;
      if (m && this.opts.mode === 'create') {
        errors.push({
          field: m.key,
          message: `${describe(m.found[0])} already has this ${keyWord[m.key]} (mode "create" only adds new customers)`,
        });
        return fail();
      }
      if (!m && this.opts.mode === 'update') {
        const keys = this.opts.match.map((k) => keyWord[k]).join(', ');
        errors.push({
          field: this.opts.match[0],
          message: `no customer matches (by ${keys}); mode "update" adds none`,
        });
        return fail();
      }
      if (m && !target) {
        // Deleted between the match and the lock.
        errors.push({ field: m.key, message: `${describe(m.found[0])} no longer exists` });
        return fail();
      }
      let planned: Exclude<PlannedCustomer, { outcome: 'failed' }> | null;
      if (target) planned = this.planUpdate(p, target, errors);
      else if (p.create) {
        errors.push(...p.create.errors);
        planned = p.create.plan;
      } else planned = planCreate(p, this.opts, this.cf, errors);
      if (!planned || errors.length) return fail();

      // Email and account number belong to one customer each.
      const id = planned.id;
      const email = planned.outcome === 'unchanged' ? null : planned.values.email;
      const other = email ? byEmail.get(email.toLowerCase()) : undefined;
      if (other && other.id !== id) {
        errors.push({ field: 'email', message: `${email} is already used by ${describe(other)}` });
      }
      if (planned.outcome === 'create' && p.account) {
        const holder = byAccount.get(p.account);
        if (holder)
          errors.push({ field: 'accountNumber', message: `${p.account} is already used by ${describe(holder)}` });
      }
      if (errors.length) return fail();
      return planned;
    });
  }

  private planUpdate(
    p: Prepared,
    before: CustomerRow,
    errors: FieldError[],
  ): Exclude<PlannedCustomer, { outcome: 'failed' }> | null {
    const f = p.r.fields;
    if (p.account && p.account !== before.account_number) {
      errors.push({
        field: 'accountNumber',
        message: `cannot be changed (the customer matched by another key has ${before.account_number})`,
      });
      return null;
    }
    const patch: Record<string, unknown> = {};
    for (const k of ['firstName', 'lastName', 'company', 'email', 'notes', 'vip', 'draft'] as const) {
      if (f[k] !== undefined) patch[k] = typeof f[k] === 'string' ? (f[k] as string).trim() || null : f[k];
    }
    for (const k of ['primaryAddress', 'secondaryAddress'] as const) if (f[k]) patch[k] = f[k];
    if (p.phones.length) patch.phones = p.phones.map((ph) => ({ type: ph.type, number: ph.number }));
    if (!checkPatch(patch)) {
      errors.push(...schemaErrors(checkPatch.errors));
      return null;
    }
    const has = (k: keyof CustomerImportFields) => f[k] !== undefined;
    const old: CustomerValues = {
      accountNumber: before.account_number,
      firstName: before.first_name,
      lastName: before.last_name,
      company: before.company,
      email: before.email,
      notes: before.notes,
      vip: before.vip,
      draft: before.draft,
      primaryAddress: before.primary_address,
      secondaryAddress: before.secondary_address,
      customFields: before.custom_fields,
    };
    const next: CustomerValues = {
      ...old,
      firstName: has('firstName') ? trimOrNull(f.firstName) : old.firstName,
      lastName: has('lastName') ? trimOrNull(f.lastName) : old.lastName,
      company: has('company') ? trimOrNull(f.company) : old.company,
      email: has('email') ? trimOrNull(f.email) : old.email,
      notes: has('notes') ? (f.notes ?? null) : old.notes,
      vip: f.vip ?? old.vip,
      draft: f.draft ?? old.draft,
      primaryAddress: f.primaryAddress ? addressOf(f.primaryAddress, old.primaryAddress) : old.primaryAddress,
      secondaryAddress: f.secondaryAddress ? addressOf(f.secondaryAddress, old.secondaryAddress) : old.secondaryAddress,
    };
    if (!next.draft) {
      if (!next.firstName) errors.push({ field: 'firstName', message: 'required (the customer is not a draft)' });
      if (!next.lastName) errors.push({ field: 'lastName', message: 'required (the customer is not a draft)' });
    }
    try {
      next.customFields = this.cf.validate(f.customFields ?? {}, old.customFields, {
        draft: next.draft,
        requireAll: old.draft && !next.draft,
        phoneRegion: this.opts.region,
      });
    } catch (err) {
      if (err instanceof Invalid) errors.push(...err.errors);
      else throw err;
    }
    if (errors.length) return null;

    // Phones: the file's numbers the customer lacks are added (or, replacePhones, the file's list is the list).
    const stored: PhoneRow[] = before.phones.map((ph) => ({
      ...ph,
      digits: ph.e164 ? ph.e164.slice(1) : ph.number.replace(/\D/g, ''),
    }));
    let phones = stored;
    if (p.r.clearPhones && p.phones.length === 0) phones = [];
    else if (p.phones.length && this.opts.replacePhones) phones = p.phones;
    else if (p.phones.length) {
      const known = new Set(stored.map(phoneKey));
      phones = [...stored, ...p.phones.filter((ph) => !known.has(phoneKey(ph)))];
    }
    if (phones.length > 20) {
      errors.push({ field: 'phones', message: 'a customer has at most 20 phone numbers' });
      return null;
    }
    const samePhones =
      phones.length === before.phones.length &&
      phones.every(
        (ph, i) =>
          ph.type === before.phones[i].type &&
          ph.number === before.phones[i].number &&
          ph.e164 === before.phones[i].e164,
      );
    const changes = diffFields(historyFields(old, before.phones), historyFields(next, phones));
    const claims = [`id:${before.id}`, ...(next.email ? [`e:${next.email.toLowerCase()}`] : [])];
    const record = historyFields(next, phones);
    if (changes.length === 0 && samePhones)
      return { row: p.r.row, outcome: 'unchanged', id: before.id, claims, record };
    return {
      row: p.r.row,
      outcome: 'update',
      id: before.id,
      values: next,
      phones,
      phonesChanged: !samePhones,
      changes,
      claims,
      record,
    };
  }

  /** Writes planned creates and updates: a few statements for the whole chunk, and their history. */
  async write(rows: WritableCustomer[], tx?: Queryable): Promise<void> {
    if (!tx) throw new Error("an importer works inside the import chunk's transaction");
    const creates = rows.filter((r): r is Extract<WritableCustomer, { outcome: 'create' }> => r.outcome === 'create');
    const updates = rows.filter((r): r is Extract<WritableCustomer, { outcome: 'update' }> => r.outcome === 'update');
    const userId = this.actor.userId;
    const cols = `id uuid, account_number text, name_terms text[], first_name text, last_name text, company text,
      email text, notes text, vip boolean, draft boolean, primary_address jsonb, secondary_address jsonb,
      custom_fields jsonb`;
    const history: string[] = [];
    const phoneRows: string[] = [];
    const terms = new Set<string>();
    if (creates.length) {
      const statementRows = creates.map((c) => c.statementRows ?? statementRowsOf(c));
      const inserted = await tx.query<{ id: string; account_number: string }>(
        `INSERT INTO customers (id, account_number, name_terms, first_name, last_name, company, email, notes, vip,
           draft, primary_address, secondary_address, custom_fields, created_by, updated_by)
         SELECT x.id, coalesce(nullif(x.account_number, ''), sb_next_account_number()), x.name_terms, x.first_name,
           x.last_name, x.company, x.email, x.notes, x.vip, x.draft, x.primary_address, x.secondary_address,
           x.custom_fields, $2, $2
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (${cols})) WITH ORDINALITY AS x
         ORDER BY x.ordinality
         RETURNING id, account_number`,
        [`[${statementRows.map((r) => r.customer).join(',')}]`, userId],
      );
      const numbers = new Map(inserted.map((r) => [r.id, r.account_number]));
      creates.forEach((c, i) => {
        const built = statementRows[i];
        // A numbered account's entry names the number the database chose.
        const entry =
          built.history ??
          createHistoryJson(
            c.id,
            { ...c.values, accountNumber: numbers.get(c.id) ?? c.values.accountNumber },
            c.phones,
          );
        if (entry) history.push(entry);
        phoneRows.push(...built.phones);
        for (const t of built.terms) terms.add(t);
      });
    }
    if (updates.length) {
      await tx.query(
        `UPDATE customers c SET name_terms = x.name_terms, first_name = x.first_name, last_name = x.last_name,
           company = x.company, email = x.email, notes = x.notes, vip = x.vip, draft = x.draft,
           primary_address = x.primary_address, secondary_address = x.secondary_address,
           custom_fields = x.custom_fields, version = c.version + 1, updated_at = now(), updated_by = $2
         FROM jsonb_to_recordset($1::jsonb) AS x(${cols})
         WHERE c.id = x.id`,
        [`[${updates.map((u) => customerJson(u.id, u.values)).join(',')}]`, userId],
      );
      const replaced = updates.filter((u) => u.phonesChanged).map((u) => u.id);
      if (replaced.length)
        await tx.query('DELETE FROM customer_phones WHERE customer_id = ANY($1::uuid[])', [replaced]);
      for (const u of updates) {
        const entry = historyRowJson({ recordType: RECORD_TYPE, recordId: u.id, action: 'update', changes: u.changes });
        if (entry) history.push(entry);
        if (u.phonesChanged) phoneRows.push(...phoneRowsJson(u.id, u.phones));
        for (const t of nameTerms(u.values.firstName, u.values.lastName, u.values.company)) terms.add(t);
      }
    }
    if (phoneRows.length) {
      await tx.query(
        `INSERT INTO customer_phones (customer_id, position, type, raw, e164, extension, digits, valid)
         SELECT x.customer_id, x.position, x.type, x.raw, x.e164, x.extension, x.digits, x.valid
         FROM jsonb_to_recordset($1::jsonb) AS x(customer_id uuid, position smallint, type text, raw text, e164 text,
           extension text, digits text, valid boolean)`,
        [`[${phoneRows.join(',')}]`],
      );
    }
    await addTerms(tx, [...terms]);
    await recordHistoryRows(tx, this.actor, history);
  }
}

/** A new customer from a row: the API's schema, completeness and custom field rules (no database). */
function planCreate(
  p: Prepared,
  opts: CustomerImportOptions,
  cf: CustomFieldValidator,
  errors: FieldError[],
): Exclude<PlannedCustomer, { outcome: 'failed' }> | null {
  const f = p.r.fields;
  const input: Record<string, unknown> = {};
  for (const k of ['accountNumber', 'firstName', 'lastName', 'company', 'email', 'notes', 'vip', 'draft'] as const) {
    if (f[k] !== undefined && f[k] !== null) input[k] = typeof f[k] === 'string' ? (f[k] as string).trim() : f[k];
  }
  if (input.accountNumber === '') delete input.accountNumber;
  for (const k of ['primaryAddress', 'secondaryAddress'] as const) {
    const a = f[k];
    if (!a) continue;
    const parts: Record<string, string> = {};
    for (const part of Object.keys(a)) {
      const v = a[part as AddressPart];
      if (v !== null && v !== undefined) parts[part] = v;
    }
    input[k] = parts;
  }
  if (p.phones.length) input.phones = p.phones.map((ph) => ({ type: ph.type, number: ph.number }));
  if (!checkCreate(input)) {
    errors.push(...schemaErrors(checkCreate.errors));
    return null;
  }
  const values: CustomerValues = {
    accountNumber: p.account ?? '',
    firstName: trimOrNull(f.firstName),
    lastName: trimOrNull(f.lastName),
    company: trimOrNull(f.company),
    email: trimOrNull(f.email),
    notes: f.notes ?? null,
    vip: f.vip ?? false,
    draft: f.draft ?? false,
    primaryAddress: addressOf(f.primaryAddress, null),
    secondaryAddress: addressOf(f.secondaryAddress, null),
    customFields: {},
  };
  if (!values.draft) {
    if (!values.firstName) errors.push({ field: 'firstName', message: 'required (or import the row as a draft)' });
    if (!values.lastName) errors.push({ field: 'lastName', message: 'required (or import the row as a draft)' });
  }
  try {
    values.customFields = cf.validate(f.customFields, undefined, {
      draft: values.draft,
      phoneRegion: opts.region,
    });
  } catch (err) {
    if (err instanceof Invalid) errors.push(...err.errors);
    else throw err;
  }
  if (errors.length) return null;
  const claims = [
    ...(p.account ? [`a:${p.account}`] : []),
    ...(values.email ? [`e:${values.email.toLowerCase()}`] : []),
    ...(opts.match.includes('phone') ? p.phones.map((ph) => `p:${phoneKey(ph)}`) : []),
  ];
  const record = { ...historyFields(values, p.phones), accountNumber: values.accountNumber || null };
  return { row: p.r.row, outcome: 'create', id: randomUUID(), values, phones: p.phones, claims, record };
}

type Prepared = {
  r: CustomerImportRow;
  errors: FieldError[];
  phones: PhoneRow[];
  account: string | null;
  emailKey: string | null;
  /** Worked out ahead (CustomerRowsAhead): the row's plan and errors were it new. */
  create?: { plan: Exclude<PlannedCustomer, { outcome: 'failed' }> | null; errors: FieldError[] };
};
