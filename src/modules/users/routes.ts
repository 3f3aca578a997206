import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { IdParams, NoContent, Problem } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import { registerAuthRoutes } from './auth-routes.js';
import { PRIVILEGES } from '../../http/privileges.js';
import {
  ApiKey,
  ApiKeyCreate,
  ApiKeyCreated,
  RolePrivileges,
  RolePrivilegesPut,
  DirectoryUser,
  User,
  UserCreate,
  UserPatch,
} from './schema.js';

export async function registerUserRoutes(app: App, ctx: AppContext): Promise<void> {
  const { users, auth } = ctx.services;

  await registerAuthRoutes(app, ctx);

  app.get(
    '/api/v1/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'All users (admin)',
        response: { 200: Type.Object({ items: Type.Array(User), nextCursor: Type.Null() }) },
      },
    },
    async (request) => ({ items: await users.list(actorOf(request)), nextCursor: null }),
  );

  app.get(
    '/api/v1/users/directory',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['users'],
        summary: 'Active users, names only (to assign cases and tasks)',
        response: {
          200: Type.Object({
            items: Type.Array(DirectoryUser),
          }),
        },
      },
    },
    async () => ({ items: await users.directory() }),
  );

  app.post(
    '/api/v1/users',
    {
      config: { access: 'admin' },
      schema: { tags: ['users'], summary: 'Create a user (admin)', body: UserCreate, response: { 201: User } },
    },
    async (request, reply) => reply.status(201).send(await users.create(actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/users/:id',
    { config: { access: 'admin' }, schema: { tags: ['users'], params: IdParams, response: { 200: User } } },
    async (request) => users.get(actorOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'Change a user (admin); disabling or a new password ends their sessions',
        params: IdParams,
        body: UserPatch,
        response: { 200: User },
      },
    },
    async (request) =>
      users.update(actorOf(request), request.params.id, request.body, versionRead(request, request.body, false)),
  );

  app.get(
    '/api/v1/roles',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'Privileges per role',
        response: { 200: Type.Object({ items: Type.Array(RolePrivileges), privileges: Type.Array(Type.String()) }) },
      },
    },
    async (request) => ({ items: await users.listRolePrivileges(actorOf(request)), privileges: [...PRIVILEGES] }),
  );

  app.put(
    '/api/v1/roles/:role',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: "Set a role's privileges",
        params: Type.Object({ role: Type.String() }),
        body: RolePrivilegesPut,
        response: { 200: RolePrivileges },
      },
    },
    async (request) =>
      users.setRolePrivileges(
        actorOf(request),
        request.params.role,
        { privileges: request.body.privileges, requireTwoFactor: request.body.requireTwoFactor },
        versionRead(request, request.body, false),
      ),
  );

  app.get(
    '/api/v1/api-keys',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['api-keys'],
        summary: 'My API keys (all, for an admin)',
        response: { 200: Type.Object({ items: Type.Array(ApiKey), nextCursor: Type.Null() }) },
      },
    },
    async (request) => ({ items: await auth.listApiKeys(actorOf(request)), nextCursor: null }),
  );

  app.post(
    '/api/v1/api-keys',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key; the key is shown once',
        body: ApiKeyCreate,
        response: { 201: ApiKeyCreated },
      },
    },
    async (request, reply) => reply.status(201).send(await auth.createApiKey(actorOf(request), request.body)),
  );

  app.delete(
    '/api/v1/api-keys/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key',
        params: IdParams,
        response: { 204: NoContent, 404: Problem },
      },
    },
    async (request, reply) => {
      await auth.revokeApiKey(actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
