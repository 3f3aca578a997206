import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** A phone number as typed, normalised for storage and lookup. */
interface NormalisedPhone {
  /** E.164 ("+14155550100") when the number parses and is valid; null otherwise. */
  e164: string | null;
  /** Digits only: E.164 without "+" when valid, else every digit typed (for the last-digits fallback). */
  digits: string;
  /** The extension ("23" of "… x23"), when typed. */
  extension: string | null;
  valid: boolean;
}

/** The shortest tail of digits a last-digits search or fallback accepts. */
export const MIN_SUFFIX_DIGITS = 7;

export function isRegion(region: string | null | undefined): region is CountryCode {
  return typeof region === 'string' && /^[A-Z]{2}$/.test(region) && isSupportedCountry(region);
}

function parse(raw: string, region: CountryCode | undefined) {
  try {
    const p = parsePhoneNumberFromString(raw, region ? { defaultCountry: region } : undefined);
    return p && p.isValid() ? p : null;
  } catch {
    return null;
  }
}

/**
 * Parses a phone number as a person or a telephony platform types it, with the
 * deployment's default region for numbers without a country code. Pure: the
 * same (raw, region) always gives the same answer.
 *
 * - "(415) 555-0100", "+1 415-555-0100", "1-415-555-0100", "4155550100" (US) → +14155550100
 * - "001 415 555 0100": a leading "00" is the international prefix of most of
 *   the world; when the default region reads it otherwise (US dials 011), the
 *   number is retried as "+1 415 …".
 * - "… ext. 23", "x23", ";ext=23" → extension "23"
 * - anything else is kept, flagged `valid: false`, with its digits.
 */
export function normalisePhone(raw: string, region: string): NormalisedPhone {
  return normaliseWithNational(raw, region).phone;
}

function normaliseWithNational(raw: string, region: string): { phone: NormalisedPhone; national: string | null } {
  const text = raw.trim();
  let p = parse(text, isRegion(region) ? region : undefined);
  const compact = text.replace(/[\s().\-/]/g, '');
  if (!p && /^00[1-9]/.test(compact)) p = parse(`+${compact.slice(2)}`, undefined);
  if (p) {
    return {
      phone: { e164: p.number, digits: p.number.slice(1), extension: p.ext ?? null, valid: true },
      national: p.nationalNumber,
    };
  }
  const ext = /(?:ext\.?|extension|;ext=|x|#)\s*(\d{1,10})\s*$/i.exec(text);
  const main = ext ? text.slice(0, ext.index) : text;
  return {
    phone: { e164: null, digits: main.replace(/\D/g, ''), extension: ext ? ext[1] : null, valid: false },
    national: null,
  };
}

/**
 * What a phone lookup searches for, from a number in any format:
 * - `e164`: the exact match (tier 1), when the input parses;
 * - `suffixRev`: reversed tail digits that a stored number must END with (tier 2):
 *   the national number when the input parses, else every digit typed (≥ 7);
 * - `storedRevs`: reversed tails of the input (≥ 7 digits) that a stored number
 *   may EQUAL, for a stored number shorter than the caller id ("555-0100").
 * Phone digits are stored reversed (`digits_rev`) so both are btree prefix scans.
 */
export interface PhoneKeys {
  e164: string | null;
  suffixRev: string | null;
  storedRevs: string[];
}

export function phoneLookupKeys(raw: string, region: string): PhoneKeys {
  const { phone, national } = normaliseWithNational(raw, region);
  const tail = national ?? phone.digits;
  const rev = reverse(phone.digits);
  const storedRevs: string[] = [];
  for (let len = MIN_SUFFIX_DIGITS; len <= rev.length && storedRevs.length < 12; len++)
    storedRevs.push(rev.slice(0, len));
  return {
    e164: phone.e164,
    suffixRev: tail.length >= MIN_SUFFIX_DIGITS ? reverse(tail) : null,
    storedRevs,
  };
}

export function reverse(s: string): string {
  return [...s].reverse().join('');
}

/**
 * normalisePhone with a memory, for a job that reads many numbers (an import):
 * each (raw, region) is parsed once. Pure, so what it remembers never goes
 * stale; bounded (past `max` numbers it starts afresh) to keep a large file's
 * memory flat. The answers are shared: callers copy, never change, them.
 */
export class PhoneMemo {
  private readonly seen = new Map<string, Readonly<NormalisedPhone>>();
  constructor(private readonly max = 50_000) {}

  normalise(raw: string, region: string): Readonly<NormalisedPhone> {
    const key = `${region}:${raw}`;
    let n = this.seen.get(key);
    if (!n) {
      n = normalisePhone(raw, region);
      if (this.seen.size >= this.max) this.seen.clear();
      this.seen.set(key, n);
    }
    return n;
  }
}
