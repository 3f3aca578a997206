import type { ParsedAddress } from './parse.js';

/**
 * Text from a message made storable: PostgreSQL text cannot hold NUL, and
 * other C0 controls (but tab, newline, carriage return) have no business in
 * a subject, a name or a body either. Lone surrogates are replaced as well.
 */
export function clean(s: string | null | undefined, max = Number.MAX_SAFE_INTEGER): string {
  if (!s) return '';
  // eslint-disable-next-line no-control-regex
  let out = s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
  out = out.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  if (out.length > max) out = out.slice(0, max);
  return out;
}

/** One line (subject, display name): controls and line breaks become spaces, runs of space one. */
export function cleanLine(s: string | null | undefined, max: number): string {
  return clean(s)
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim()
    .slice(0, max);
}

const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

/** A plain address a person could type: local@domain.tld, at most 254 characters. */
export function isEmailAddress(s: string): boolean {
  return s.length <= 254 && ADDRESS.test(s);
}

export function lowerAddress(s: string): string {
  return s.trim().toLowerCase();
}

/** "Jane Doe <jane@example.com>" (or the bare address), at most 320 characters, as follow-ups keep them. */
export function formatAddress(a: ParsedAddress): string {
  const address = cleanLine(a.address, 254);
  const name = cleanLine(a.name, 200).replace(/["\\]/g, '');
  const full = name && name.toLowerCase() !== address.toLowerCase() ? `${name} <${address}>` : address;
  return full.length <= 320 ? full : address;
}

/** Unique by address, case-insensitively, in order. */
export function uniqueAddresses(list: ParsedAddress[]): ParsedAddress[] {
  const seen = new Set<string>();
  const out: ParsedAddress[] = [];
  for (const a of list) {
    const key = lowerAddress(a.address);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    out.push(a);
  }
  return out;
}

/**
 * A customer's names from a display name: "Jane Q. Doe" → Jane Q. / Doe,
 * "Doe, Jane" → Jane / Doe. One word, or none, is an incomplete (draft) customer.
 */
export function namesFromDisplayName(display: string): { firstName: string | null; lastName: string | null } {
  const name = cleanLine(display, 300).replace(/["]/g, '').trim();
  if (!name || name.includes('@')) return { firstName: null, lastName: null };
  const comma = /^([^,]+),\s*(.+)$/.exec(name);
  if (comma) return { firstName: comma[2].trim().slice(0, 100), lastName: comma[1].trim().slice(0, 100) };
  const words = name.split(' ').filter(Boolean);
  if (words.length === 1) return { firstName: words[0].slice(0, 100), lastName: null };
  return {
    firstName: words.slice(0, -1).join(' ').slice(0, 100),
    lastName: words[words.length - 1].slice(0, 100),
  };
}

/** `[#100234]` in a subject → 100234. */
export function caseNumberInSubject(subject: string): number | null {
  const m = /\[#(\d{1,15})\]/.exec(subject);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** The subject with the case tag: "Re: Printer jams [#100234]". */
export function tagSubject(subject: string, caseNumber: number): string {
  const tag = `[#${caseNumber}]`;
  const s = cleanLine(subject, 900);
  return s.includes(tag) ? s : `${s} ${tag}`.trim();
}
