import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.js';
import { ExternalLookup } from '../connectors/schema.js';

/**
 * Interactions and screen pop (docs/product.md I1–I5): the API's shapes.
 * Addresses (`from`, `to`) are what the platform saw: a phone number in any
 * format, an email address, or a chat visitor's handle.
 */
export const CHANNELS = ['phone', 'chat', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];
export const DIRECTIONS = ['inbound', 'outbound'] as const;
export type Direction = (typeof DIRECTIONS)[number];
const STATES = ['ringing', 'active', 'wrap_up', 'closed'] as const;
export type InteractionState = (typeof STATES)[number];
export const RESULTS = ['found', 'not_found', 'multiple'] as const;
export type MatchResult = (typeof RESULTS)[number];
const MATCHED_BY = ['caseNumber', 'phone', 'email', 'accountNumber'] as const;
export type MatchedBy = (typeof MATCHED_BY)[number];

const enumOf = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });
const Address = Type.String({ minLength: 1, maxLength: 320 });
const CaseNumberInput = Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1, maxLength: 40 })], {
  description: 'the case number: 100123, "100123" or "#100123"',
});

// ------------------------------------------------------------------ matches

export const MatchCase = Type.Object({
  id: Type.String(),
  caseNumber: Type.Integer(),
  subject: Type.String(),
  status: Type.String(),
  isOpen: Type.Boolean(),
  priority: Type.String(),
  openedAt: DateTime,
});
export type MatchCase = Static<typeof MatchCase>;

const RecentInteraction = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  direction: Type.String(),
  from: Type.Union([Type.String(), Type.Null()]),
  to: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
  disposition: Type.Union([Type.String(), Type.Null()]),
  startedAt: DateTime,
  notes: Type.Union([Type.String(), Type.Null()], { description: 'the first 200 characters' }),
});
type RecentInteraction = Static<typeof RecentInteraction>;

/** One matching customer, with what a "repeat caller" view needs. */
export const Match = Type.Object({
  customerId: Type.String(),
  accountNumber: Type.String(),
  displayName: Type.String(),
  company: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  vip: Type.Boolean(),
  draft: Type.Boolean({
    description: 'a draft customer: only in `drafts` (possible matches) or once the agent associated it',
  }),
  openCasesCount: Type.Union([Type.Integer(), Type.Null()], {
    description: 'counted up to 1,000; null when the caller may not see cases',
  }),
  openCases: Type.Array(MatchCase, { description: 'the newest open cases (at most 5)' }),
  recentInteractions: Type.Array(RecentInteraction, { description: 'the last 3 interactions, newest first' }),
  matchedCase: Type.Union([MatchCase, Type.Null()], { description: 'the case a case number matched' }),
});
export type Match = Static<typeof Match>;

export const LookupQuery = Type.Object(
  {
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'any format' })),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    caseNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    accountNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  },
  { additionalProperties: false },
);
export type LookupQuery = Static<typeof LookupQuery>;

export const LookupResult = Type.Object({
  result: enumOf(RESULTS),
  matchedBy: Type.Union([enumOf(MATCHED_BY), Type.Null()], { description: 'the key that matched' }),
  matches: Type.Array(Match),
  drafts: Type.Array(Match, {
    description:
      'draft customers matching the same keys, when nothing else matched: "possible match (draft)" for the agent, ' +
      'never a `found` for the IVR',
  }),
  external: Type.Optional(ExternalLookup),
});
export type LookupResult = Static<typeof LookupResult>;

// ------------------------------------------------------------- interactions

export const Interaction = Type.Object({
  id: Type.String(),
  reference: Type.Union([Type.String(), Type.Null()]),
  channel: enumOf(CHANNELS),
  direction: enumOf(DIRECTIONS),
  from: Type.Union([Type.String(), Type.Null()]),
  to: Type.Union([Type.String(), Type.Null()]),
  caseNumber: Type.Union([Type.String(), Type.Null()], { description: 'as reported' }),
  agentId: Type.Union([Type.String(), Type.Null()]),
  customerId: Type.Union([Type.String(), Type.Null()]),
  caseId: Type.Union([Type.String(), Type.Null()]),
  result: enumOf(RESULTS, 'what the automatic match found when the interaction was reported'),
  matchedBy: Type.Union([enumOf(MATCHED_BY), Type.Null()]),
  state: enumOf(STATES),
  startedAt: DateTime,
  endedAt: Type.Union([DateTime, Type.Null()]),
  wrapUpUntil: Type.Union([DateTime, Type.Null()], { description: 'notes stay editable until then' }),
  closedAt: Type.Union([DateTime, Type.Null()]),
  notes: Type.Union([Type.String(), Type.Null()]),
  disposition: Type.Union([Type.String(), Type.Null()]),
  followOnTaskId: Type.Union([Type.String(), Type.Null()]),
  transcriptAt: Type.Union([DateTime, Type.Null()], { description: 'when the platform posted the transcript' }),
  caseFollowUpId: Type.Union([Type.String(), Type.Null()], {
    description: "the follow-up that put this interaction on its case's timeline (written when it closes)",
  }),
  version: Type.Integer({ description: "counts the agent's edits; state changes do not bump it" }),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type Interaction = Static<typeof Interaction>;

/** An interaction with the customers it matches (its own customer once associated). */
export const InteractionWithMatches = Type.Intersect([
  Interaction,
  Type.Object({
    matches: Type.Array(Match),
    drafts: Type.Optional(
      Type.Array(Match, { description: 'when reported: draft customers matching the caller (possible matches)' }),
    ),
    // When reported with external CRM sources in the lookup order: what they answered (the screen pop carries it too).
    external: Type.Optional(ExternalLookup),
  }),
]);
export type InteractionWithMatches = Static<typeof InteractionWithMatches>;

export const InteractionCreate = Type.Object(
  {
    channel: enumOf(CHANNELS),
    direction: enumOf(DIRECTIONS),
    from: Type.Optional(Nullable(Address)),
    to: Type.Optional(Nullable(Address)),
    caseNumber: Type.Optional(Type.Union([CaseNumberInput, Type.Null()])),
    agentId: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 254 }), Type.Null()], {
        description: "the agent to pop it to: a user id or the agent's email address",
      }),
    ),
    reference: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], {
        description: "the platform's id (call id): the same reference is the same interaction",
      }),
    ),
    state: Type.Optional(enumOf(['ringing', 'active'] as const, 'default active')),
    startedAt: Type.Optional(Type.Union([DateTime, Type.Null()], { description: 'default now' })),
  },
  { additionalProperties: false },
);
export type InteractionCreate = Static<typeof InteractionCreate>;

const FollowOnCall = Type.Object(
  {
    dueAt: DateTime,
    remindAt: Type.Optional(
      Type.Union([DateTime, Type.Null()], { description: 'default 30 minutes before dueAt; null: no reminder' }),
    ),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    assigneeId: Type.Optional(
      Type.String({ maxLength: 64, description: "a user id or 'me'; default: the interaction's agent, else me" }),
    ),
  },
  { additionalProperties: false },
);
type FollowOnCall = Static<typeof FollowOnCall>;

export const InteractionPatch = Type.Object(
  {
    notes: Type.Optional(Nullable(Type.String({ maxLength: 20000 }))),
    disposition: Type.Optional(
      Nullable(Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$', description: 'e.g. resolved, callback_needed' })),
    ),
    caseId: Type.Optional(Nullable(Type.String({ maxLength: 64, description: "one of the customer's cases" }))),
    state: Type.Optional(
      enumOf(
        ['active', 'ended', 'wrap_up', 'closed'] as const,
        'active (answered); ended or wrap_up (it ended: wrap-up starts); closed (wrap-up done)',
      ),
    ),
    endedAt: Type.Optional(DateTime),
    followOnCall: Type.Optional(FollowOnCall),
    version: Type.Optional(Type.Integer({ description: 'the version read (or If-Match)' })),
  },
  { additionalProperties: false },
);
export type InteractionPatch = Static<typeof InteractionPatch>;

export const Associate = Type.Object(
  {
    customerId: Type.String({ maxLength: 64 }),
    caseId: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type Associate = Static<typeof Associate>;

export const CustomerInteractionsQuery = Type.Object(PageQuery, { additionalProperties: false });

export const InteractionListQuery = Type.Object(
  {
    ...PageQuery,
    channel: Type.Optional(
      Type.String({ maxLength: 100, description: 'channels, comma-separated: phone, chat, email' }),
    ),
    direction: Type.Optional(enumOf(DIRECTIONS)),
    agentId: Type.Optional(Type.String({ maxLength: 64, description: 'the agent (user id) who handled it' })),
    customerId: Type.Optional(Type.String({ maxLength: 64 })),
    result: Type.Optional(enumOf(RESULTS, 'what the automatic match found: found, not_found, multiple')),
    startedFrom: Type.Optional({ ...DateTime, description: 'started at or after this time' }),
    startedTo: Type.Optional({ ...DateTime, description: 'started before this time' }),
    hour: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 23, description: 'started in this hour of the day (in tz)' }),
    ),
    tz: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone of `hour`; default UTC' })),
    repeatWithinDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 365,
        description:
          'inbound interactions whose caller (the same customer or the same from address) had another inbound ' +
          'interaction in the N days before',
      }),
    ),
    wrappedUp: Type.Optional(Type.Boolean({ description: 'true: a disposition was recorded; false: none' })),
  },
  { additionalProperties: false },
);
export type InteractionListQuery = Static<typeof InteractionListQuery>;
const TranscriptMessage = Type.Object(
  {
    author: Type.String({ minLength: 1, maxLength: 200 }),
    at: Type.String({ maxLength: 40, description: 'ISO 8601 time' }),
    text: Type.String({ maxLength: 100000 }),
  },
  { additionalProperties: false },
);
export const TranscriptPost = Type.Object(
  {
    text: Type.Optional(Type.String({ maxLength: 1000000, description: 'the transcript as plain text' })),
    messages: Type.Optional(
      Type.Array(TranscriptMessage, { maxItems: 10000, description: 'or the transcript as messages' }),
    ),
  },
  { additionalProperties: false },
);
export type TranscriptPost = Static<typeof TranscriptPost>;
