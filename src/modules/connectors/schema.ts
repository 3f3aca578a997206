import { Type, type Static } from '@sinclair/typebox';

/** CRM connectors (docs/webhooks.md, "CRM connectors"): the API's shapes. */
export const CONNECTOR_KINDS = ['http', 'carddav'] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];
const LOOKUP_ORDERS = ['local', 'local_then_external', 'external'] as const;
export type LookupOrder = (typeof LOOKUP_ORDERS)[number];

const enumOf = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
const DateTime = Type.String({ format: 'date-time' });
const NullableText = Type.Union([Type.String(), Type.Null()]);

/** A customer as an external CRM knows it: shown in the pop, never created locally on its own. */
export const ExternalMatch = Type.Object({
  connectorId: Type.String(),
  system: Type.String({ description: 'the external-id system of the connector that answered' }),
  externalId: Type.String({ description: "the customer's id in that system" }),
  displayName: Type.String(),
  company: NullableText,
  email: NullableText,
  phones: Type.Array(Type.String()),
  accountNumber: NullableText,
  url: Type.Union([Type.String(), Type.Null()], { description: 'a link to the record in the external CRM' }),
});
export type ExternalMatch = Static<typeof ExternalMatch>;

const SOURCE_STATUSES = ['ok', 'timeout', 'error'] as const;

/** The external part of a lookup's answer: present only when the lookup order asks external sources. */
export const ExternalLookup = Type.Object(
  {
    order: enumOf(LOOKUP_ORDERS),
    matches: Type.Array(ExternalMatch),
    timedOut: Type.Boolean({
      description: 'an external source did not answer within its budget: the answer is from the local data',
    }),
    sources: Type.Array(
      Type.Object({
        connectorId: Type.String(),
        system: Type.String(),
        status: enumOf(SOURCE_STATUSES, 'ok, timeout (past its budget) or error (unreachable, 5xx, bad answer)'),
        error: NullableText,
        latencyMs: Type.Integer(),
      }),
    ),
  },
  {
    description:
      'external CRM connectors asked by this lookup (absent when the lookup order is local, the default): ' +
      'docs/webhooks.md, CRM connectors',
  },
);
export type ExternalLookup = Static<typeof ExternalLookup>;

export const ConnectorSchema = Type.Object({
  id: Type.String(),
  kind: enumOf(CONNECTOR_KINDS),
  name: Type.String(),
  system: Type.String({ description: 'the external-id system its contacts carry' }),
  baseUrl: Type.String(),
  enabled: Type.Boolean(),
  useForLookup: Type.Boolean(),
  logInteractions: Type.Boolean(),
  syncContacts: Type.Boolean(),
  pushContacts: Type.Boolean({
    description: 'a sync pushes local changes of linked customers to the CRM; false: it only pulls (the CRM wins)',
  }),
  lookupBudgetMs: Type.Integer({ description: 'how long the screen pop waits for this connector' }),
  username: NullableText,
  syncIntervalMinutes: Type.Union([Type.Integer(), Type.Null()], {
    description: 'a sync runs every this many minutes; null: only when asked',
  }),
  lastSyncAt: Type.Union([DateTime, Type.Null()]),
  lastSyncError: NullableText,
  lastSyncCounts: Type.Union([Type.Record(Type.String(), Type.Integer()), Type.Null()], {
    description: 'what the last successful sync did: created, updated, pushed, conflicts, deleted, …',
  }),
  lastSyncProblems: Type.Union(
    [Type.Array(Type.Object({ externalId: Type.String(), error: Type.String() })), Type.Null()],
    {
      description:
        'the contacts the last sync skipped or could not write, delete or reconcile (the first 20), and why; the rest of the run went on',
    },
  ),
  lastTestAt: Type.Union([DateTime, Type.Null()]),
  lastTestError: NullableText,
  previousSecretUntil: Type.Union([DateTime, Type.Null()], {
    description: 'http, after a secret rotation: the old secret also signs every request until then',
  }),
  createdAt: DateTime,
  updatedAt: DateTime,
  version: Type.Integer(),
});
export type Connector = Static<typeof ConnectorSchema>;

export const ConnectorWithSecret = Type.Intersect([
  ConnectorSchema,
  Type.Object({
    secret: Type.Optional(
      Type.String({ description: 'http: whsec_…, the signing secret, shown only this once (carddav: absent)' }),
    ),
  }),
]);

const System = Type.String({
  pattern: '^[a-z0-9][a-z0-9._-]{0,39}$',
  description: 'lower-case letters, digits, ., _ and -, up to 40',
});
const Budget = Type.Integer({ minimum: 50, maximum: 5000, description: 'milliseconds, default 300' });
const Username = Type.String({ minLength: 1, maxLength: 200, description: 'carddav: the server account' });
const Password = Type.String({
  minLength: 1,
  maxLength: 500,
  description: 'carddav: the account password, stored like a signing secret and never returned',
});
const Interval = Type.Union([Type.Integer({ minimum: 5, maximum: 1440 }), Type.Null()], {
  description: 'minutes between scheduled syncs (5 to 1,440); null: only when asked',
});

export const ConnectorCreate = Type.Object(
  {
    kind: enumOf(CONNECTOR_KINDS),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    system: System,
    baseUrl: Type.String({ minLength: 1, maxLength: 2000 }),
    enabled: Type.Optional(Type.Boolean()),
    useForLookup: Type.Optional(Type.Boolean()),
    logInteractions: Type.Optional(Type.Boolean()),
    syncContacts: Type.Optional(Type.Boolean()),
    pushContacts: Type.Optional(Type.Boolean()),
    lookupBudgetMs: Type.Optional(Budget),
    username: Type.Optional(Username),
    password: Type.Optional(Password),
    syncIntervalMinutes: Type.Optional(Interval),
  },
  { additionalProperties: false },
);
export type ConnectorCreate = Static<typeof ConnectorCreate>;

export const ConnectorPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    baseUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    enabled: Type.Optional(Type.Boolean()),
    useForLookup: Type.Optional(Type.Boolean()),
    logInteractions: Type.Optional(Type.Boolean()),
    syncContacts: Type.Optional(Type.Boolean()),
    pushContacts: Type.Optional(Type.Boolean()),
    lookupBudgetMs: Type.Optional(Budget),
    username: Type.Optional(Username),
    password: Type.Optional(Password),
    syncIntervalMinutes: Type.Optional(Interval),
    version: Type.Optional(Type.Integer({ description: 'the version read' })),
  },
  { additionalProperties: false },
);
export type ConnectorPatch = Static<typeof ConnectorPatch>;

export const ConnectorSettings = Type.Object({
  lookupOrder: enumOf(
    LOOKUP_ORDERS,
    'local (default: local data only), local_then_external (external sources when nothing local matched), ' +
      'external (external sources; the local data when they fail)',
  ),
  version: Type.Integer(),
});
export type ConnectorSettings = Static<typeof ConnectorSettings>;

export const ConnectorSettingsPut = Type.Object(
  {
    lookupOrder: enumOf(LOOKUP_ORDERS),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

export const ConnectorTestResult = Type.Object({
  ok: Type.Boolean(),
  latencyMs: Type.Integer(),
  error: NullableText,
});
export type ConnectorTestResult = Static<typeof ConnectorTestResult>;
