import { Type, type Static } from '@sinclair/typebox';
import { PRIVILEGES, ROLES, type Privilege, type Role } from '../../http/privileges.js';

const RoleSchema = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });
const PrivilegeSchema = Type.Unsafe<Privilege>({ type: 'string', enum: [...PRIVILEGES] });

const EmailSchema = Type.String({ format: 'email', maxLength: 254 });
const PasswordSchema = Type.String({
  minLength: 8,
  maxLength: 128,
  description: '8 to 128 characters; common, breached and easily guessed passwords are refused',
});

export const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  firstName: Type.String(),
  lastName: Type.String(),
  role: RoleSchema,
  privileges: Type.Array(PrivilegeSchema, { description: 'effective privileges' }),
  privilegesOverride: Type.Boolean({
    description: 'true when the user has an explicit list instead of the role default',
  }),
  disabled: Type.Boolean(),
  version: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type User = Static<typeof User>;

export const UserCreate = Type.Object(
  {
    email: EmailSchema,
    password: PasswordSchema,
    firstName: Type.Optional(Type.String({ maxLength: 100 })),
    lastName: Type.Optional(Type.String({ maxLength: 100 })),
    role: RoleSchema,
    privileges: Type.Optional(Type.Union([Type.Array(PrivilegeSchema, { uniqueItems: true }), Type.Null()])),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UserCreate = Static<typeof UserCreate>;

export const UserPatch = Type.Object(
  {
    email: Type.Optional(EmailSchema),
    password: Type.Optional(PasswordSchema),
    firstName: Type.Optional(Type.String({ maxLength: 100 })),
    lastName: Type.Optional(Type.String({ maxLength: 100 })),
    role: Type.Optional(RoleSchema),
    privileges: Type.Optional(Type.Union([Type.Array(PrivilegeSchema, { uniqueItems: true }), Type.Null()])),
    disabled: Type.Optional(Type.Boolean()),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type UserPatch = Static<typeof UserPatch>;

export const Me = Type.Object({
  id: Type.String(),
  email: Type.String(),
  firstName: Type.String(),
  lastName: Type.String(),
  role: RoleSchema,
  privileges: Type.Array(PrivilegeSchema),
  csrfToken: Type.Union([Type.String(), Type.Null()]),
  twoFactorEnabled: Type.Boolean(),
  twoFactorEnrolmentRequired: Type.Boolean({
    description: 'the role requires two-factor sign-in and none is set up: only the set-up (and sign-out) is open',
  }),
});

export const SecondFactorChallenge = Type.Object({
  secondFactorRequired: Type.Literal(true),
  methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('recoveryCode')])),
});

export const SecondFactorAnswer = Type.Object(
  {
    code: Type.Optional(Type.String({ minLength: 6, maxLength: 12, description: 'the 6-digit code of the app' })),
    recoveryCode: Type.Optional(Type.String({ minLength: 8, maxLength: 40, description: 'one of the recovery codes' })),
  },
  { additionalProperties: false },
);

export const PasswordResetRequest = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }) },
  { additionalProperties: false },
);
export const PasswordResetConfirm = Type.Object(
  { token: Type.String({ minLength: 10, maxLength: 200 }), password: PasswordSchema },
  { additionalProperties: false },
);

export const TwoFactorStatus = Type.Object({
  enabled: Type.Boolean(),
  required: Type.Boolean({ description: 'the role requires it' }),
  recoveryCodesLeft: Type.Integer(),
});
export const TwoFactorSetup = Type.Object({
  secret: Type.String({ description: 'base32, for typing into the app by hand' }),
  otpauthUri: Type.String(),
  qrCode: Type.String({ description: 'the otpauth URI as a QR code (an SVG data URL)' }),
});
export const TwoFactorCode = Type.Object(
  { code: Type.String({ minLength: 6, maxLength: 12 }) },
  { additionalProperties: false },
);
export const PasswordConfirm = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export const RecoveryCodes = Type.Object({
  recoveryCodes: Type.Array(Type.String(), { description: 'shown once; each works once' }),
});

export const SessionInfo = Type.Object({
  id: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  device: Type.String(),
  current: Type.Boolean({ description: 'the session making this request' }),
});
export const Revoked = Type.Object({ revoked: Type.Integer() });

export const Login = Type.Object(
  { email: Type.String({ maxLength: 254, minLength: 1 }), password: Type.String({ maxLength: 256, minLength: 1 }) },
  { additionalProperties: false },
);

export const PasswordChange = Type.Object(
  { currentPassword: Type.String({ maxLength: 256 }), newPassword: PasswordSchema },
  { additionalProperties: false },
);

export const ApiKeyCreate = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 100 })),
    scope: Type.Optional(
      Type.Union([Type.Literal('full'), Type.Literal('lookup'), Type.Literal('email.ingest')], {
        description:
          'full: acts as the user; lookup: screen-pop lookups only; email.ingest: the email intake only (admin)',
      }),
    ),
    userId: Type.Optional(Type.String({ description: 'admin only: create the key for another user' })),
  },
  { additionalProperties: false },
);

export const ApiKey = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'written at most once a minute',
  }),
  lastUsedIp: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const ApiKeyCreated = Type.Intersect([ApiKey, Type.Object({ key: Type.String({ description: 'shown once' }) })]);

export const RolePrivileges = Type.Object({
  role: RoleSchema,
  privileges: Type.Array(PrivilegeSchema),
  requireTwoFactor: Type.Boolean({ description: "the role's users must sign in with a second factor" }),
  version: Type.Integer(),
});
export const RolePrivilegesPut = Type.Object(
  {
    privileges: Type.Array(PrivilegeSchema, { uniqueItems: true }),
    requireTwoFactor: Type.Optional(Type.Boolean()),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

/** An active user as everyone may see them (`GET /api/v1/users/directory`: to assign cases and tasks). */
export const DirectoryUser = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.String(),
  role: Type.String(),
});
