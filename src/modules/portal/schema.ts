import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.js';

const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const PortalPassword = Type.String({ minLength: 8, maxLength: 200 });

// ---------------------------------------------------------------- the agent's side

export const PortalAccess = Type.Object({
  customerId: Type.String(),
  enabled: Type.Boolean({ description: 'the customer may sign in to the Support Center' }),
  hasPassword: Type.Boolean(),
  lastSignInAt: Nullable(DateTime),
  passwordChangedAt: Nullable(DateTime),
  version: Type.Integer({ description: '0 while the customer never had access' }),
});
export type PortalAccess = Static<typeof PortalAccess>;

export const PortalAccessPut = Type.Object(
  {
    enabled: Type.Boolean(),
    password: Type.Optional(PortalPassword),
    generatePassword: Type.Optional(Type.Boolean({ description: 'make a password (shown once in the answer)' })),
    sendCredentials: Type.Optional(
      Type.Boolean({
        default: true,
        description: "email the sign-in details to the customer's address on save (default true)",
      }),
    ),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type PortalAccessPut = Static<typeof PortalAccessPut>;

export const PortalAccessSaved = Type.Intersect([
  PortalAccess,
  Type.Object({
    generatedPassword: Type.Optional(Type.String({ description: 'only when generatePassword was asked for' })),
    credentialsSent: Type.Boolean({ description: 'the credentials email was queued' }),
    mailRelayConfigured: Type.Boolean({
      description:
        'whether outgoing mail can leave at all; when false a queued credentials email is not sent (give the customer the sign-in link yourself)',
    }),
    signInUrl: Type.String({ description: "the Support Center's sign-in address, to hand to the customer" }),
  }),
]);

// ---------------------------------------------------------------- the customer's side

export const PortalLogin = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 254, description: 'account number or email address' }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

export const PortalMe = Type.Object({
  customer: Type.Object({ accountNumber: Type.String(), displayName: Type.String(), email: Nullable(Type.String()) }),
  csrfToken: Type.String(),
});

export const PortalPasswordChange = Type.Object(
  { currentPassword: Type.String({ maxLength: 200 }), newPassword: PortalPassword },
  { additionalProperties: false },
);

export const PortalResetRequest = Type.Object(
  { login: Type.String({ minLength: 1, maxLength: 254 }) },
  { additionalProperties: false },
);

export const PortalResetConfirm = Type.Object(
  { token: Type.String({ minLength: 10, maxLength: 200 }), password: PortalPassword },
  { additionalProperties: false },
);

export const PortalCase = Type.Object({
  id: Type.String(),
  caseNumber: Type.Integer(),
  subject: Type.String(),
  description: Type.String(),
  status: Type.String(),
  isOpen: Type.Boolean(),
  channel: Type.String(),
  openedAt: DateTime,
  closedAt: Nullable(DateTime),
  updatedAt: DateTime,
});
export type PortalCase = Static<typeof PortalCase>;

const PortalAttachment = Type.Object({
  id: Type.String(),
  filename: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  url: Type.String(),
});

export const PortalFollowUp = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  direction: Nullable(Type.String()),
  body: Type.String(),
  author: Type.Object({ type: Type.String(), name: Type.String() }),
  fromMe: Type.Boolean({ description: 'written by this customer (in the Support Center or by email)' }),
  email: Type.Union([
    Type.Object({
      from: Type.Optional(Type.String()),
      to: Type.Optional(Type.Array(Type.String())),
      cc: Type.Optional(Type.Array(Type.String())),
      subject: Type.Optional(Type.String()),
    }),
    Type.Null(),
  ]),
  attachments: Type.Array(PortalAttachment),
  createdAt: DateTime,
});
export type PortalFollowUp = Static<typeof PortalFollowUp>;

export const PortalCaseCreate = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 500 }),
    body: Type.String({ minLength: 1, maxLength: 100000 }),
  },
  { additionalProperties: false },
);
export type PortalCaseCreate = Static<typeof PortalCaseCreate>;

export const PortalReply = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: 100000 }) },
  { additionalProperties: false },
);

export const PortalListQuery = Type.Object({ ...PageQuery });

export const PortalCaseParams = Type.Object({ id: Type.String() });
export const PortalAttachmentParams = Type.Object({ id: Type.String(), attachmentId: Type.String() });
