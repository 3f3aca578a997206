import { TagFilter, TagsInput } from '../../formats/tags.js';
import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.js';
import { CUSTOM_FIELD_FILTER_DOC, CustomFieldValues, customFieldFilterQuery } from '../custom-fields/schema.js';

/**
 * Customers' API shapes (docs/api.md). Lengths: names and address parts up
 * to 100 characters, company 200, email 254, notes 20,000, a phone as typed 64.
 */
export const PHONE_TYPES = ['voice', 'work', 'home', 'mobile', 'fax'] as const;
export type PhoneType = (typeof PHONE_TYPES)[number];

const Name = Type.String({ maxLength: 100 });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const PhoneInput = Type.Object(
  {
    type: Type.Optional(
      Type.Unsafe<PhoneType>({
        type: 'string',
        enum: [...PHONE_TYPES],
        default: 'voice',
        description: 'voice if absent',
      }),
    ),
    number: Type.String({ minLength: 1, maxLength: 64, description: 'as typed, in any format' }),
  },
  { additionalProperties: false },
);
export type PhoneInput = Static<typeof PhoneInput>;

export const Phone = Type.Object({
  type: Type.String(),
  number: Type.String({ description: 'as typed' }),
  e164: Type.Union([Type.String(), Type.Null()], { description: 'null when the number could not be parsed' }),
  extension: Type.Union([Type.String(), Type.Null()]),
  valid: Type.Boolean({ description: 'false: kept as typed, not a valid number for its region' }),
});
export type Phone = Static<typeof Phone>;

export const AddressInput = Type.Object(
  {
    street: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    city: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    region: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    postalCode: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    country: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  },
  { additionalProperties: false },
);
export type AddressInput = Static<typeof AddressInput>;

export const Address = Type.Object({
  street: Type.Union([Type.String(), Type.Null()]),
  city: Type.Union([Type.String(), Type.Null()]),
  region: Type.Union([Type.String(), Type.Null()]),
  postalCode: Type.Union([Type.String(), Type.Null()]),
  country: Type.Union([Type.String(), Type.Null()]),
});
export type Address = Static<typeof Address>;

const ACCOUNT_NUMBER_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$';

const writable = {
  firstName: Type.Optional(Nullable(Name)),
  lastName: Type.Optional(Nullable(Name)),
  company: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 254 }))),
  phones: Type.Optional(Type.Array(PhoneInput, { maxItems: 20 })),
  primaryAddress: Type.Optional(Type.Union([AddressInput, Type.Null()])),
  secondaryAddress: Type.Optional(Type.Union([AddressInput, Type.Null()])),
  notes: Type.Optional(Nullable(Type.String({ maxLength: 20000 }))),
  vip: Type.Optional(Type.Boolean()),
  draft: Type.Optional(
    Type.Boolean({ description: 'a draft may be incomplete; it is left out of screen-pop matching' }),
  ),
  customFields: Type.Optional(CustomFieldValues),
  tags: Type.Optional(TagsInput),
};

export const CustomerCreate = Type.Object(
  {
    accountNumber: Type.Optional(
      Type.String({ pattern: ACCOUNT_NUMBER_PATTERN, description: 'generated when absent (imports bring their own)' }),
    ),
    ...writable,
  },
  { additionalProperties: false },
);
export type CustomerCreate = Static<typeof CustomerCreate>;

export const CustomerPatch = Type.Object(
  {
    ...writable,
    accountNumber: Type.Optional(Type.String({ maxLength: 40, description: 'immutable: accepted only unchanged' })),
    version: Type.Optional(Type.Integer({ description: 'the version read (or If-Match)' })),
  },
  { additionalProperties: false },
);
export type CustomerPatch = Static<typeof CustomerPatch>;

export const Customer = Type.Object({
  id: Type.String(),
  accountNumber: Type.String(),
  firstName: Type.Union([Type.String(), Type.Null()]),
  lastName: Type.Union([Type.String(), Type.Null()]),
  displayName: Type.String(),
  company: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  phones: Type.Array(Phone),
  primaryAddress: Type.Union([Address, Type.Null()]),
  secondaryAddress: Type.Union([Address, Type.Null()]),
  notes: Type.Union([Type.String(), Type.Null()]),
  vip: Type.Boolean(),
  draft: Type.Boolean(),
  customFields: CustomFieldValues,
  tags: Type.Array(Type.String(), { description: 'lower-case labels, in the order they were added' }),
  version: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Customer = Static<typeof Customer>;

/** What a lookup (screen pop) answers per match: compact, no notes or addresses. */
export const CustomerSummary = Type.Object({
  id: Type.String(),
  accountNumber: Type.String(),
  displayName: Type.String(),
  vip: Type.Boolean(),
  email: Type.Union([Type.String(), Type.Null()]),
  phones: Type.Array(
    Type.Object({ type: Type.String(), number: Type.String(), e164: Type.Union([Type.String(), Type.Null()]) }),
  ),
});
export type CustomerSummary = Static<typeof CustomerSummary>;

export const SORTS = ['name', '-name', 'created', '-created', 'updated', '-updated', 'relevance'] as const;
export type Sort = (typeof SORTS)[number];

export const CustomerQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'fuzzy name/company, prefix of email, account number or last name, phone digits (≥ 4)',
      }),
    ),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'any format' })),
    accountNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    postalCode: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    draft: Type.Optional(Type.Boolean()),
    vip: Type.Optional(Type.Boolean()),
    tag: TagFilter,
    sort: Type.Optional(
      Type.Unsafe<Sort>({
        type: 'string',
        enum: [...SORTS],
        description: 'default: relevance with q, else name; "-" for descending',
      }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false, ...customFieldFilterQuery, description: CUSTOM_FIELD_FILTER_DOC },
);
export type CustomerQuery = Static<typeof CustomerQuery>;

/** The one history entry schema (src/modules/history/schema.ts), under the name customers' routes use. */
export { HistoryEntry as HistoryEntrySchema } from '../history/schema.js';

/** Per-user preferences: key → JSON value; `customers.columns` and `cases.columns` are those lists' columns, in order. */
export const CUSTOMER_COLUMNS = [
  'accountNumber',
  'name',
  'firstName',
  'lastName',
  'company',
  'email',
  'phone',
  'city',
  'region',
  'postalCode',
  'country',
  'vip',
  'tags',
  'draft',
  'createdAt',
  'updatedAt',
] as const;

export const Preferences = Type.Record(Type.String(), Type.Unknown());
const PREFERENCE_KEY = '^[a-z][A-Za-z0-9]*(\\.[A-Za-z0-9]+){0,3}$';
export const PreferencesPut = Type.Record(
  Type.String({ pattern: PREFERENCE_KEY, maxLength: 100 }),
  Type.Unknown({ 'x-maxDepth': 8, description: 'any JSON value nesting at most 8 deep, at most 8,192 bytes' }),
  {
    maxProperties: 50,
    additionalProperties: false,
    // A record's key schema becomes patternProperties, which cannot bound the length: propertyNames does.
    propertyNames: { type: 'string', pattern: PREFERENCE_KEY, maxLength: 100 },
    description: 'keys to set (at most 100 characters); a null value removes the key',
  },
);
