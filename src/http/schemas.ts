import { Type } from '@sinclair/typebox';

/** RFC 9457 problem details, as every error answers. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true },
);

export const IdParams = Type.Object({ id: Type.String() });

/** A 204 answer (documented, so the OpenAPI document says what the server answers). */
export const NoContent = Type.Null({ description: 'No content' });
/** A 202 answer without a body: accepted, done in the background. */
export const AcceptedEmpty = Type.Null({ description: 'Accepted' });
