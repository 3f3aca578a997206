import { Type } from '@sinclair/typebox';
import { RETENTION_MAX_MONTHS, RETENTION_MIN_MONTHS } from './retention.js';

/** The answer to an erasure: what it changed, or that it had been done before. */
export const Erasure = Type.Object({
  customerId: Type.String(),
  erasedAt: Type.String({ format: 'date-time' }),
  alreadyErased: Type.Boolean({ description: 'true: erased before; nothing was changed now' }),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'rows changed or deleted, by kind' }),
});

/** The erasure record of a customer (who, when, why), or null when the customer was never erased. */
export const ErasureRecord = Type.Object({
  erasure: Type.Union([
    Type.Object({
      erasedAt: Type.String({ format: 'date-time' }),
      erasedBy: Type.String({ description: 'the name of the staff member who erased the customer' }),
      reason: Type.String(),
    }),
    Type.Null(),
  ]),
});

export const Retention = Type.Object({
  closedCaseMonths: Type.Union([Type.Integer(), Type.Null()], {
    description: `closed cases are erased (with their follow-ups and emails) this many months after closing, by an hourly job (${RETENTION_MIN_MONTHS}–${RETENTION_MAX_MONTHS}); null keeps them for ever`,
  }),
  version: Type.Integer(),
});

export const RetentionPut = Type.Object(
  {
    closedCaseMonths: Type.Union([
      Type.Integer({ minimum: RETENTION_MIN_MONTHS, maximum: RETENTION_MAX_MONTHS }),
      Type.Null(),
    ]),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
