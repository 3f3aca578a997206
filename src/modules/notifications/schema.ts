import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.js';

const NOTIFICATION_KINDS = [
  'case.assigned',
  'case.unassigned',
  'case.reply',
  'mention',
  'reminder',
  'job.finished',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const Notification = Type.Object({
  id: Type.String(),
  kind: Type.Union(NOTIFICATION_KINDS.map((k) => Type.Literal(k))),
  recordType: Type.Union([Type.String(), Type.Null()]),
  recordId: Type.Union([Type.String(), Type.Null()]),
  title: Type.String(),
  payload: Type.Record(Type.String(), Type.Unknown()),
  readAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Notification = Static<typeof Notification>;

export const NotificationListQuery = Type.Object({
  ...PageQuery,
  unread: Type.Optional(Type.Boolean({ description: 'only the unread ones' })),
});
export type NotificationListQuery = Static<typeof NotificationListQuery>;

export const UnreadCount = Type.Object({ unread: Type.Integer() });

export const EmailPreferences = Type.Object(
  {
    emailKinds: Type.Array(Type.Union(NOTIFICATION_KINDS.map((k) => Type.Literal(k))), {
      maxItems: NOTIFICATION_KINDS.length,
      uniqueItems: true,
      description: `the kinds of notification also sent to me by email (${NOTIFICATION_KINDS.join(', ')}); empty: none`,
    }),
  },
  { additionalProperties: false },
);
export type EmailPreferences = Static<typeof EmailPreferences>;
