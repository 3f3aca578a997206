import type { Queryable } from '../../db/adapter.js';
import { type Actor, can } from '../../http/actor.js';
import { phoneLookupKeys, type PhoneKeys } from '../customers/phones.js';
import { displayNameOf } from '../customers/store.js';
import {
  lookupDraftMatches,
  lookupMatches,
  type MatchCaseJson,
  type MatchKey,
  type MatchOptions,
  type MatchRow,
} from '../customers/screen-pop.js';
import type { Channel, Direction, Match, MatchCase, MatchedBy, MatchResult } from './schema.js';

/**
 * Matching an interaction (or a lookup) to customers: keys are tried in the
 * order case number, phone, email, account number; the first key that matches
 * anything answers. Phones use the customers module's normalisation (any
 * format, trunk and international prefixes, last-digits fallback); drafts never
 * match. Each key is one indexed statement (customers/screen-pop.ts lookupMatches)
 * that also brings each match's open cases and recent interactions.
 */

/** Most customers a lookup answers (a shared company line can match many). */
const MAX_MATCHES = 10;
const OPEN_CASES_SHOWN = 5;
const RECENT_INTERACTIONS_SHOWN = 3;

export interface MatchInput {
  caseNumber?: string | number | null;
  phone?: string | null;
  email?: string | null;
  accountNumber?: string | null;
}

export interface MatchOutcome {
  result: MatchResult;
  matchedBy: MatchedBy | null;
  matches: Match[];
  /** Draft customers matching the same keys, looked for only when nothing else matched ("possible match (draft)"). */
  drafts: Match[];
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** "100123", "#100123", "K-100123", "case 100123" → 100123; null when it is not a case number. */
function parseCaseNumber(raw: string | number | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') return Number.isSafeInteger(raw) && raw > 0 ? raw : null;
  const m = /^\s*(?:case\s*)?[#A-Za-z]{0,4}[-\s]?(\d{1,15})\s*$/i.exec(raw);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** "sip:+14155550100@pbx.example;user=phone" or "tel:+1-415-555-0100" → the number part. */
function phoneOfUri(raw: string): string {
  const m = /^(?:sips?|tel):([^@;]+)/i.exec(raw.trim());
  return m ? m[1] : raw;
}

/** What an interaction's address is, for matching: inbound from, outbound to. */
export function matchInputOf(i: {
  channel: Channel;
  direction: Direction;
  from?: string | null;
  to?: string | null;
  caseNumber?: string | number | null;
}): MatchInput {
  const who = (i.direction === 'outbound' ? i.to : i.from)?.trim() || null;
  const input: MatchInput = { caseNumber: i.caseNumber ?? null };
  if (!who) return input;
  if (i.channel === 'email') input.email = who;
  else if (i.channel === 'phone') input.phone = /\d/.test(who) ? phoneOfUri(who) : null;
  // A chat carries whatever the widget knows: an email address, a phone number, or a handle.
  else if (EMAIL.test(who)) input.email = who;
  else if (/^\+?[\d\s().\-/]{7,}$/.test(who)) input.phone = who;
  return input;
}

export function casesViewOf(actor: Actor): MatchOptions['cases'] {
  if (!can(actor, 'cases.view')) return 'none';
  return can(actor, 'cases.viewPrivate') ? 'all' : 'public';
}

const isoOf = (s: string) => new Date(s).toISOString();

function toMatchCase(c: MatchCaseJson): MatchCase {
  return { ...c, openedAt: isoOf(c.openedAt) };
}

export function toMatch(r: MatchRow): Match {
  return {
    customerId: r.id,
    accountNumber: r.account_number,
    displayName: displayNameOf(r),
    company: r.company,
    email: r.email,
    vip: r.vip,
    draft: r.draft,
    openCasesCount: r.open_cases_count,
    openCases: (r.open_cases ?? []).map(toMatchCase),
    recentInteractions: r.recent_interactions.map((i) => ({ ...i, startedAt: isoOf(i.startedAt) })),
    matchedCase: r.matched_case ? toMatchCase(r.matched_case) : null,
  };
}

/** The lookup's options for a view of cases. */
export function matchOptions(cases: MatchOptions['cases'], excludeInteractionId: string | null = null): MatchOptions {
  return {
    limit: MAX_MATCHES,
    cases,
    openCases: OPEN_CASES_SHOWN,
    interactions: RECENT_INTERACTIONS_SHOWN,
    excludeInteractionId,
  };
}

function options(actor: Actor, excludeInteractionId: string | null = null): MatchOptions {
  return matchOptions(casesViewOf(actor), excludeInteractionId);
}

/** The keys to try, in order, for this input (a key that cannot match anything is left out). */
function keysOf(input: MatchInput, region: string): { by: MatchedBy; key: MatchKey }[] {
  const keys: { by: MatchedBy; key: MatchKey }[] = [];
  const caseNumber = parseCaseNumber(input.caseNumber);
  if (caseNumber !== null) keys.push({ by: 'caseNumber', key: { by: 'caseNumber', caseNumber } });
  if (input.phone) {
    const k = phoneLookupKeys(input.phone, region);
    if (k.e164 || k.suffixRev || k.storedRevs.length > 0) keys.push({ by: 'phone', key: { by: 'phone', keys: k } });
  }
  if (input.email && EMAIL.test(input.email.trim())) {
    keys.push({ by: 'email', key: { by: 'email', email: input.email } });
  }
  if (input.accountNumber?.trim()) {
    keys.push({ by: 'accountNumber', key: { by: 'accountNumber', accountNumber: input.accountNumber } });
  }
  return keys;
}

/** Answers a phone match (both tiers) for this view of cases (a coalesced read). */
export type PhoneMatcher = (keys: PhoneKeys, cases: MatchOptions['cases']) => Promise<MatchRow[]>;

/**
 * Runs the match: the first key (in priority order) that matches anything
 * answers. `phoneMatcher` (reads outside a transaction only) answers a phone
 * through a coalescer.
 */
export async function findMatches(
  q: Queryable,
  actor: Actor,
  input: MatchInput,
  region: string,
  phoneMatcher?: PhoneMatcher,
): Promise<MatchOutcome> {
  const opts = options(actor);
  const byPhone = phoneMatcher && ((keys: PhoneKeys) => phoneMatcher(keys, opts.cases));
  const keys = keysOf(input, region);
  for (const { by, key } of keys) {
    const rows = await lookupMatches(q, key, opts, byPhone);
    if (rows.length > 0) {
      return {
        result: rows.length === 1 ? 'found' : 'multiple',
        matchedBy: by,
        matches: rows.map(toMatch),
        drafts: [],
      };
    }
  }
  // Nobody complete matched: a draft saved on an earlier call is a possible match, never `found`.
  const drafts = new Map<string, Match>();
  for (const { key } of keys) {
    for (const row of await lookupDraftMatches(q, key, opts)) {
      if (!drafts.has(row.id) && drafts.size < MAX_MATCHES) drafts.set(row.id, toMatch(row));
    }
  }
  return { result: 'not_found', matchedBy: null, matches: [], drafts: [...drafts.values()] };
}

/** These customers (an associated one, or a "multiple" match's candidates) with their context, now. */
export async function matchesByIds(
  q: Queryable,
  actor: Actor,
  ids: string[],
  caseId: string | null,
  excludeInteractionId: string | null,
): Promise<Match[]> {
  if (ids.length === 0) return [];
  const rows = await lookupMatches(q, { by: 'ids', ids, caseId }, options(actor, excludeInteractionId));
  return rows.map(toMatch);
}
