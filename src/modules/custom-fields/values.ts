import { normalisePhone } from '../customers/phones.js';

/**
 * Field types and the rules for one value of each: what is accepted, and the
 * normalised form that is stored in a record's `custom_fields` (jsonb).
 * Pure functions; validate.ts applies them to a whole write.
 */
export const FIELD_TYPES = [
  'text',
  'longText',
  'number',
  'decimal',
  'date',
  'dateTime',
  'boolean',
  'singlePick',
  'multiPick',
  'phone',
  'email',
  'url',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const PICK_TYPES: ReadonlySet<FieldType> = new Set(['singlePick', 'multiPick']);
/** Types a customer field may be unique on (the index compares the stored text). */
export const UNIQUE_TYPES: ReadonlySet<FieldType> = new Set(['text', 'number', 'phone', 'email', 'url']);
/** Types that can be part of the `q` search (a trigram index on the lower-cased text). */
export const SEARCHABLE_TYPES: ReadonlySet<FieldType> = new Set(['text', 'longText', 'phone', 'email', 'url']);
/** Every type but long text can be filtered on (`?cf.<key>=`). */
export const FILTERABLE_TYPES: ReadonlySet<FieldType> = new Set(FIELD_TYPES.filter((t) => t !== 'longText'));
/** Types with an order: range filters (`cf.<key>.gte=` …). */
export const RANGE_TYPES: ReadonlySet<FieldType> = new Set(['number', 'decimal', 'date', 'dateTime']);

/** Length limits, in characters (code points). */
export const LIMITS = {
  text: 255,
  longText: 10_000,
  email: 254,
  url: 2048,
  phone: 64,
  /** Largest |value| of a decimal; numbers are limited to JavaScript's safe integers. */
  decimalAbs: 1e15,
  decimalDigits: 15,
} as const;

export interface PickOption {
  key: string;
  label: string;
  retired: boolean;
}

/** What a value check needs to know about its field. */
interface ValueField {
  type: FieldType;
  options: readonly PickOption[];
}

interface ValueContext {
  /** Default region for phone numbers without a country code (ISO 3166, e.g. 'US'). */
  phoneRegion: string;
  /** The stored value, when updating: a retired option it already holds stays acceptable. */
  previous?: unknown;
}

export type ValueResult = { ok: true; value: unknown } | { ok: false; message: string };

const ok = (value: unknown): ValueResult => ({ ok: true, value });
const bad = (message: string): ValueResult => ({ ok: false, message });

const charCount = (s: string) => [...s].length;
// NUL cannot be stored in jsonb text; other control characters are never meant.
/* eslint-disable no-control-regex */
const CONTROL_SINGLE_LINE = /[\u0000-\u001f\u007f]/;
const CONTROL_MULTI_LINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/* eslint-enable no-control-regex */
// The HTML spec's "valid email address" (what browsers accept), with a dot in the domain.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})$/;
const INTEGER = /^[+-]?\d{1,16}$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function validDate(y: number, m: number, d: number): boolean {
  return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);
}

function text(raw: unknown, max: number, multiLine: boolean): ValueResult {
  if (typeof raw !== 'string') return bad('must be a string');
  const s = raw.trim();
  if (s === '') return ok(null);
  if ((multiLine ? CONTROL_MULTI_LINE : CONTROL_SINGLE_LINE).test(s)) {
    return bad(multiLine ? 'must not contain control characters' : 'must be one line without control characters');
  }
  if (charCount(s) > max) return bad(`must be at most ${max} characters`);
  return ok(s);
}

function integer(raw: unknown): ValueResult {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && INTEGER.test(raw.trim())) n = Number(raw.trim());
  else return bad('must be a whole number');
  if (!Number.isInteger(n)) return bad('must be a whole number');
  if (!Number.isSafeInteger(n))
    return bad(`must be between ${-Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`);
  return ok(n === 0 ? 0 : n);
}

function decimal(raw: unknown): ValueResult {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && DECIMAL.test(raw.trim())) n = Number(raw.trim());
  else return bad('must be a number');
  if (!Number.isFinite(n)) return bad('must be a number');
  if (Math.abs(n) >= LIMITS.decimalAbs) return bad(`must be less than ${LIMITS.decimalAbs} in magnitude`);
  // More significant digits than a double carries would be stored rounded: refuse instead.
  const digits = n.toExponential().replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '');
  if (digits.length > LIMITS.decimalDigits) return bad(`must have at most ${LIMITS.decimalDigits} significant digits`);
  return ok(n === 0 ? 0 : n);
}

function date(raw: unknown): ValueResult {
  if (typeof raw !== 'string') return bad('must be a date (YYYY-MM-DD)');
  const m = DATE.exec(raw.trim());
  if (!m || !validDate(Number(m[1]), Number(m[2]), Number(m[3]))) return bad('must be a date (YYYY-MM-DD)');
  return ok(m[0]);
}

/** ISO 8601 with a time zone; stored as UTC 'YYYY-MM-DDTHH:mm:ss.sssZ' (fixed width: sorts as text). */
function dateTime(raw: unknown): ValueResult {
  const msg = 'must be a date and time with a time zone (ISO 8601, e.g. 2024-05-01T14:30:00Z)';
  if (typeof raw !== 'string') return bad(msg);
  const m = DATE_TIME.exec(raw.trim());
  if (!m) return bad(msg);
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return bad(msg);
  const ms = Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000);
  let offset = 0;
  const tz = m[8];
  if (tz !== 'Z' && tz !== 'z') {
    const t = /^([+-])(\d{2}):?(\d{2})$/.exec(tz)!;
    const oh = Number(t[2]);
    const om = Number(t[3]);
    if (oh > 23 || om > 59) return bad(msg);
    offset = (t[1] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const at = new Date(0);
  at.setUTCFullYear(y, mo - 1, d);
  at.setUTCHours(h, mi - offset, s, ms);
  const year = at.getUTCFullYear();
  if (year < 1 || year > 9999) return bad(msg);
  return ok(at.toISOString());
}

function boolean(raw: unknown): ValueResult {
  if (typeof raw === 'boolean') return ok(raw);
  if (typeof raw === 'string' && /^(true|false)$/i.test(raw.trim())) return ok(raw.trim().toLowerCase() === 'true');
  return bad('must be true or false');
}

function pickOne(raw: unknown, field: ValueField, previous: unknown): ValueResult {
  if (typeof raw !== 'string') return bad('must be the key of one of the options');
  const option = field.options.find((o) => o.key === raw);
  if (!option) return bad(`${JSON.stringify(raw.slice(0, 40))} is not one of the options`);
  if (option.retired && previous !== raw) return bad(`option ${JSON.stringify(raw)} is retired`);
  return ok(raw);
}

/** Bounds the work a multiPick list can ask for (pick lists have at most 500 options). */
const MAX_PICKS = 500;

function pickMany(raw: unknown, field: ValueField, previous: unknown): ValueResult {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list)) return bad('must be a list of option keys');
  if (list.length === 0) return ok(null);
  if (list.length > MAX_PICKS) return bad(`has more than ${MAX_PICKS} values`);
  const held = new Set(Array.isArray(previous) ? previous : []);
  const chosen = new Set<string>();
  for (const item of list) {
    if (typeof item !== 'string') return bad('must be a list of option keys');
    const option = field.options.find((o) => o.key === item);
    if (!option) return bad(`${JSON.stringify(item.slice(0, 40))} is not one of the options`);
    if (option.retired && !held.has(item)) return bad(`option ${JSON.stringify(item)} is retired`);
    chosen.add(item);
  }
  // Stored in the options' order: the same choice is always the same value (clean history).
  return ok(field.options.filter((o) => chosen.has(o.key)).map((o) => o.key));
}

function phone(raw: unknown, region: string): ValueResult {
  const t = text(raw, LIMITS.phone, false);
  if (!t.ok || t.value === null) return t;
  const p = normalisePhone(t.value as string, region);
  if (!p.valid || !p.e164) return bad('must be a valid phone number (with its country code if not local)');
  return ok(p.extension ? `${p.e164};ext=${p.extension}` : p.e164);
}

function email(raw: unknown): ValueResult {
  const t = text(raw, LIMITS.email, false);
  if (!t.ok || t.value === null) return t;
  const s = (t.value as string).toLowerCase();
  if (!EMAIL.test(s) || s.split('@')[0].length > 64) return bad('must be a valid email address');
  return ok(s);
}

function url(raw: unknown): ValueResult {
  const t = text(raw, LIMITS.url, false);
  if (!t.ok || t.value === null) return t;
  const s = t.value as string;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return bad('must be a web address starting with http:// or https://');
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname || /\s/.test(s)) {
    return bad('must be a web address starting with http:// or https://');
  }
  return ok(s);
}

/**
 * Checks and normalises one value. `null` (or an empty string / empty list) means
 * "no value" and is returned as `{ok: true, value: null}`; the caller decides
 * whether that is allowed (required fields).
 */
export function normaliseValue(field: ValueField, raw: unknown, ctx: ValueContext): ValueResult {
  if (raw === null || raw === undefined) return ok(null);
  switch (field.type) {
    case 'text':
      return text(raw, LIMITS.text, false);
    case 'longText':
      return text(raw, LIMITS.longText, true);
    case 'number':
      return integer(raw);
    case 'decimal':
      return decimal(raw);
    case 'date':
      return date(raw);
    case 'dateTime':
      return dateTime(raw);
    case 'boolean':
      return boolean(raw);
    case 'singlePick':
      return pickOne(raw, field, ctx.previous);
    case 'multiPick':
      return pickMany(raw, field, ctx.previous);
    case 'phone':
      return phone(raw, ctx.phoneRegion);
    case 'email':
      return email(raw);
    case 'url':
      return url(raw);
  }
}

/** Deep equality of two stored values (JSON values). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
