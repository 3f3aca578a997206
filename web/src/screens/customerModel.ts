import { cfCreateBody, cfPatchBody, showCf, type CfValues, type FieldDef } from '../customFields.js';
import type { Address, AddressInput, Customer, Phone } from '../apiTypes.js';

/** The customer form's editable state: strings for inputs, nothing null. */
export type AddressForm = { [K in keyof Required<AddressInput>]: string };

export interface CustomerFormValue {
  firstName: string;
  lastName: string;
  company: string;
  email: string;
  phones: { type: string; number: string }[];
  primaryAddress: AddressForm;
  secondaryAddress: AddressForm;
  notes: string;
  vip: boolean;
  customFields: CfValues;
}

export const PHONE_TYPES = ['mobile', 'work', 'home', 'voice', 'fax'];
const ADDRESS_KEYS: (keyof AddressForm)[] = ['street', 'city', 'region', 'postalCode', 'country'];

export function emptyAddress(): AddressForm {
  return { street: '', city: '', region: '', postalCode: '', country: '' };
}

export function emptyCustomer(prefill: Partial<CustomerFormValue> = {}): CustomerFormValue {
  return {
    firstName: '',
    lastName: '',
    company: '',
    email: '',
    phones: [],
    primaryAddress: emptyAddress(),
    secondaryAddress: emptyAddress(),
    notes: '',
    vip: false,
    customFields: {},
    ...prefill,
  };
}

function addressForm(a: Address | null | undefined): AddressForm {
  const f = emptyAddress();
  for (const k of ADDRESS_KEYS) f[k] = a?.[k] ?? '';
  return f;
}

export function formOf(c: Customer): CustomerFormValue {
  return {
    firstName: c.firstName ?? '',
    lastName: c.lastName ?? '',
    company: c.company ?? '',
    email: c.email ?? '',
    phones: (c.phones ?? []).map((p: Phone) => ({
      type: p.type,
      number: p.extension ? `${p.number}` : p.number,
    })),
    primaryAddress: addressForm(c.primaryAddress),
    secondaryAddress: addressForm(c.secondaryAddress),
    notes: c.notes ?? '',
    vip: Boolean(c.vip),
    customFields: { ...(c.customFields ?? {}) },
  };
}

function addressBody(a: AddressForm): AddressInput | null {
  const out: AddressInput = {};
  let any = false;
  for (const k of ADDRESS_KEYS) {
    const v = a[k].trim();
    if (v) {
      out[k] = v;
      any = true;
    }
  }
  return any ? out : null;
}

const text = (s: string) => (s.trim() === '' ? null : s.trim());

/** The request body for a form value (all fields). */
export function bodyOf(v: CustomerFormValue): Record<string, unknown> {
  return {
    firstName: text(v.firstName),
    lastName: text(v.lastName),
    company: text(v.company),
    email: text(v.email),
    phones: v.phones.filter((p) => p.number.trim() !== '').map((p) => ({ type: p.type, number: p.number.trim() })),
    primaryAddress: addressBody(v.primaryAddress),
    secondaryAddress: addressBody(v.secondaryAddress),
    notes: text(v.notes),
    vip: v.vip,
  };
}

/** For a create: only the fields with something in them. */
export function createBodyOf(v: CustomerFormValue, defs: FieldDef[] = []): Record<string, unknown> {
  const all = bodyOf(v);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(all)) {
    if (x === null || (Array.isArray(x) && x.length === 0) || (k === 'vip' && x === false)) continue;
    out[k] = x;
  }
  const cf = cfCreateBody(defs, v.customFields ?? {});
  if (cf) out.customFields = cf;
  return out;
}

/** For a PATCH: only the top-level fields (and custom fields) that differ from what was read. */
export function patchBodyOf(
  v: CustomerFormValue,
  base: CustomerFormValue,
  defs: FieldDef[] = [],
): Record<string, unknown> {
  const now = bodyOf(v);
  const before = bodyOf(base);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(now)) if (JSON.stringify(now[k]) !== JSON.stringify(before[k])) out[k] = now[k];
  const cf = cfPatchBody(defs, v.customFields ?? {}, base.customFields ?? {});
  if (cf) out.customFields = cf;
  return out;
}

/** The fields a person compares when resolving a conflict, each with a getter and a setter. */
export interface MergeField {
  key: string;
  label: string;
  get: (v: CustomerFormValue) => unknown;
  set: (v: CustomerFormValue, x: unknown) => CustomerFormValue;
  /** How to show a value (default: as text). */
  show?: (x: unknown) => string;
}

const simple = (key: 'firstName' | 'lastName' | 'company' | 'email' | 'notes' | 'vip', label: string): MergeField => ({
  key,
  label,
  get: (v) => v[key],
  set: (v, x) => ({ ...v, [key]: x }),
});

const addr = (which: 'primaryAddress' | 'secondaryAddress', k: keyof AddressForm, label: string): MergeField => ({
  key: `${which}.${k}`,
  label,
  get: (v) => v[which][k],
  set: (v, x) => ({ ...v, [which]: { ...v[which], [k]: x as string } }),
});

export const MERGE_FIELDS: MergeField[] = [
  simple('firstName', 'First name'),
  simple('lastName', 'Last name'),
  simple('company', 'Company'),
  simple('email', 'Email'),
  {
    key: 'phones',
    label: 'Phones',
    get: (v) => v.phones,
    set: (v, x) => ({ ...v, phones: x as CustomerFormValue['phones'] }),
  },
  ...ADDRESS_KEYS.map((k) => addr('primaryAddress', k, `Primary address: ${k === 'postalCode' ? 'postal code' : k}`)),
  ...ADDRESS_KEYS.map((k) =>
    addr('secondaryAddress', k, `Secondary address: ${k === 'postalCode' ? 'postal code' : k}`),
  ),
  simple('notes', 'Notes'),
  simple('vip', 'VIP'),
];

/** The merge rows of the custom fields: one per active field. */
export function customMergeFields(defs: FieldDef[]): MergeField[] {
  return defs
    .filter((d) => !d.retired)
    .map((d) => ({
      key: `customFields.${d.key}`,
      label: d.label,
      get: (v) => v.customFields?.[d.key] ?? null,
      set: (v, x) => ({ ...v, customFields: { ...(v.customFields ?? {}), [d.key]: x } }),
      show: (x: unknown) => showCf(d, x),
    }));
}

export const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
