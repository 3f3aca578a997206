import { Type, type Static } from '@sinclair/typebox';

export const CannedReply = Type.Object({
  id: Type.String(),
  title: Type.String(),
  body: Type.String({ description: 'the text, with placeholders such as {{customer.name}}' }),
  shared: Type.Boolean({ description: 'shared with everybody (true) or the caller’s own (false)' }),
  ownerId: Type.Union([Type.String(), Type.Null()], {
    description: 'the author of a personal reply; null when shared',
  }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  version: Type.Integer(),
});
export type CannedReply = Static<typeof CannedReply>;

const Title = Type.String({ minLength: 1, maxLength: 120, description: 'shown in the picker; unique per list' });
const Body = Type.String({ minLength: 1, maxLength: 20000 });

export const CannedReplyCreate = Type.Object(
  {
    title: Title,
    body: Body,
    shared: Type.Optional(
      Type.Boolean({ description: 'a shared reply (needs cannedReplies.manageShared); default: your own' }),
    ),
  },
  { additionalProperties: false },
);
export type CannedReplyCreate = Static<typeof CannedReplyCreate>;

export const CannedReplyPatch = Type.Object(
  {
    title: Type.Optional(Title),
    body: Type.Optional(Body),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'the version read (or If-Match)' })),
  },
  { additionalProperties: false },
);
export type CannedReplyPatch = Static<typeof CannedReplyPatch>;

export const CannedReplyListQuery = Type.Object(
  {
    scope: Type.Optional(
      Type.Union([Type.Literal('all'), Type.Literal('shared'), Type.Literal('personal')], {
        description: 'all (default): the shared ones and your own',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CannedReplyListQuery = Static<typeof CannedReplyListQuery>;

export const CannedReplyList = Type.Object({ items: Type.Array(CannedReply) });

export const CannedReplyRenderRequest = Type.Object(
  { caseId: Type.String({ description: 'the case the reply is for: fills {{case.*}} and {{customer.*}}' }) },
  { additionalProperties: false },
);
export type CannedReplyRenderRequest = Static<typeof CannedReplyRenderRequest>;

export const RenderedCannedReply = Type.Object({
  title: Type.String(),
  body: Type.String({ description: 'the text with every placeholder that has a value filled in' }),
  unfilled: Type.Array(Type.String(), {
    description: 'placeholders left as written: unknown names, or values the case or your access lacks',
  }),
});
export type RenderedCannedReply = Static<typeof RenderedCannedReply>;
