import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../context.js';
import { actorOf, SESSION_COOKIE } from '../../http/auth.js';
import { IdParams, Problem } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import { effectivePrivileges, PRIVILEGES } from '../../http/privileges.js';
import {
  ApiKey,
  ApiKeyCreate,
  ApiKeyCreated,
  Login,
  Me,
  PasswordChange,
  RolePrivileges,
  RolePrivilegesPut,
  User,
  UserCreate,
  UserPatch,
} from './schema.js';

export async function registerUserRoutes(app: App, ctx: AppContext): Promise<void> {
  const { users, auth } = ctx.services;
  const secureCookie = (proto: string) => proto === 'https';

  app.post(
    '/api/v1/auth/login',
    {
      config: { access: 'public', csrfExempt: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password; sets the session cookie',
        body: Login,
        response: { 200: Me, 401: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      const { token, csrfToken, userId } = await auth.login(request.body.email, request.body.password, request.ip);
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookie(request.protocol),
        maxAge: ctx.config.sessionIdleMinutes * 60,
      });
      const user = (await users.findRowById(userId))!;
      const me = await meOf(ctx, user.id);
      return { ...me, csrfToken };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    { config: { access: 'authenticated' }, schema: { tags: ['auth'], summary: 'Sign out (ends this session)' } },
    async (request, reply) => {
      const actor = actorOf(request);
      if (actor.sessionId) await auth.logout(actor.sessionId);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/me',
    {
      config: { access: 'authenticated', scopes: ['lookup'] },
      schema: { tags: ['auth'], summary: 'Who am I', response: { 200: Me } },
    },
    async (request) => {
      const actor = actorOf(request);
      return { ...(await meOf(ctx, actor.userId!)), privileges: [...actor.privileges], csrfToken: request.csrfToken };
    },
  );

  app.post(
    '/api/v1/me/password',
    {
      config: { access: 'authenticated' },
      schema: { tags: ['auth'], summary: 'Change my password (ends all my sessions)', body: PasswordChange },
    },
    async (request, reply) => {
      await auth.changeOwnPassword(actorOf(request), request.body.currentPassword, request.body.newPassword);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send();
    },
  );

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
            items: Type.Array(
              Type.Object({ id: Type.String(), name: Type.String(), email: Type.String(), role: Type.String() }),
            ),
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
        request.body.privileges,
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
      schema: { tags: ['api-keys'], summary: 'Revoke an API key', params: IdParams },
    },
    async (request, reply) => {
      await auth.revokeApiKey(actorOf(request), request.params.id);
      return reply.status(204).send();
    },
  );
}

async function meOf(ctx: AppContext, userId: string) {
  const row = (await ctx.services.users.findRowById(userId))!;
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    role: row.role,
    privileges: effectivePrivileges(row.role, row.role_privileges, row.privileges),
    csrfToken: null as string | null,
  };
}
