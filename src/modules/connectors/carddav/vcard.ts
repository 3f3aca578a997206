import ICAL from 'ical.js';
import { heldEmail, type ExternalAddress, type ExternalContact } from '../connector.js';

/** vCard TEL types → Switchboard's phone types (the first known one wins; none: voice). */
const TEL_IN: Record<string, string> = { cell: 'mobile', work: 'work', home: 'home', fax: 'fax', voice: 'voice' };
/** Switchboard's phone types → the vCard TEL type written. */
const TEL_OUT: Record<string, string> = { mobile: 'cell', work: 'work', home: 'home', fax: 'fax', voice: 'voice' };

const text = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' ? null : t;
};

/** A property's TYPE parameter as lower-case words (vCard 3.0 lists them comma-separated or repeated). */
function typesOf(p: ICAL.Property): string[] {
  const raw: unknown = p.getParameter('type');
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  return list.flatMap((t) => String(t).toLowerCase().split(','));
}

function firstValue(comp: ICAL.Component, name: string): unknown {
  const p = comp.getFirstProperty(name);
  return p ? p.getFirstValue() : null;
}

function addressOf(p: ICAL.Property): ExternalAddress | null {
  const v: unknown = p.getFirstValue();
  const parts = Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? x.join(', ') : x)) : [v];
  // ADR: post-office box; extended address; street; locality; region; postal code; country.
  const street = [text(parts[0]), text(parts[1]), text(parts[2])].filter((x) => x !== null).join(', ') || null;
  const address = {
    street,
    city: text(parts[3]),
    region: text(parts[4]),
    postalCode: text(parts[5]),
    country: text(parts[6]),
  };
  return Object.values(address).some((x) => x !== null) ? address : null;
}

/** Reads a vCard (3.0 or 4.0); null when it is not one. `fallbackId`: the external id when it has no UID. */
export function parseVcard(raw: string, fallbackId: string): ExternalContact | null {
  let comp: ICAL.Component;
  try {
    comp = new ICAL.Component(ICAL.parse(raw) as unknown[]);
  } catch {
    return null;
  }
  if (comp.name !== 'vcard') return null;
  const n: unknown = firstValue(comp, 'n');
  const nParts = Array.isArray(n) ? n.map((x) => (Array.isArray(x) ? x.join(' ') : x)) : [];
  const lastName = text(nParts[0]);
  const firstName = text(nParts[1]);
  const org: unknown = firstValue(comp, 'org');
  const company = text(Array.isArray(org) ? org[0] : org);
  const displayName =
    text(firstValue(comp, 'fn')) ??
    ([firstName, lastName].filter((x) => x !== null).join(' ') || company || fallbackId);
  const emails = comp
    .getAllProperties('email')
    .map((p) => text(p.getFirstValue()))
    .filter((e): e is string => e !== null);
  const phones = comp.getAllProperties('tel').flatMap((p) => {
    const number = text(p.getFirstValue())?.replace(/^tel:/i, '') ?? null;
    if (number === null) return [];
    const type = typesOf(p)
      .map((t) => TEL_IN[t])
      .find((t) => t !== undefined);
    return [{ type: type ?? 'voice', number }];
  });
  // The preferred ADR (PREF=1 in 4.0, TYPE=pref in 3.0) is the primary address, the next one the secondary.
  const adrs = comp.getAllProperties('adr');
  const preferred = (p: ICAL.Property) => typesOf(p).includes('pref') || String(p.getParameter('pref')) === '1';
  const ordered = [...adrs.filter(preferred), ...adrs.filter((p) => !preferred(p))]
    .map(addressOf)
    .filter((a) => a !== null);
  const rev: unknown = firstValue(comp, 'rev');
  let revision: string | null = null;
  if (rev !== null && rev !== undefined) {
    const d = new Date(String(rev));
    revision = Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  return {
    externalId: text(firstValue(comp, 'uid')) ?? fallbackId,
    displayName: displayName.slice(0, 300),
    firstName,
    lastName,
    company,
    emails,
    phones,
    accountNumber: null,
    url: null,
    addresses: { primary: ordered[0] ?? null, secondary: ordered[1] ?? null },
    revision,
    source: raw,
  };
}

function adrProperty(comp: ICAL.Component, a: ExternalAddress, pref: boolean): void {
  const p = new ICAL.Property('adr', comp);
  p.setValue(['', '', a.street ?? '', a.city ?? '', a.region ?? '', a.postalCode ?? '', a.country ?? '']);
  if (pref) p.setParameter('pref', '1');
  comp.addProperty(p);
}

/** The properties a push writes from the customer; every other one of the vCard last read is kept as it was. */
const MAPPED = new Set(['version', 'uid', 'fn', 'n', 'org', 'email', 'tel', 'adr', 'rev']);

/** An EMAIL content line's address (its value, unescaped as vCard text is), or null. */
function emailOfLine(line: string): string | null {
  const value = line.slice(line.indexOf(':') + 1).trim();
  return value === '' ? null : value.replace(/^mailto:/i, '').replace(/\\([,;\\])/g, '$1');
}

/**
 * The content lines of `base` (the vCard last read) whose properties
 * Switchboard does not map (NOTE, BDAY, PHOTO, URL, X-…), exactly as the
 * server had them (unfolded; a group prefix such as `item1.` is kept). Of its
 * EMAIL lines only the one the customer holds (heldEmail: the first that
 * looks like an address) is mapped; the others are kept too, except one now
 * written from the customer (no address twice).
 */
function unmappedLines(base: string | null | undefined, written: readonly string[] = []): string[] {
  if (!base) return [];
  const baseEmails: string[] = [];
  const writtenKeys = new Set(written.map((e) => e.toLowerCase()));
  const lines = base.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  const out: string[] = [];
  let depth = 0;
  for (const line of lines) {
    const name = /^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)[;:]/.exec(line)?.[1]?.toLowerCase();
    if (name === undefined) continue;
    const value = line
      .slice(line.indexOf(':') + 1)
      .trim()
      .toLowerCase();
    if (name === 'begin' && value === 'vcard') depth++;
    else if (name === 'end' && value === 'vcard') depth--;
    // The outer vCard's own properties only (a 3.0 AGENT may nest another).
    else if (depth === 1 && name === 'email') {
      const address = emailOfLine(line);
      if (address === null) continue;
      baseEmails.push(address);
      out.push(line);
    } else if (depth === 1 && !MAPPED.has(name)) out.push(line);
  }
  // The email the customer holds is written from the customer; the others stay as the server had them.
  const held = heldEmail(baseEmails);
  let heldSkipped = false;
  return out.filter((line) => {
    if (!/^(?:[A-Za-z0-9-]+\.)?email[;:]/i.test(line)) return true;
    const address = emailOfLine(line)!;
    if (!heldSkipped && address === held) {
      heldSkipped = true;
      return false;
    }
    return !writtenKeys.has(address.toLowerCase());
  });
}

/**
 * Writes a contact as a vCard 4.0 (RFC 6350) with its external id as UID and
 * `now` as REV; the properties of `base` (the vCard last read) that
 * Switchboard does not map are written back unchanged after the mapped ones.
 */
export function formatVcard(c: ExternalContact, now: Date, base?: string | null): string {
  const comp = new ICAL.Component('vcard');
  comp.addPropertyWithValue('version', '4.0');
  comp.addPropertyWithValue('uid', c.externalId);
  comp.addPropertyWithValue('fn', c.displayName);
  const n = new ICAL.Property('n', comp);
  n.setValue([c.lastName ?? '', c.firstName ?? '', '', '', '']);
  comp.addProperty(n);
  if (c.company) {
    const org = new ICAL.Property('org', comp);
    org.setValue([c.company]);
    comp.addProperty(org);
  }
  // The customer's one email (the contact's others are kept from `base`, after the mapped properties).
  for (const e of c.emails) comp.addPropertyWithValue('email', e);
  for (const p of c.phones) {
    const tel = comp.addPropertyWithValue('tel', p.number);
    tel.setParameter('type', TEL_OUT[p.type] ?? 'voice');
  }
  if (c.addresses?.primary) adrProperty(comp, c.addresses.primary, true);
  if (c.addresses?.secondary) adrProperty(comp, c.addresses.secondary, false);
  comp.addPropertyWithValue('rev', now.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  const card = comp.toString().replace(/\r?\n/g, '\r\n');
  const kept = unmappedLines(base, c.emails);
  if (kept.length === 0) return `${card}\r\n`;
  return `${card.replace(/\r\nEND:VCARD$/, '')}\r\n${kept.join('\r\n')}\r\nEND:VCARD\r\n`;
}
