import type { Clock } from '../../clock.js';
import { resolveTarget, TargetRefused, type Resolver } from '../webhooks/ssrf.js';
import type { ConnectorKind } from './schema.js';

/**
 * The connector interface: what every external CRM connector does, one folder
 * per kind (http/ …), found through the registry (registry.ts). A connector
 * never touches the database: the service hands it its configuration and
 * does the bookkeeping.
 */

/** The keys of a lookup, as the local lookup read them (the phone in E.164 when it parses). */
export interface LookupKeys {
  phone?: string;
  email?: string;
  accountNumber?: string;
}

/** A postal address of an external contact (a vCard's ADR). */
export interface ExternalAddress {
  street: string | null;
  city: string | null;
  region: string | null;
  postalCode: string | null;
  country: string | null;
}

/** A contact as an external system holds it (lookup answers, the changes feed, a push). */
export interface ExternalContact {
  externalId: string;
  displayName: string;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  emails: string[];
  phones: { type: string; number: string }[];
  accountNumber: string | null;
  url: string | null;
  /** Absent: the system has no addresses (the customer's are left as they are). */
  addresses?: { primary: ExternalAddress | null; secondary: ExternalAddress | null };
  /** When the contact last changed in that system (a vCard's REV), ISO 8601; null when it does not say. */
  revision?: string | null;
  /**
   * The document the contact was read from (a vCard), kept with the sync
   * state: a push writes back unchanged what Switchboard does not map.
   */
  source?: string | null;
}

/**
 * The one email a customer holds of a contact's several: the first that
 * looks like an address (in the contact's own order). The others stay in the
 * external system: a push writes them back unchanged.
 */
export function heldEmail(emails: readonly string[]): string | null {
  return emails.find((e) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e)) ?? null;
}

/** An ended interaction written back to the external system, with its wrap-up. */
export interface InteractionLog {
  interaction: {
    id: string;
    reference: string | null;
    channel: string;
    direction: string;
    from: string | null;
    to: string | null;
    startedAt: string;
    endedAt: string | null;
    durationSeconds: number | null;
    notes: string | null;
    disposition: string | null;
    agent: { id: string; name: string; email: string } | null;
  };
  /** The interaction's customer, with its id in this connector's system when it has one. */
  customer: { id: string; accountNumber: string; displayName: string; externalId: string | null } | null;
}

/** One page of the changes feed: contacts changed since a cursor. */
export interface ChangesPage {
  changes: {
    externalId: string;
    deleted: boolean;
    contact: ExternalContact | null;
    /** Where the contact lives (CardDAV: its URL path); a deletion may name only this. */
    href?: string;
    /** The version the system gave this contact (an ETag). */
    etag?: string | null;
  }[];
  /** Where the next call starts; null: keep the cursor given. */
  cursor: string | null;
  /** Another page is ready at once. */
  more: boolean;
  /**
   * The pages list every contact (a server without sync tokens, or one that
   * forgot the token): a synced contact missing from them was deleted.
   */
  full?: boolean;
}

/** A connector's configuration as the service hands it over (the secret included, never returned by the API). */
export interface ConnectorConfig {
  id: string;
  kind: ConnectorKind;
  system: string;
  baseUrl: string;
  username: string | null;
  secret: string;
  /** http, during a rotation's grace period: the old signing secret, which signs too until `previousSecretUntil`. */
  previousSecret: string | null;
  previousSecretUntil: Date | null;
}

/** What a connector may use: the SSRF guard's allow-list and resolver, the wall clock for signatures. */
export interface ConnectorEnv {
  allowList(): Promise<ReadonlySet<string>>;
  resolver: Resolver;
  wallClock: Clock;
  /** The server's clock (injected in tests): when a rotated secret's grace period ends. */
  clock: Clock;
  /** The longest a background call (log, sync, test) may take. */
  timeoutMs: number;
}

/** A failure a connector reports in plain words (shown to administrators: job errors, last sync error). */
export class ConnectorError extends Error {}

/** The checked address to call `url` at (the SSRF guard, as for webhooks); a refused target is a ConnectorError. */
export async function connectorTarget(url: URL, env: ConnectorEnv): ReturnType<typeof resolveTarget> {
  try {
    return await resolveTarget(url, await env.allowList(), env.resolver);
  } catch (err) {
    if (err instanceof TargetRefused) throw new ConnectorError(`refused: ${err.message}`);
    throw err;
  }
}

/**
 * The server as a whole cannot be used now: no answer, a timeout, a refused
 * account, or an answer saying it is busy or down (401, 429, 502, 503, 504).
 * A sync stops and its job retries later; any other failure of one contact's
 * write or deletion is that contact's own, recorded while the run goes on.
 */
export class ConnectorUnavailable extends ConnectorError {}

/** The failure an answer's status means: ConnectorUnavailable for the whole server, else a ConnectorError. */
export function answerFailure(status: number | null, message: string): ConnectorError {
  return status === null || [401, 429, 502, 503, 504].includes(status)
    ? new ConnectorUnavailable(message)
    : new ConnectorError(message);
}

/** A conditional write found another version than the one named (HTTP 412): read it again and resolve. */
export class ContactConflict extends ConnectorError {}

/**
 * What a connector that keeps contacts both ways adds (CardDAV): every write
 * names the version it replaces, so a change on both sides is seen, not lost.
 */
export interface TwoWayContacts {
  /**
   * Writes a contact at `href` (null: a new one, named after its external
   * id). `etag` null: create, failing if it exists; else replace exactly that
   * version. A different version there is a ContactConflict. Answers where it
   * is, its new ETag and the document written. `base`: the document last
   * read there, whose properties Switchboard does not map are kept.
   */
  putContact(
    contact: ExternalContact,
    at: { href: string | null; etag: string | null; base?: string | null },
  ): Promise<{ href: string; etag: string | null; document: string | null }>;
  /** Where a new contact with this external id is written (a 412 on creating it is read there). */
  hrefFor(externalId: string): string;
  /** The contact at `href` now, or null when it is gone. */
  getContact(href: string): Promise<{ contact: ExternalContact; etag: string | null } | null>;
  /** Deletes the contact at `href` if it is still that version (gone already: done). */
  deleteContact(href: string, etag: string | null): Promise<void>;
}

export interface Connector {
  /** Customers matching a key; `signal` aborts when the lookup's budget is spent. */
  lookup(keys: LookupKeys, signal: AbortSignal): Promise<ExternalContact[]>;
  /** Writes an ended interaction back; the same interaction again must not log twice (its id is the key). */
  logInteraction(log: InteractionLog): Promise<void>;
  /** Contacts changed since `cursor` (null: from the start). */
  changes(cursor: string | null): Promise<ChangesPage>;
  /** A harmless call that proves the address, the credentials and the contract. */
  test(): Promise<void>;
  /** Present when the connector syncs contacts both ways (the sync job then pushes local changes too): every kind today. */
  twoWay?: TwoWayContacts;
}

export type ConnectorFactory = (config: ConnectorConfig, env: ConnectorEnv) => Connector;
