import type { Queryable } from '../../db/adapter.js';
import { maybeOne, one } from '../../db/adapter.js';
import { dictionaryRows, nameTerms } from './terms.js';
import type { Address, Customer, CustomerSummary, Phone } from './schema.js';

/**
 * The customers module's SQL: the only code that touches `customers`,
 * `customer_phones` (and, in preferences.ts, `user_preferences`).
 */

/** What a write stores (the service has validated and normalised it). */
export interface CustomerValues {
  accountNumber: string;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  email: string | null;
  notes: string | null;
  vip: boolean;
  draft: boolean;
  primaryAddress: Address | null;
  secondaryAddress: Address | null;
  customFields: Record<string, unknown>;
}

export interface PhoneRow extends Phone {
  digits: string;
}

export interface CustomerRow {
  id: string;
  account_number: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  email: string | null;
  notes: string | null;
  vip: boolean;
  draft: boolean;
  primary_address: Address | null;
  secondary_address: Address | null;
  custom_fields: Record<string, unknown>;
  tags: string[];
  version: number;
  created_at: Date;
  updated_at: Date;
  phones: Phone[];
}

/** Phones as a JSON array in position order: one statement reads a customer with its phones. */
const PHONES_JSON = `(SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164,
    'extension', p.extension, 'valid', p.valid) ORDER BY p.position), '[]'::json)
  FROM customer_phones p WHERE p.customer_id = c.id)`;

export const CUSTOMER_COLUMNS = `c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.notes, c.vip,
  c.draft, c.primary_address, c.secondary_address, c.custom_fields, c.tags, c.version, c.created_at, c.updated_at,
  ${PHONES_JSON} AS phones`;

export function displayNameOf(r: {
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  email: string | null;
  account_number: string;
}): string {
  const name = [r.first_name, r.last_name].filter(Boolean).join(' ');
  return name || r.company || r.email || r.account_number;
}

/** An address as stored, with every part present (null when absent). */
function addressOf(a: Partial<Address> | null): Address | null {
  if (!a) return null;
  const part = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    street: part(a.street),
    city: part(a.city),
    region: part(a.region),
    postalCode: part(a.postalCode),
    country: part(a.country),
  };
}

export function toCustomer(r: CustomerRow): Customer {
  return {
    id: r.id,
    accountNumber: r.account_number,
    firstName: r.first_name,
    lastName: r.last_name,
    displayName: displayNameOf(r),
    company: r.company,
    email: r.email,
    phones: r.phones,
    primaryAddress: addressOf(r.primary_address),
    secondaryAddress: addressOf(r.secondary_address),
    notes: r.notes,
    vip: r.vip,
    draft: r.draft,
    customFields: r.custom_fields,
    tags: r.tags,
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function getRow(q: Queryable, id: string, forUpdate = false): Promise<CustomerRow | null> {
  if (forUpdate) {
    // Lock first (FOR UPDATE cannot sit beside the aggregate subquery's own rows), then read.
    const locked = await maybeOne(q, 'SELECT id FROM customers WHERE id = $1 FOR UPDATE', [id]);
    if (!locked) return null;
  }
  return maybeOne<CustomerRow>(q, `SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1`, [id]);
}

/** The customer with this email (case-insensitively), drafts included. */
export async function getRowByEmail(q: Queryable, email: string): Promise<CustomerRow | null> {
  return maybeOne<CustomerRow>(q, `SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.email_key = lower($1)`, [
    email.trim(),
  ]);
}

/** The customer with this account number, drafts included. */
export async function getRowByAccountNumber(q: Queryable, accountNumber: string): Promise<CustomerRow | null> {
  return maybeOne<CustomerRow>(q, `SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.account_number = $1`, [
    accountNumber.trim(),
  ]);
}

function valueParams(v: CustomerValues): unknown[] {
  return [
    nameTerms(v.firstName, v.lastName, v.company),
    v.firstName,
    v.lastName,
    v.company,
    v.email,
    v.notes,
    v.vip,
    v.draft,
    v.primaryAddress === null ? null : JSON.stringify(v.primaryAddress),
    v.secondaryAddress === null ? null : JSON.stringify(v.secondaryAddress),
    JSON.stringify(v.customFields),
  ];
}

/** Inserts a customer; an empty account number takes the next generated one. Returns the id. */
export async function insertCustomer(
  tx: Queryable,
  v: CustomerValues,
  userId: string | null,
): Promise<{ id: string; accountNumber: string }> {
  const row = await one<{ id: string; account_number: string }>(
    tx,
    `INSERT INTO customers (name_terms, first_name, last_name, company, email, notes, vip, draft, primary_address,
       secondary_address, custom_fields, account_number, created_by, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, coalesce(nullif($12, ''), sb_next_account_number()), $13, $13)
     RETURNING id, account_number`,
    [...valueParams(v), v.accountNumber, userId],
  );
  await addTerms(tx, nameTerms(v.firstName, v.lastName, v.company));
  return { id: row.id, accountNumber: row.account_number };
}

export async function updateCustomer(tx: Queryable, id: string, v: CustomerValues, userId: string | null) {
  await writeCustomer(tx, id, v, userId, '');
}

/**
 * updateCustomer answering the customer as it now is, from the same statement
 * (no second read): its phones and tags must be written before. Given the
 * values before (`was`), the name words go to the search dictionary only when
 * a name or the company changed (the customer's words are there already: an
 * erasure keeps every word some customer still has).
 */
export async function updateCustomerRow(
  tx: Queryable,
  id: string,
  v: CustomerValues,
  userId: string | null,
  was?: CustomerValues,
): Promise<CustomerRow> {
  const [row] = await writeCustomer<CustomerRow>(tx, id, v, userId, ` RETURNING ${CUSTOMER_COLUMNS}`, was);
  return row;
}

async function writeCustomer<T>(
  tx: Queryable,
  id: string,
  v: CustomerValues,
  userId: string | null,
  returning: string,
  was?: CustomerValues,
): Promise<T[]> {
  const rows = await tx.query<T>(
    `UPDATE customers c SET name_terms = $1, first_name = $2, last_name = $3, company = $4, email = $5, notes = $6,
       vip = $7, draft = $8, primary_address = $9, secondary_address = $10, custom_fields = $11,
       version = version + 1, updated_at = now(), updated_by = $13
     WHERE c.id = $12${returning}`,
    [...valueParams(v), id, userId],
  );
  const sameNames = was && was.firstName === v.firstName && was.lastName === v.lastName && was.company === v.company;
  if (!sameNames) await addTerms(tx, nameTerms(v.firstName, v.lastName, v.company));
  return rows;
}

/** Replaces a customer's tags (normalised by the service), in the update's transaction: the update bumps the version. */
export async function setCustomerTags(tx: Queryable, id: string, tags: string[]): Promise<void> {
  await tx.query('UPDATE customers SET tags = $2 WHERE id = $1', [id, tags]);
}

/** The tags in use on customers, most used first; `prefix` keeps those starting with it. */
export async function customerTagCounts(
  q: Queryable,
  opts: { prefix: string | null; limit: number },
): Promise<{ tag: string; count: number }[]> {
  const prefix = opts.prefix ?? '';
  return q.query<{ tag: string; count: number }>(
    `SELECT t.tag, count(*) AS count FROM customers c CROSS JOIN LATERAL unnest(c.tags) AS t(tag)
     WHERE left(t.tag, $1::int) = $2::text
     GROUP BY t.tag ORDER BY count(*) DESC, t.tag LIMIT $3`,
    [[...prefix].length, prefix, opts.limit],
  );
}

/**
 * Adds words to the search dictionary (in sorted order: concurrent writers take their locks in one order).
 * A word's rows are written together and deleted together, so a word whose own row (variant = term) is
 * there has them all: only the other words' rows are sent to the insert (one lookup per word instead of
 * one conflict per row; most words of a long import are already known).
 */
export async function addTerms(tx: Queryable, terms: string[]): Promise<void> {
  const rows = dictionaryRows(terms);
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO customer_terms (variant, term)
     SELECT x.v, x.t FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(v, t, n)
     WHERE x.t IN (SELECT w FROM unnest($3::text[]) AS w
                   WHERE NOT EXISTS (SELECT 1 FROM customer_terms k WHERE k.variant = w AND k.term = w))
     ORDER BY x.n
     ON CONFLICT DO NOTHING`,
    [rows.map((r) => r[0]), rows.map((r) => r[1]), [...new Set(terms)]],
  );
}

export async function deleteCustomer(tx: Queryable, id: string): Promise<void> {
  await tx.query('DELETE FROM customers WHERE id = $1', [id]);
}

/** Replaces a customer's phones with these, in order (one multi-row insert). */
export async function replacePhones(tx: Queryable, customerId: string, phones: PhoneRow[]): Promise<void> {
  await tx.query('DELETE FROM customer_phones WHERE customer_id = $1', [customerId]);
  if (phones.length === 0) return;
  await tx.query(
    `INSERT INTO customer_phones (customer_id, position, type, raw, e164, extension, digits, valid)
     SELECT $1, t.ord - 1, t.type, t.raw, t.e164, t.ext, t.digits, t.valid
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[])
       WITH ORDINALITY AS t(type, raw, e164, ext, digits, valid, ord)`,
    [
      customerId,
      phones.map((p) => p.type),
      phones.map((p) => p.number),
      phones.map((p) => p.e164),
      phones.map((p) => p.extension),
      phones.map((p) => p.digits),
      phones.map((p) => p.valid),
    ],
  );
}

// ------------------------------------------------------------------ lookups

interface SummaryRow {
  id: string;
  account_number: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  email: string | null;
  vip: boolean;
  phones: { type: string; number: string; e164: string | null }[];
}

const SUMMARY_COLUMNS = `c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.vip,
  (SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164)
     ORDER BY p.position), '[]'::json) FROM customer_phones p WHERE p.customer_id = c.id) AS phones`;

function toSummary(r: SummaryRow): CustomerSummary {
  return {
    id: r.id,
    accountNumber: r.account_number,
    displayName: displayNameOf(r),
    vip: r.vip,
    email: r.email,
    phones: r.phones,
  };
}

export async function summariesByIds(q: Queryable, ids: string[]): Promise<CustomerSummary[]> {
  if (ids.length === 0) return [];
  const rows = await q.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM customers c WHERE c.id = ANY($1::uuid[])`, [
    ids,
  ]);
  return rows.map(toSummary);
}
