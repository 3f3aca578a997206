import { Type, type Static } from '@sinclair/typebox';
import { CASE_SORTS, CaseListQuery } from '../cases/schema.js';
import { CUSTOM_FIELD_FILTER_DOC, customFieldFilterQuery } from '../custom-fields/schema.js';

const q = CaseListQuery.properties;

/**
 * A view's filter: the Cases list's own query filters (GET /api/v1/cases), as JSON, custom field
 * filters (`cf.<key>`, `cf.<key>.gte`…) included. Relative ones stay relative: `notUpdatedForDays`
 * is counted back from the time the view is shown.
 */
export const CaseViewFilter = Type.Object(
  {
    status: q.status,
    priority: q.priority,
    severity: q.severity,
    ownerId: q.ownerId,
    visibility: q.visibility,
    q: q.q,
    channel: q.channel,
    tag: q.tag,
    notUpdatedForDays: q.notUpdatedForDays,
    reopened: q.reopened,
    responded: q.responded,
  },
  {
    additionalProperties: false,
    ...customFieldFilterQuery,
    description: `the Cases list filters (GET /api/v1/cases query parameters of the same names). ${CUSTOM_FIELD_FILTER_DOC}`,
  },
);
/** The custom field filters are pattern properties, which Static leaves out. */
type CustomFieldFilters = { [key: `cf.${string}`]: string | string[] | undefined };
export type CaseViewFilter = Static<typeof CaseViewFilter> & CustomFieldFilters;

const Sort = Type.Union(
  CASE_SORTS.map((s) => Type.Literal(s)),
  { description: 'the Cases list sort' },
);

export const CaseView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  shared: Type.Boolean({ description: 'shown to everybody (true) or only to its owner (false)' }),
  ownerId: Type.String({ description: 'who created it; a personal view is theirs alone' }),
  filter: CaseViewFilter,
  sort: Sort,
  position: Type.Integer({ description: 'order within its list (personal or shared), smallest first' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  version: Type.Integer(),
});
export type CaseView = Static<typeof CaseView>;

const Name = Type.String({ minLength: 1, maxLength: 80, description: 'unique per list (personal or shared)' });
const Position = Type.Integer({ minimum: 0, maximum: 10000 });

export const CaseViewCreate = Type.Object(
  {
    name: Name,
    shared: Type.Optional(Type.Boolean({ description: 'a shared view (needs cases.sharedViews); default: your own' })),
    filter: CaseViewFilter,
    sort: Type.Optional(Sort),
    position: Type.Optional(Position),
  },
  { additionalProperties: false },
);
export type CaseViewCreate = Static<typeof CaseViewCreate>;

export const CaseViewPatch = Type.Object(
  {
    name: Type.Optional(Name),
    shared: Type.Optional(Type.Boolean({ description: 'sharing or unsharing needs cases.sharedViews' })),
    filter: Type.Optional(CaseViewFilter),
    sort: Type.Optional(Sort),
    position: Type.Optional(Position),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'the version read (or If-Match)' })),
  },
  { additionalProperties: false },
);
export type CaseViewPatch = Static<typeof CaseViewPatch>;

export const CaseViewList = Type.Object({ items: Type.Array(CaseView) });

export const CASE_VIEW_COUNT_CAP = 10_000;

export const CaseViewCount = Type.Object({
  id: Type.String(),
  count: Type.Union([Type.Integer(), Type.Null()], {
    description: `matching cases you may see, counted up to ${CASE_VIEW_COUNT_CAP}; null when the Cases list no longer accepts the view's filter`,
  }),
});
export type CaseViewCount = Static<typeof CaseViewCount>;

export const CaseViewCounts = Type.Object({ items: Type.Array(CaseViewCount) });
