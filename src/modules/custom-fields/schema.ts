import { Type, type Static } from '@sinclair/typebox';
import { KEY_PATTERN, OBJECT_TYPES, type CustomFieldObjectType } from './tables.js';
import { FIELD_TYPES, type FieldType } from './values.js';

/** Custom field definitions' API shapes (docs/api.md `/api/v1/custom-fields`). */
export const MAX_ACTIVE_FIELDS = 64;
/** Active and retired together, per object type: every field may carry indexes on the owning table. */
export const MAX_FIELDS = 200;
const MAX_OPTIONS = 500;

const OPTION_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$';

const ObjectTypeSchema = Type.Unsafe<CustomFieldObjectType>({
  type: 'string',
  enum: [...OBJECT_TYPES],
  description: 'the kind of record the field belongs to',
});
const FieldTypeSchema = Type.Unsafe<FieldType>({
  type: 'string',
  enum: [...FIELD_TYPES],
  description:
    'text (one line, ≤ 255), longText (≤ 10,000), number (whole, safe integer), decimal (≤ 15 significant digits), ' +
    'date (YYYY-MM-DD), dateTime (ISO 8601 with zone, stored in UTC), boolean, singlePick (an option key), ' +
    'multiPick (a list of option keys), phone (stored E.164), email (stored lower-case), url (http/https)',
});

const OptionInput = Type.Object(
  {
    key: Type.String({ pattern: OPTION_KEY_PATTERN, description: 'stable: what records store' }),
    label: Type.String({ minLength: 1, maxLength: 64 }),
    retired: Type.Optional(
      Type.Boolean({ description: 'kept readable on records that hold it; refused as a new value' }),
    ),
  },
  { additionalProperties: false },
);
type OptionInput = Static<typeof OptionInput>;

export const Option = Type.Object({ key: Type.String(), label: Type.String(), retired: Type.Boolean() });

const Label = Type.String({ minLength: 1, maxLength: 32 });
const HelpText = Type.String({ maxLength: 500 });
const Options = Type.Array(OptionInput, {
  maxItems: MAX_OPTIONS,
  description: 'pick lists only, in display order; an option is never removed once records hold it (retire it)',
});
const DefaultValue = Type.Unknown({
  description: 'applied on create when the record names no value; validated like a value of the field; null: none',
});
const Order = Type.Integer({ minimum: 0, maximum: 100000, description: 'display order (ascending)' });

export const CustomField = Type.Object(
  {
    id: Type.String(),
    objectType: ObjectTypeSchema,
    key: Type.String({ description: 'stable key in every record\u2019s customFields' }),
    label: Type.String(),
    helpText: Type.String(),
    type: FieldTypeSchema,
    options: Type.Array(Option),
    required: Type.Boolean({ description: 'a value is needed on create (drafts excepted) and cannot be cleared' }),
    default: DefaultValue,
    unique: Type.Boolean({ description: 'customers only: no two customers hold the same value' }),
    filterable: Type.Boolean({ description: 'usable as ?cf.<key>= list filter; index-backed' }),
    searchable: Type.Boolean({ description: "part of the list's q search (text-like types)" }),
    order: Type.Integer(),
    retired: Type.Boolean({ description: 'hidden from forms; values kept and readable; refuses new values' }),
    version: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'An administrator-defined field of one object type' },
);
export type CustomField = Static<typeof CustomField>;

export const CustomFieldCreate = Type.Object(
  {
    objectType: ObjectTypeSchema,
    key: Type.String({ pattern: KEY_PATTERN, description: 'a letter, then letters, digits or _ (≤ 40)' }),
    label: Label,
    helpText: Type.Optional(HelpText),
    type: FieldTypeSchema,
    options: Type.Optional(Options),
    required: Type.Optional(Type.Boolean()),
    default: Type.Optional(DefaultValue),
    unique: Type.Optional(Type.Boolean()),
    filterable: Type.Optional(Type.Boolean()),
    searchable: Type.Optional(Type.Boolean()),
    order: Type.Optional(Order),
    retired: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CustomFieldCreate = Static<typeof CustomFieldCreate>;

export const CustomFieldPatch = Type.Object(
  {
    objectType: Type.Optional(ObjectTypeSchema),
    key: Type.Optional(Type.String({ maxLength: 40, description: 'immutable: accepted only unchanged' })),
    label: Type.Optional(Label),
    helpText: Type.Optional(HelpText),
    type: Type.Optional(FieldTypeSchema),
    options: Type.Optional(Options),
    required: Type.Optional(Type.Boolean()),
    default: Type.Optional(DefaultValue),
    unique: Type.Optional(Type.Boolean()),
    filterable: Type.Optional(Type.Boolean()),
    searchable: Type.Optional(Type.Boolean()),
    order: Type.Optional(Order),
    retired: Type.Optional(Type.Boolean()),
    version: Type.Optional(Type.Integer({ description: 'the version read (or If-Match)' })),
  },
  { additionalProperties: false },
);
export type CustomFieldPatch = Static<typeof CustomFieldPatch>;

export const CustomFieldListQuery = Type.Object(
  {
    objectType: Type.Optional(ObjectTypeSchema),
    retired: Type.Optional(Type.Boolean({ description: 'false: active fields only; true: retired only' })),
  },
  { additionalProperties: false },
);

export const CustomFieldDeleteQuery = Type.Object(
  {
    confirm: Type.Optional(
      Type.Boolean({ description: 'needed when records hold values: they are removed with the field' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The `customFields` object of a record, as the customers, cases, follow-ups and
 * tasks schemas carry it: keys are the fields' keys, values their typed values.
 */
export const CustomFieldValues = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
  description:
    'Custom field values: {key: value}, validated against GET /api/v1/custom-fields for the object type. ' +
    'Types: text/longText/email/url/phone → string (phone normalised to E.164, email lower-cased), ' +
    'number/decimal → number, date → "YYYY-MM-DD", dateTime → ISO 8601 (stored UTC), boolean, ' +
    'singlePick → option key, multiPick → list of option keys. On create, defaults fill missing keys; ' +
    'on update only the keys sent change and null clears a value. Unknown keys are refused; errors name ' +
    '"customFields.<key>". Retired fields keep their values (readable) but take no new ones.',
});

/** Query parameters of list filters: `cf.<key>` (equality) and `cf.<key>.gte|gt|lte|lt` (ranges). */
const CUSTOM_FIELD_FILTER_PATTERN = '^cf\\.[a-z][a-zA-Z0-9_]{0,39}(\\.(gte|gt|lte|lt))?$';
const CustomFieldFilterValue = Type.Union([
  Type.String({ maxLength: 300 }),
  Type.Array(Type.String({ maxLength: 300 }), { maxItems: 50 }),
]);

/**
 * Spread into a list's querystring schema options to accept custom field filters:
 * `Type.Object({...}, { additionalProperties: false, ...customFieldFilterQuery })`.
 */
export const customFieldFilterQuery = {
  patternProperties: { [CUSTOM_FIELD_FILTER_PATTERN]: CustomFieldFilterValue },
};

export const CUSTOM_FIELD_FILTER_DOC =
  'Custom field filters (filterable fields): cf.<key>=<value> (equality; repeat the parameter for any of several ' +
  'values; multiPick: the record holds that option), and for number, decimal, date and dateTime fields ' +
  'cf.<key>.gte= / .gt= / .lte= / .lt= (ranges, combinable).';
