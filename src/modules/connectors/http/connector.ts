import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Webhook } from 'standardwebhooks';
import { exchangePinned } from '../../webhooks/send.js';
import {
  ConnectorError,
  connectorTarget,
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
});
type ContractContact = Static<typeof ContractContact>;

const LookupAnswer = Type.Object({ matches: Type.Array(ContractContact, { maxItems: 100 }) });
const ChangesAnswer = Type.Object({
  changes: Type.Array(
    Type.Object({
      externalId: Type.String({ minLength: 1, maxLength: 200 }),
      deleted: Type.Optional(Type.Boolean()),
      contact: Type.Optional(Type.Union([ContractContact, Type.Null()])),
    }),
    { maxItems: 1000 },
  ),
  cursor: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  more: Type.Optional(Type.Boolean()),
});

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
  };
}

/**
 * The generic HTTP connector: a JSON contract over three calls, each request
 * signed like a webhook (Standard Webhooks headers, HMAC-SHA256 with the
 * connector's secret) and sent through the SSRF guard to the checked address.
 */
export function httpConnector(config: ConnectorConfig, env: ConnectorEnv): Connector {
  const signer = new Webhook(config.secret);
  const base = config.baseUrl.replace(/\/+$/, '');

  async function call(
    method: 'GET' | 'POST',
    path: string,
    payload: unknown,
    opts: { msgId?: string; signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<unknown> {
    const url = new URL(base + path);
    const pinned = await connectorTarget(url, env);
    const body = payload === undefined ? null : JSON.stringify(payload);
    const msgId = opts.msgId ?? `msg_${randomUUID()}`;
    const sentAt = env.wallClock.now();
    const signature = signer.sign(msgId, sentAt, body ?? '');
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
    if (res.status === null) throw new ConnectorError(res.error ?? 'no answer');
    if (res.status < 200 || res.status > 299) {
      throw new ConnectorError(
        `${method} ${path} answered ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`,
      );
    }
    if (res.truncated) throw new ConnectorError(`${method} ${path}: the answer is larger than ${ANSWER_LIMIT} bytes`);
    if (res.body.trim() === '') return null;
    try {
      return JSON.parse(res.body) as unknown;
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
        })),
        cursor: parsed.cursor ?? null,
        more: parsed.more ?? false,
      };
    },

    async test(): Promise<void> {
      const answer = await call('POST', '/lookup', { email: 'connection-test@switchboard.invalid' });
      check(LookupAnswer, answer, 'lookup');
    },
  };
}
