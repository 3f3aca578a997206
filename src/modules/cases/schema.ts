import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.js';
import { TagFilter, TagsInput } from '../../formats/tags.js';
import { CUSTOM_FIELD_FILTER_DOC, CustomFieldValues, customFieldFilterQuery } from '../custom-fields/schema.js';

/** Keys of statuses, priorities and severities: lower-case identifiers the administrator picks. */
const ListKey = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' });
const CustomFields = CustomFieldValues;
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const VISIBILITIES = ['public', 'private'] as const;
export const CHANNELS = ['phone', 'chat', 'email', 'web', 'portal', 'other'] as const;
export const FOLLOW_UP_KINDS = ['note', 'call', 'chat', 'email'] as const;

export const Visibility = Type.Union(VISIBILITIES.map((v) => Type.Literal(v)));
export type Visibility = Static<typeof Visibility>;
export const CaseChannel = Type.Union(CHANNELS.map((v) => Type.Literal(v)));
export type CaseChannel = Static<typeof CaseChannel>;

export const Case = Type.Object({
  id: Type.String(),
  caseNumber: Type.Integer({ description: 'unique, human-readable, sequential (gaps possible)' }),
  customerId: Type.String(),
  subject: Type.String(),
  description: Type.String(),
  status: Type.String(),
  isOpen: Type.Boolean({ description: "the status's category: every open-like status is open" }),
  priority: Type.String(),
  severity: Type.String(),
  visibility: Visibility,
  ownerId: Type.Union([Type.String(), Type.Null()]),
  channel: CaseChannel,
  openedAt: DateTime,
  closedAt: Type.Union([DateTime, Type.Null()]),
  customFields: CustomFields,
  tags: Type.Array(Type.String(), { description: 'lower-case labels, in the order they were added' }),
  version: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type Case = Static<typeof Case>;

export const CaseCreate = Type.Object(
  {
    customerId: Type.String(),
    subject: Type.String({ minLength: 1, maxLength: 500 }),
    description: Type.Optional(Type.String({ maxLength: 100000 })),
    status: Type.Optional(ListKey),
    priority: Type.Optional(ListKey),
    severity: Type.Optional(ListKey),
    visibility: Type.Optional(Visibility),
    ownerId: Type.Optional(Nullable(Type.String())),
    channel: Type.Optional(CaseChannel),
    customFields: Type.Optional(CustomFields),
    tags: Type.Optional(TagsInput),
  },
  { additionalProperties: false },
);
export type CaseCreate = Static<typeof CaseCreate>;

export const CasePatch = Type.Object(
  {
    customerId: Type.Optional(Type.String()),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    description: Type.Optional(Type.String({ maxLength: 100000 })),
    status: Type.Optional(ListKey),
    priority: Type.Optional(ListKey),
    severity: Type.Optional(ListKey),
    visibility: Type.Optional(Visibility),
    ownerId: Type.Optional(Nullable(Type.String())),
    channel: Type.Optional(CaseChannel),
    customFields: Type.Optional(CustomFields),
    tags: Type.Optional(TagsInput),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type CasePatch = Static<typeof CasePatch>;

/** One bulk action: exactly one of these keys (the service names a missing or extra one). */
const CaseBulkAction = Type.Object(
  {
    assign: Type.Optional(Nullable(Type.String({ description: 'the new owner (a user id), or null: unassigned' }))),
    status: Type.Optional(ListKey),
    priority: Type.Optional(ListKey),
    addTag: Type.Optional(Type.String({ maxLength: 200 })),
    removeTag: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
type CaseBulkAction = Static<typeof CaseBulkAction>;

const CASE_BULK_MAX = 500;

export const CaseBulk = Type.Object(
  {
    ids: Type.Array(Type.String({ maxLength: 100 }), {
      minItems: 1,
      maxItems: CASE_BULK_MAX,
      description: `the cases to change (at most ${CASE_BULK_MAX}; repeats count once)`,
    }),
    action: CaseBulkAction,
  },
  { additionalProperties: false },
);
export type CaseBulk = Static<typeof CaseBulk>;

export const CaseBulkResult = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      changed: Type.Boolean({ description: 'false when the case already was as asked (nothing written)' }),
      case: Case,
    }),
  ),
  changed: Type.Integer({ description: 'how many cases changed' }),
});
export type CaseBulkResult = Static<typeof CaseBulkResult>;

/** The Cases list's built-in columns (`cases.columns` preference; custom fields are `cf.<key>`). */
export const CASE_LIST_COLUMNS = [
  'caseNumber',
  'subject',
  'status',
  'priority',
  'severity',
  'owner',
  'tags',
  'openedAt',
  'updatedAt',
  'closedAt',
  'channel',
  'visibility',
] as const;
export type CaseListColumn = (typeof CASE_LIST_COLUMNS)[number];

export const CASE_SORTS = ['openedAt', '-openedAt', 'updatedAt', '-updatedAt', 'caseNumber', '-caseNumber'] as const;
export type CaseSort = (typeof CASE_SORTS)[number];

const CsvOf = (description: string) => Type.Optional(Type.String({ maxLength: 1000, description }));

export const CaseListQuery = Type.Object(
  {
    ...PageQuery,
    caseNumber: Type.Optional(Type.Integer({ minimum: 1, description: 'exact case number' })),
    customerId: Type.Optional(Type.String()),
    status: CsvOf('status keys, comma-separated; `open` means every open-like status, `closed` every closed-like one'),
    priority: CsvOf('priority keys, comma-separated'),
    severity: CsvOf('severity keys, comma-separated'),
    ownerId: Type.Optional(Type.String({ description: 'a user id, `me`, or `none` (unassigned)' })),
    visibility: Type.Optional(Visibility),
    q: Type.Optional(
      Type.String({
        maxLength: 500,
        description: 'full-text search in subject and description (and the searchable custom fields)',
      }),
    ),
    createdFrom: Type.Optional(DateTime),
    createdTo: Type.Optional(DateTime),
    updatedFrom: Type.Optional(DateTime),
    updatedTo: Type.Optional(DateTime),
    notUpdatedForDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3650,
        description:
          'not updated for at least this many days: updated before now minus this many days (stays relative when saved in a view)',
      }),
    ),
    channel: CsvOf('case channels, comma-separated (phone, chat, email, web, portal, other)'),
    closedFrom: Type.Optional({ ...DateTime, description: 'closed at or after (closed cases only)' }),
    closedTo: Type.Optional({ ...DateTime, description: 'closed before (closed cases only)' }),
    reopenedFrom: Type.Optional({
      ...DateTime,
      description: 'reopened at least once at or after this time (and before reopenedTo)',
    }),
    reopenedTo: Type.Optional({
      ...DateTime,
      description: 'reopened at least once before this time (and at or after reopenedFrom)',
    }),
    reopened: Type.Optional(Type.Boolean({ description: 'true: reopened at least once; false: never reopened' })),
    responded: Type.Optional(
      Type.Boolean({ description: 'true: has a public follow-up by staff (a first response); false: has none' }),
    ),
    staffResponses: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1000, description: 'exactly this many public follow-ups by staff' }),
    ),
    tag: TagFilter,
    sort: Type.Optional(
      Type.Union(
        CASE_SORTS.map((s) => Type.Literal(s)),
        { default: '-openedAt' },
      ),
    ),
  },
  { ...customFieldFilterQuery, description: CUSTOM_FIELD_FILTER_DOC },
);
export type CaseListQuery = Static<typeof CaseListQuery>;

export const CustomerCasesQuery = Type.Object({
  ...PageQuery,
  position: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 10000,
      description: 'unitary view: the n-th case of the customer, newest first',
    }),
  ),
  caseId: Type.Optional(Type.String({ description: 'unitary view: this case, with its position' })),
  status: CsvOf('status keys, comma-separated; `open` means every open-like status'),
});
export type CustomerCasesQuery = Static<typeof CustomerCasesQuery>;

export const CaseUnitary = Type.Object({
  item: Case,
  position: Type.Integer(),
  total: Type.Integer({ description: "the customer's cases (counted up to 10,000)" }),
  previous: Type.Union([Type.Integer(), Type.Null()]),
  next: Type.Union([Type.Integer(), Type.Null()]),
});
export type CaseUnitary = Static<typeof CaseUnitary>;

// ---------------------------------------------------------------- follow-ups

export const FollowUpKind = Type.Union(FOLLOW_UP_KINDS.map((v) => Type.Literal(v)));
export type FollowUpKind = Static<typeof FollowUpKind>;
const FollowUpVisibility = Type.Union([Type.Literal('public'), Type.Literal('internal')]);
export const Direction = Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]);

const Addresses = Type.Array(Type.String({ maxLength: 320 }), { maxItems: 500 });
export const FollowUpEmail = Type.Object(
  {
    from: Type.Optional(Type.String({ maxLength: 320 })),
    to: Type.Optional(Addresses),
    cc: Type.Optional(Addresses),
    bcc: Type.Optional(Addresses),
    subject: Type.Optional(Type.String({ maxLength: 2000 })),
    messageId: Type.Optional(Type.String({ maxLength: 1000 })),
    unverifiedSender: Type.Optional(
      Type.Boolean({
        description:
          "set on a message taken in from an address that is neither the case's customer nor already on the thread; such a follow-up is internal until an agent has reviewed it",
      }),
    ),
  },
  { additionalProperties: true },
);
export type FollowUpEmail = Static<typeof FollowUpEmail>;

/** What a follow-up of kind call or chat records about its interaction (the case timeline). */
export const FollowUpInteraction = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  durationSeconds: Type.Union([Type.Integer(), Type.Null()]),
  disposition: Type.Union([Type.String(), Type.Null()]),
  notes: Type.Union([Type.String(), Type.Null()]),
  transcript: Type.Boolean({ description: 'the body is the transcript the platform posted' }),
});
export type FollowUpInteraction = Static<typeof FollowUpInteraction>;

export const FollowUp = Type.Object({
  id: Type.String(),
  caseId: Type.String(),
  kind: FollowUpKind,
  direction: Type.Union([Direction, Type.Null()]),
  visibility: FollowUpVisibility,
  body: Type.String(),
  author: Type.Object({
    type: Type.Union([Type.Literal('user'), Type.Literal('customer'), Type.Literal('system')]),
    id: Type.Union([Type.String(), Type.Null()]),
    name: Type.String(),
  }),
  channel: Type.String(),
  email: Type.Union([FollowUpEmail, Type.Null()]),
  customFields: CustomFields,
  interaction: Type.Union([FollowUpInteraction, Type.Null()], {
    description: 'for a call or chat on the case timeline: the interaction it records',
  }),
  notified: Type.Array(Type.String(), {
    description: 'the addresses this follow-up was emailed to when it was added (the Notify option)',
  }),
  createdAt: DateTime,
});
export type FollowUp = Static<typeof FollowUp>;

export const FollowUpCreate = Type.Object(
  {
    kind: FollowUpKind,
    body: Type.String({ maxLength: 1000000 }),
    visibility: Type.Optional(FollowUpVisibility),
    direction: Type.Optional(Direction),
    reopens: Type.Optional(
      Type.Boolean({
        description:
          'new activity from the customer side: applies the reopen policy to a closed case (default: true for inbound)',
      }),
    ),
    email: Type.Optional(FollowUpEmail),
    customFields: Type.Optional(CustomFields),
    attachmentIds: Type.Optional(
      Type.Array(Type.String({ maxLength: 100 }), {
        maxItems: 20,
        description: 'files uploaded first with POST /api/v1/cases/{id}/attachments (pending for you on this case)',
      }),
    ),
    notify: Type.Optional(
      Type.Array(Type.String({ format: 'email', maxLength: 254 }), {
        maxItems: 20,
        description:
          'email addresses to send this follow-up to (the customer, contacts, colleagues); ' +
          'an internal follow-up may be sent to staff members only',
      }),
    ),
  },
  { additionalProperties: false },
);
export type FollowUpCreate = Static<typeof FollowUpCreate>;

export const FollowUpListQuery = Type.Object({
  ...PageQuery,
  order: Type.Optional(Type.Union([Type.Literal('oldest'), Type.Literal('newest')], { default: 'oldest' })),
});
export type FollowUpListQuery = Static<typeof FollowUpListQuery>;

export const CaseWithFollowUps = Type.Intersect([
  Case,
  Type.Object({
    followUps: Type.Optional(
      Type.Object({ items: Type.Array(FollowUp), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
    ),
  }),
]);

export const CaseGetQuery = Type.Object({
  include: Type.Optional(Type.Literal('followUps', { description: 'also the newest 50 follow-ups' })),
});

// ---------------------------------------------------------------- settings

const Label = Type.String({ minLength: 1, maxLength: 100 });
export const StatusItem = Type.Object(
  { key: ListKey, label: Label, isOpen: Type.Boolean(), retired: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const RankItem = Type.Object(
  { key: ListKey, label: Label, isDefault: Type.Optional(Type.Boolean()), retired: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const ReopenPolicy = Type.Object(
  {
    policy: Type.Union([Type.Literal('never'), Type.Literal('always'), Type.Literal('withinDays')]),
    days: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type ReopenPolicy = Static<typeof ReopenPolicy>;

export const CaseSettings = Type.Object({
  statuses: Type.Array(
    Type.Object({
      key: Type.String(),
      label: Type.String(),
      order: Type.Integer(),
      isOpen: Type.Boolean(),
      builtin: Type.Boolean(),
      retired: Type.Boolean(),
    }),
  ),
  priorities: Type.Array(
    Type.Object({
      key: Type.String(),
      label: Type.String(),
      order: Type.Integer(),
      isDefault: Type.Boolean(),
      retired: Type.Boolean(),
    }),
  ),
  severities: Type.Array(
    Type.Object({
      key: Type.String(),
      label: Type.String(),
      order: Type.Integer(),
      isDefault: Type.Boolean(),
      retired: Type.Boolean(),
    }),
  ),
  reopen: Type.Object({
    policy: Type.Union([Type.Literal('never'), Type.Literal('always'), Type.Literal('withinDays')]),
    days: Type.Union([Type.Integer(), Type.Null()]),
  }),
  defaultVisibility: Type.Union(
    VISIBILITIES.map((v) => Type.Literal(v)),
    {
      description: 'The visibility the New case form starts with (for a user who may create it; else public)',
    },
  ),
  version: Type.Integer(),
});
export type CaseSettings = Static<typeof CaseSettings>;

export const CaseSettingsPut = Type.Object(
  {
    statuses: Type.Optional(Type.Array(StatusItem, { minItems: 2, maxItems: 50 })),
    priorities: Type.Optional(Type.Array(RankItem, { minItems: 1, maxItems: 50 })),
    severities: Type.Optional(Type.Array(RankItem, { minItems: 1, maxItems: 50 })),
    reopen: Type.Optional(ReopenPolicy),
    defaultVisibility: Type.Optional(Visibility),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type CaseSettingsPut = Static<typeof CaseSettingsPut>;
