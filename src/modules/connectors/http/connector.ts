import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { exchangePinned } from '../../webhooks/send.js';
import { signatureHeader, signersAt } from '../../webhooks/signing.js';
import {
  ConnectorError,
  ContactConflict,
  answerFailure,
  heldEmail,
  connectorTarget,
  type ExternalAddress,
  type ChangesPage,
  type Connector,
  type ConnectorConfig,
  type ConnectorEnv,
  type ExternalContact,
  type InteractionLog,
  type LookupKeys,
} from '../connector.js';

/** At most this much of an answer is read. */
const ANSWER_LIMIT = 1024 * 1024;
/** At most this many matches of one lookup are kept. */
const MAX_MATCHES = 10;

const Text = (max: number) => Type.String({ maxLength: max });
const OptionalText = (max: number) => Type.Optional(Type.Union([Text(max), Type.Null()]));
const Address = Type.Union([
  Type.Object({
    street: OptionalText(300),
    city: OptionalText(100),
    region: OptionalText(100),
    postalCode: OptionalText(20),
    country: OptionalText(100),
  }),
  Type.Null(),
]);
/** A contact's version in the CRM (compared for equality only). */
const Version = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Integer()]);

/** A contact in the contract (docs/webhooks.md, "The HTTP connector's contract"). */
const ContractContact = Type.Object({
  externalId: Type.String({ minLength: 1, maxLength: 200 }),
  displayName: Type.String({ minLength: 1, maxLength: 300 }),
  firstName: OptionalText(100),
  lastName: OptionalText(100),
  company: OptionalText(200),
  emails: Type.Optional(Type.Array(Text(254), { maxItems: 20 })),
  phones: Type.Optional(Type.Array(Type.Object({ type: Type.Optional(Text(40)), number: Text(64) }), { maxItems: 20 })),
  accountNumber: OptionalText(40),
  url: OptionalText(2000),
  addresses: Type.Optional(Type.Object({ primary: Type.Optional(Address), secondary: Type.Optional(Address) })),
  /** When the contact last changed in the CRM (ISO 8601): the side of a conflict that changed last wins. */
  updatedAt: OptionalText(40),
});
type ContractContact = Static<typeof ContractContact>;

const LookupAnswer = Type.Object({ matches: Type.Array(ContractContact, { maxItems: 100 }) });
const ChangesAnswer = Type.Object({
  changes: Type.Array(
    Type.Object({
      externalId: Type.String({ minLength: 1, maxLength: 200 }),
      deleted: Type.Optional(Type.Boolean()),
      contact: Type.Optional(Type.Union([ContractContact, Type.Null()])),
      version: Type.Optional(Type.Union([Version, Type.Null()])),
    }),
    { maxItems: 1000 },
  ),
  cursor: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  more: Type.Optional(Type.Boolean()),
});
const PushAnswer = Type.Object({
  externalId: Type.String({ minLength: 1, maxLength: 200 }),
  version: Type.Optional(Type.Union([Version, Type.Null()])),
});
const ReadAnswer = Type.Object({
  contact: ContractContact,
  version: Type.Optional(Type.Union([Version, Type.Null()])),
});

const versionOf = (v: string | number | null | undefined): string | null =>
  v === undefined || v === null ? null : String(v);

function revisionOf(at: string | null | undefined): string | null {
  const d = at ? new Date(at) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : null;
}

function addressOf(a: Static<typeof Address> | undefined): ExternalAddress | null {
  if (!a) return null;
  return {
    street: a.street ?? null,
    city: a.city ?? null,
    region: a.region ?? null,
    postalCode: a.postalCode ?? null,
    country: a.country ?? null,
  };
}

/**
 * What is kept of a contact read from the CRM for the next push: its emails
 * (the customer holds one; the push sends the others back as they were).
 */
const documentOf = (emails: readonly string[]): string => JSON.stringify({ emails });

/** The emails a push sends: the customer's, then every other one the CRM had (none twice). */
function emailsToPush(held: readonly string[], base: string | null | undefined): string[] {
  let had: string[] = [];
  try {
    const parsed = base ? (JSON.parse(base) as { emails?: unknown }) : null;
    if (parsed && Array.isArray(parsed.emails)) had = parsed.emails.filter((e): e is string => typeof e === 'string');
  } catch {
    // Not a document this connector kept: nothing to add.
  }
  const replaced = heldEmail(had);
  const seen = new Set(held.map((e) => e.toLowerCase()));
  const others = had.filter((e, i) => !(e === replaced && i === had.indexOf(replaced)) && !seen.has(e.toLowerCase()));
  return [...held, ...others].slice(0, 20);
}

function contactOf(c: ContractContact): ExternalContact {
  return {
    externalId: c.externalId,
    displayName: c.displayName,
    firstName: c.firstName ?? null,
    lastName: c.lastName ?? null,
    company: c.company ?? null,
    emails: c.emails ?? [],
    phones: (c.phones ?? []).map((p) => ({ type: p.type ?? 'other', number: p.number })),
    accountNumber: c.accountNumber ?? null,
    url: c.url ?? null,
    ...(c.addresses
      ? { addresses: { primary: addressOf(c.addresses.primary), secondary: addressOf(c.addresses.secondary) } }
      : {}),
    revision: revisionOf(c.updatedAt),
    source: documentOf(c.emails ?? []),
  };
}

/** A contact as the push sends it (the contract's fields; what Switchboard does not hold is the CRM's to keep). */
function contractOf(c: ExternalContact): ContractContact {
  return {
    externalId: c.externalId,
    displayName: c.displayName,
    firstName: c.firstName,
    lastName: c.lastName,
    company: c.company,
    emails: c.emails,
    phones: c.phones,
    accountNumber: c.accountNumber,
    url: c.url,
    ...(c.addresses ? { addresses: c.addresses } : {}),
  };
}

/**
 * The generic HTTP connector: a JSON contract (lookup, interactions, the
 * changes feed, and reading, writing and deleting one contact), each request
 * signed like a webhook (Standard Webhooks headers, HMAC-SHA256 with the
 * connector's secret, and the old one too while a rotation's grace lasts) and sent through the SSRF guard to the checked address.
 */
export function httpConnector(config: ConnectorConfig, env: ConnectorEnv): Connector {
  const base = config.baseUrl.replace(/\/+$/, '');

  async function call(
    method: 'GET' | 'POST',
    path: string,
    payload: unknown,
    opts: { msgId?: string; signal?: AbortSignal; timeoutMs?: number; allow?: number[] } = {},
  ): Promise<unknown> {
    return (await exchange(method, path, payload, opts)).answer;
  }

  /** One signed call; a status in `allow` is answered (with no JSON read), any other non-2xx is a failure. */
  async function exchange(
    method: 'GET' | 'POST',
    path: string,
    payload: unknown,
    opts: { msgId?: string; signal?: AbortSignal; timeoutMs?: number; allow?: number[] } = {},
  ): Promise<{ status: number; answer: unknown }> {
    const url = new URL(base + path);
    const pinned = await connectorTarget(url, env);
    const body = payload === undefined ? null : JSON.stringify(payload);
    const msgId = opts.msgId ?? `msg_${randomUUID()}`;
    const sentAt = env.wallClock.now();
    // During a rotation's grace period: a second signature with the old secret (as webhooks do).
    const signature = signatureHeader(signersAt(config, env.clock.now()), msgId, sentAt, body ?? '');
    const res = await exchangePinned({
      method,
      url,
      pinned,
      headers: {
        'webhook-id': msgId,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signature,
        accept: 'application/json',
      },
      body,
      timeoutMs: opts.timeoutMs ?? env.timeoutMs,
      limit: ANSWER_LIMIT,
      signal: opts.signal,
    });
    if (res.status === null) throw answerFailure(null, res.error ?? 'no answer');
    if (opts.allow?.includes(res.status)) return { status: res.status, answer: null };
    if (res.status < 200 || res.status > 299) {
      throw answerFailure(
        res.status,
        `${method} ${path} answered ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`,
      );
    }
    if (res.truncated) throw new ConnectorError(`${method} ${path}: the answer is larger than ${ANSWER_LIMIT} bytes`);
    if (res.body.trim() === '') return { status: res.status, answer: null };
    try {
      return { status: res.status, answer: JSON.parse(res.body) as unknown };
    } catch {
      throw new ConnectorError(`${method} ${path}: the answer is not JSON`);
    }
  }

  function check<T>(schema: Parameters<typeof Value.Check>[0], value: unknown, what: string): T {
    if (!Value.Check(schema, value)) {
      const first = Value.Errors(schema, value).First();
      throw new ConnectorError(
        `${what}: the answer does not follow the contract${first ? ` (${first.path || '/'}: ${first.message})` : ''}`,
      );
    }
    return value as T;
  }

  return {
    async lookup(keys: LookupKeys, signal: AbortSignal): Promise<ExternalContact[]> {
      const answer = await call('POST', '/lookup', keys, { signal });
      const parsed = check<Static<typeof LookupAnswer>>(LookupAnswer, answer, 'lookup');
      return parsed.matches.slice(0, MAX_MATCHES).map(contactOf);
    },

    async logInteraction(log: InteractionLog): Promise<void> {
      // The same webhook-id on every retry: the receiver deduplicates on it.
      await call('POST', '/interactions', log, { msgId: `interaction_${log.interaction.id}` });
    },

    async changes(cursor: string | null): Promise<ChangesPage> {
      const path = cursor === null ? '/changes' : `/changes?cursor=${encodeURIComponent(cursor)}`;
      const parsed = check<Static<typeof ChangesAnswer>>(ChangesAnswer, await call('GET', path, undefined), 'changes');
      return {
        changes: parsed.changes.map((c) => ({
          externalId: c.externalId,
          deleted: c.deleted ?? false,
          contact: c.contact ? contactOf(c.contact) : null,
          href: c.externalId,
          etag: versionOf(c.version),
        })),
        cursor: parsed.cursor ?? null,
        more: parsed.more ?? false,
      };
    },

    async test(): Promise<void> {
      const answer = await call('POST', '/lookup', { email: 'connection-test@switchboard.invalid' });
      check(LookupAnswer, answer, 'lookup');
    },

    /**
     * Two-way contacts: the contact's id is its place (`href`), its version in
     * the CRM its ETag; a write or deletion names the version it replaces
     * (`ifVersion`, in the signed body) and a 412 or 409 means it changed.
     */
    twoWay: {
      hrefFor: (externalId) => externalId,

      async putContact(contact, at) {
        const externalId = at.href ?? contact.externalId;
        const emails = emailsToPush(contact.emails, at.base);
        const { status, answer } = await exchange(
          'POST',
          '/contacts',
          // create: only if it does not exist yet; ifVersion: only if it is still that version.
          { contact: contractOf({ ...contact, externalId, emails }), create: at.href === null, ifVersion: at.etag },
          { allow: [409, 412] },
        );
        if (status === 409 || status === 412) {
          throw new ContactConflict(`POST /contacts: ${externalId} changed in the CRM (${status})`);
        }
        const parsed = check<Static<typeof PushAnswer>>(PushAnswer, answer, 'contacts');
        if (parsed.externalId !== externalId) {
          throw new ConnectorError(`POST /contacts: answered the id ${parsed.externalId}, not ${externalId}`);
        }
        return { href: externalId, etag: versionOf(parsed.version), document: documentOf(emails) };
      },

      async getContact(href) {
        const { status, answer } = await exchange('GET', `/contacts/${encodeURIComponent(href)}`, undefined, {
          allow: [404, 410],
        });
        if (status === 404 || status === 410) return null;
        const parsed = check<Static<typeof ReadAnswer>>(ReadAnswer, answer, 'contacts');
        return { contact: { ...contactOf(parsed.contact), externalId: href }, etag: versionOf(parsed.version) };
      },

      async deleteContact(href, etag) {
        const { status } = await exchange(
          'POST',
          '/contacts/delete',
          { externalId: href, ifVersion: etag },
          { allow: [404, 409, 410, 412] },
        );
        if (status === 409 || status === 412) {
          throw new ContactConflict(`POST /contacts/delete: ${href} changed in the CRM (${status})`);
        }
      },
    },
  };
}
