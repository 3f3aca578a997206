import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.js';
import { FollowUp } from '../cases/schema.js';

const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Address = Type.String({ minLength: 3, maxLength: 254, description: 'a plain address: name@example.com' });

export const ReplyCreate = Type.Object(
  {
    body: Type.String({
      minLength: 1,
      maxLength: 200000,
      description: 'the plain text; with `html`, the plain-text part is derived from the HTML instead',
    }),
    html: Type.Optional(
      Type.String({
        maxLength: 400000,
        description:
          'rich text (bold, italic, lists, links): sanitised, sent as multipart/alternative with a plain-text part',
      }),
    ),
    attachmentIds: Type.Optional(
      Type.Array(Type.String({ maxLength: 100 }), {
        maxItems: 20,
        description: 'files uploaded first with POST /api/v1/cases/{id}/attachments, sent as MIME parts',
      }),
    ),
    to: Type.Optional(
      Type.Array(Address, { maxItems: 50, description: "default: the case's customer's email address" }),
    ),
    cc: Type.Optional(Type.Array(Address, { maxItems: 50 })),
    bcc: Type.Optional(Type.Array(Address, { maxItems: 50 })),
    subject: Type.Optional(
      Type.String({
        maxLength: 500,
        description: 'default: "Re: <case subject>"; the case number tag [#<caseNumber>] is added when missing',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ReplyCreate = Static<typeof ReplyCreate>;

export const Delivery = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('failed')], {
    description: 'queued (waiting or retrying), sent (the relay accepted it), failed (given up)',
  }),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  nextAttemptAt: Nullable(DateTime),
  sentAt: Nullable(DateTime),
  notSentReason: Nullable(
    Type.String({
      description:
        'set while the message cannot be sent, e.g. "no mail relay configured" (SMTP_RELAY_URL is not set: it stays queued)',
    }),
  ),
});
export type Delivery = Static<typeof Delivery>;

export const EmailStatus = Type.Object({
  relayConfigured: Type.Boolean({
    description: 'whether SMTP_RELAY_URL is set; without it outgoing mail stays queued and nothing is sent',
  }),
  outbox: Type.Object({
    queued: Type.Integer({ description: 'waiting to be sent, or waiting for a retry' }),
    sent: Type.Integer({ description: 'accepted by the relay' }),
    failed: Type.Integer({ description: 'given up' }),
  }),
  oldestQueuedAt: Nullable(DateTime),
});
export type EmailStatus = Static<typeof EmailStatus>;

export const ReplyCreated = Type.Object({ followUp: FollowUp, delivery: Delivery });

const AttachmentInfo = Type.Object({
  id: Type.String(),
  filename: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  inline: Type.Boolean(),
  omitted: Type.Boolean({ description: 'too large to keep apart; the raw message (view source) still has it' }),
  url: Nullable(Type.String()),
});

export const UploadedAttachment = Type.Object({
  id: Type.String(),
  caseId: Type.String(),
  followUpId: Nullable(Type.String({ description: 'null while pending (not yet sent with a follow-up)' })),
  filename: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  url: Type.String({ description: 'download (always as an attachment)' }),
  createdAt: DateTime,
  expiresAt: Nullable(DateTime),
});
export type UploadedAttachment = Static<typeof UploadedAttachment>;

export const UploadedAttachments = Type.Object({ items: Type.Array(UploadedAttachment) });

export const EmailDetails = Type.Object({
  followUpId: Type.String(),
  direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
  messageId: Nullable(Type.String()),
  inReplyTo: Nullable(Type.String()),
  references: Type.Array(Type.String()),
  subject: Nullable(Type.String()),
  text: Nullable(Type.String()),
  html: Nullable(
    Type.String({ description: 'sanitised; remote images blocked unless remoteImages=show was asked for' }),
  ),
  remoteImagesBlocked: Type.Boolean(),
  attachments: Type.Array(AttachmentInfo),
  delivery: Type.Union([Delivery, Type.Null()]),
  receivedAt: DateTime,
});

export const EmailDetailsQuery = Type.Object({
  remoteImages: Type.Optional(Type.Union([Type.Literal('block'), Type.Literal('show')], { default: 'block' })),
});

export const FollowUpParams = Type.Object({ id: Type.String(), followUpId: Type.String() });

export const InboundQuery = Type.Object({
  mailFrom: Type.Optional(Type.String({ maxLength: 320, description: 'the SMTP envelope sender, when known' })),
  rcptTo: Type.Optional(
    Type.String({
      maxLength: 20000,
      description: 'the SMTP envelope recipients, comma-separated: those not in To/Cc are kept as Bcc',
    }),
  ),
});

export const InboundResult = Type.Object({
  outcome: Type.Union([
    Type.Literal('created'),
    Type.Literal('followUp'),
    Type.Literal('duplicate'),
    Type.Literal('quarantined'),
  ]),
  caseId: Type.Optional(Nullable(Type.String())),
  caseNumber: Type.Optional(Type.Integer()),
  followUpId: Type.Optional(Nullable(Type.String())),
  customerId: Type.Optional(Type.String()),
  customerCreated: Type.Optional(Type.Boolean()),
  reopened: Type.Optional(Type.Boolean()),
  quarantineId: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
});

export const QuarantineItem = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('held'), Type.Literal('resolved')]),
  reason: Type.String(),
  source: Type.String(),
  envelope: Type.Record(Type.String(), Type.Unknown()),
  subject: Nullable(Type.String()),
  from: Nullable(Type.String()),
  size: Type.Integer(),
  deliveries: Type.Integer(),
  attempts: Type.Integer(),
  resolvedCaseId: Nullable(Type.String()),
  resolvedFollowUpId: Nullable(Type.String()),
  receivedAt: DateTime,
  updatedAt: DateTime,
});
export type QuarantineItem = Static<typeof QuarantineItem>;

export const QuarantineQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(Type.Union([Type.Literal('held'), Type.Literal('resolved')], { default: 'held' })),
});

export const OutboxItem = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  caseId: Nullable(Type.String()),
  followUpId: Nullable(Type.String()),
  messageId: Type.String(),
  to: Type.Array(Type.String()),
  cc: Type.Array(Type.String()),
  bcc: Type.Array(Type.String()),
  subject: Type.String(),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  nextAttemptAt: Nullable(DateTime),
  sentAt: Nullable(DateTime),
  createdAt: DateTime,
});
export type OutboxItem = Static<typeof OutboxItem>;

export const OutboxQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('failed')])),
});
