import type { Clock } from '../../clock.js';
import type { Resolver } from '../webhooks/ssrf.js';
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
  changes: { externalId: string; deleted: boolean; contact: ExternalContact | null }[];
  /** Where the next call starts; null: keep the cursor given. */
  cursor: string | null;
  /** Another page is ready at once. */
  more: boolean;
}

/** A connector's configuration as the service hands it over (the secret included, never returned by the API). */
export interface ConnectorConfig {
  id: string;
  kind: ConnectorKind;
  system: string;
  baseUrl: string;
  username: string | null;
  secret: string;
}

/** What a connector may use: the SSRF guard's allow-list and resolver, the wall clock for signatures. */
export interface ConnectorEnv {
  allowList(): Promise<ReadonlySet<string>>;
  resolver: Resolver;
  wallClock: Clock;
  /** The longest a background call (log, sync, test) may take. */
  timeoutMs: number;
}

/** A failure a connector reports in plain words (shown to administrators: job errors, last sync error). */
export class ConnectorError extends Error {}

export interface Connector {
  /** Customers matching a key; `signal` aborts when the lookup's budget is spent. */
  lookup(keys: LookupKeys, signal: AbortSignal): Promise<ExternalContact[]>;
  /** Writes an ended interaction back; the same interaction again must not log twice (its id is the key). */
  logInteraction(log: InteractionLog): Promise<void>;
  /** Contacts changed since `cursor` (null: from the start). */
  changes(cursor: string | null): Promise<ChangesPage>;
  /** Creates or updates a contact in the external system; answers its external id. */
  pushContact(contact: ExternalContact): Promise<{ externalId: string }>;
  /** A harmless call that proves the address, the credentials and the contract. */
  test(): Promise<void>;
}

export type ConnectorFactory = (config: ConnectorConfig, env: ConnectorEnv) => Connector;
