import { Type, type Static } from '@sinclair/typebox';
import { PRIVILEGES, ROLES, type Privilege, type Role } from '../../http/privileges.js';

export const RoleSchema = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });
export const PrivilegeSchema = Type.Unsafe<Privilege>({ type: 'string', enum: [...PRIVILEGES] });

export const EmailSchema = Type.String({ format: 'email', maxLength: 254 });
export const PasswordSchema = Type.String({ minLength: 8, maxLength: 256 });

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
});

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
    scope: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('lookup')])),
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
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const ApiKeyCreated = Type.Intersect([ApiKey, Type.Object({ key: Type.String({ description: 'shown once' }) })]);

export const RolePrivileges = Type.Object({
  role: RoleSchema,
  privileges: Type.Array(PrivilegeSchema),
  version: Type.Integer(),
});
export const RolePrivilegesPut = Type.Object(
  { privileges: Type.Array(PrivilegeSchema, { uniqueItems: true }), version: Type.Optional(Type.Integer()) },
  { additionalProperties: false },
);
