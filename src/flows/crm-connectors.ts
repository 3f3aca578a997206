import type { Config } from '../config.js';
import { systemActor } from '../http/actor.js';
import type { Queryable } from '../db/adapter.js';
import {
  heldEmail,
  type ExternalContact,
  type InteractionLog,
  type LookupKeys,
} from '../modules/connectors/connector.js';
import type { ConnectorsService } from '../modules/connectors/service.js';
import type { ExternalLookup } from '../modules/connectors/schema.js';
import type { CustomersService } from '../modules/customers/service.js';
import { PHONE_TYPES, type Customer, type CustomerPatch, type PhoneType } from '../modules/customers/schema.js';
import { normalisePhone } from '../modules/customers/phones.js';
import type { MatchInput } from '../modules/interactions/matching.js';
import type { LookupResult } from '../modules/interactions/schema.js';
import type { InteractionsService } from '../modules/interactions/service.js';
import { displayName, type UsersService } from '../modules/users/service.js';

interface CrmConnectorsDeps {
  connectors: ConnectorsService;
  interactions: InteractionsService;
  customers: CustomersService;
  users: UsersService;
}

/** What the history's actor says after "CRM sync" for each kind of line. */
const NOTE_ACTOR_SUFFIX = { sync_conflict: 'conflict', sync_deleted: 'deleted there', sync_failed: 'failed there' };

/** A customer as a two-way contact sync sees it (what a vCard holds). */
function localContact(c: Customer, externalId: string) {
  const address = (a: Customer['primaryAddress']) =>
    a ? { street: a.street, city: a.city, region: a.region, postalCode: a.postalCode, country: a.country } : null;
  const contact: ExternalContact = {
    externalId,
    displayName: c.displayName,
    firstName: c.firstName,
    lastName: c.lastName,
    company: c.company,
    emails: c.email ? [c.email] : [],
    phones: c.phones.map((p) => ({ type: p.type, number: p.number })),
    accountNumber: c.accountNumber,
    url: null,
    addresses: { primary: address(c.primaryAddress), secondary: address(c.secondaryAddress) },
  };
  return { customerId: c.id, version: c.version, updatedAt: new Date(c.updatedAt), contact };
}

/** The keys an external CRM is asked with: the phone in E.164 when it parses, the email in lower case. */
function externalKeys(input: MatchInput, region: string): LookupKeys | null {
  const keys: LookupKeys = {};
  if (input.phone) keys.phone = normalisePhone(input.phone, region).e164 ?? input.phone.trim();
  if (input.email) keys.email = input.email.trim().toLowerCase();
  if (input.accountNumber) keys.accountNumber = input.accountNumber.trim();
  return Object.keys(keys).length > 0 ? keys : null;
}

/**
 * CRM connectors meet the interactions (docs/webhooks.md, "CRM connectors"):
 * the screen pop's external sources in the configured order, and the ended
 * interaction written back (a durable job per connector, enqueued in the
 * transaction that closes it, built here from the interactions, customers and
 * users services).
 */
export class CrmConnectorsFlow {
  constructor(
    private readonly config: Config,
    private readonly deps: CrmConnectorsDeps,
  ) {
    const { connectors, interactions } = deps;
    interactions.useExternalLookup({
      active: () => connectors.lookupOrder() !== 'local',
      lookup: (input, local) => this.lookup(input, local),
    });
    interactions.onClosed = (row, tx) => connectors.enqueueLogs(row.id, tx);
    connectors.interactionLog = (system, id) => this.interactionLog(system, id);
    const actor = systemActor('system', 'CRM sync');
    const ids = deps.customers.externalIds;
    connectors.localContacts = {
      write: (system, contact, tx) => this.writeContact(system, contact, tx),
      read: async (system, externalId, tx) => {
        const c = await ids.find(actor, system, externalId, tx);
        return c ? localContact(c, externalId) : null;
      },
      linked: async (system, after, limit) =>
        (await ids.listBySystem(actor, system, { after, limit })).map((r) => ({
          ...localContact(r.customer, r.externalId),
          externalId: r.externalId,
        })),
      note: (customerId, action, changes, tx) =>
        deps.customers.recordNote(
          { ...actor, name: `${actor.name} (${NOTE_ACTOR_SUFFIX[action]})` },
          customerId,
          action,
          changes,
          tx,
        ),
      unlink: (system, externalId, tx) => ids.unlink(actor, system, externalId, tx),
    };
  }

  /**
   * local_then_external: the local lookup first; external sources only when
   * nothing local matched. external: both at once; the external answer when
   * every source answered in time, else the local one. Either way the answer
   * says which sources timed out or failed, and never fails because of them.
   */
  async lookup(input: MatchInput, local: () => Promise<LookupResult>): Promise<LookupResult> {
    const order = this.deps.connectors.lookupOrder();
    const keys = externalKeys(input, this.config.defaultPhoneRegion);
    const none: ExternalLookup = { order, matches: [], timedOut: false, sources: [] };
    if (keys === null) return { ...(await local()), external: none };
    if (order === 'local_then_external') {
      const res = await local();
      if (res.result !== 'not_found') return { ...res, external: none };
      return { ...res, external: await this.deps.connectors.lookupExternal(keys, order) };
    }
    const [res, external] = await Promise.all([local(), this.deps.connectors.lookupExternal(keys, order)]);
    const allAnswered = external.sources.length > 0 && external.sources.every((s) => s.status === 'ok');
    if (!allAnswered) return { ...res, external };
    const n = external.matches.length;
    return {
      result: n === 0 ? 'not_found' : n === 1 ? 'found' : 'multiple',
      matchedBy: null,
      matches: [],
      drafts: [],
      external,
    };
  }

  /**
   * A contact from a CRM's changes feed, written to the customer carrying its
   * external id (created when new) by the customers module's own upsert:
   * validation, versions, history naming the system, events and webhooks. The
   * CRM's last change wins.
   */
  private async writeContact(
    system: string,
    contact: ExternalContact,
    tx: Queryable,
  ): Promise<{ outcome: 'created' | 'updated'; customerId: string; version: number }> {
    const actor = systemActor('system', 'CRM sync');
    const types: readonly string[] = PHONE_TYPES;
    // Without first and last names, the display name's first word is the first name.
    const [first, ...rest] = contact.displayName.trim().split(/\s+/);
    const named = contact.firstName !== null || contact.lastName !== null;
    const patch: CustomerPatch = {
      firstName: named ? contact.firstName : first.slice(0, 100),
      lastName: named ? contact.lastName : rest.join(' ').slice(0, 100) || null,
      company: contact.company,
      // The first address that looks like one (the API's schema checks the format; the customers module does
      // not); the contact's other emails stay in the CRM, written back unchanged by a push.
      email: heldEmail(contact.emails),
      phones: contact.phones.map((p) =>
        types.includes(p.type) ? { number: p.number, type: p.type as PhoneType } : { number: p.number },
      ),
    };
    if (contact.addresses) {
      patch.primaryAddress = contact.addresses.primary;
      patch.secondaryAddress = contact.addresses.secondary;
    }
    const out = await this.deps.customers.externalIds.upsert(actor, system, contact.externalId, patch, null, tx);
    return { outcome: out.created ? 'created' : 'updated', customerId: out.customer.id, version: out.customer.version };
  }

  /** What is written back for one interaction, with the customer's id in the connector's system. */
  async interactionLog(system: string, interactionId: string): Promise<InteractionLog | null> {
    const { interactions, customers, users } = this.deps;
    const actor = systemActor('system', 'crm connector');
    const row = await interactions.row(interactionId);
    if (!row) return null;
    let customer: InteractionLog['customer'] = null;
    if (row.customer_id) {
      const c = await customers.get(actor, row.customer_id).catch(() => null);
      if (c) {
        const ids = await customers.externalIds.list(actor, c.id);
        customer = {
          id: c.id,
          accountNumber: c.accountNumber,
          displayName: c.displayName,
          externalId: ids.find((e) => e.system === system)?.id ?? null,
        };
      }
    }
    const agentRow = row.agent_id ? await users.findRowById(row.agent_id) : null;
    const ended = row.ended_at;
    return {
      interaction: {
        id: row.id,
        reference: row.reference,
        channel: row.channel,
        direction: row.direction,
        from: row.from_address,
        to: row.to_address,
        startedAt: row.started_at.toISOString(),
        endedAt: ended ? ended.toISOString() : null,
        durationSeconds: ended ? Math.max(0, Math.round((ended.getTime() - row.started_at.getTime()) / 1000)) : null,
        notes: row.notes,
        disposition: row.disposition,
        agent: agentRow ? { id: agentRow.id, name: displayName(agentRow), email: agentRow.email } : null,
      },
      customer,
    };
  }
}
