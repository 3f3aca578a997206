import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, AppContext } from '../../context.js';
import { actorOf, SESSION_COOKIE } from '../../http/auth.js';
import { Invalid, Unauthenticated } from '../../http/errors.js';
import { IdParams, Problem } from '../../http/schemas.js';
import type { RequestInfo } from './auth-service.js';
import { SECOND_FACTOR } from './auth-service.js';
import { effectivePrivileges } from '../../http/privileges.js';
import {
  Login,
  Me,
  PasswordChange,
  PasswordConfirm,
  PasswordResetConfirm,
  PasswordResetRequest,
  RecoveryCodes,
  Revoked,
  SecondFactorAnswer,
  SecondFactorChallenge,
  SessionInfo,
  TwoFactorCode,
  TwoFactorSetup,
  TwoFactorStatus,
} from './schema.js';

const NoContent = Type.Null({ description: 'No content' });

/** The short-lived cookie between the password and the second factor (HttpOnly: scripts never see it). */
const CHALLENGE_COOKIE = 'sb_signin';
const CHALLENGE_PATH = '/api/v1/auth';

function infoOf(request: FastifyRequest): RequestInfo {
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
}

/** Sign-in, sign-out, password reset, the second factor and sessions: a person's own account. */
export async function registerAuthRoutes(app: App, ctx: AppContext): Promise<void> {
  const { auth } = ctx.services;
  const tags = ['auth'];
  const secure = (request: FastifyRequest) => request.protocol === 'https';

  const startSession = async (request: FastifyRequest, reply: FastifyReply, token: string, csrfToken: string) => {
    reply.setCookie(SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: secure(request),
      maxAge: ctx.config.sessionMaxHours * 3600,
    });
    const session = await auth.actorFromSession(token, { touch: false });
    if (!session) throw new Unauthenticated();
    return { ...(await meOf(ctx, session.actor.userId!)), csrfToken };
  };

  ctx.jobs.every('auth-prune', 10 * 60_000, () => auth.prune());

  app.post(
    '/api/v1/auth/login',
    {
      config: { access: 'public', csrfExempt: true },
      schema: {
        tags,
        summary:
          'Sign in with email and password: sets the session cookie, or (two-factor sign-in on) answers secondFactorRequired and a short-lived cookie for POST /api/v1/auth/login/second-factor',
        body: Login,
        response: { 200: Type.Union([Me, SecondFactorChallenge]), 401: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      const result = await auth.login(request.body.email, request.body.password, infoOf(request));
      if (result.kind === 'secondFactor') {
        reply.setCookie(CHALLENGE_COOKIE, result.challengeToken, {
          path: CHALLENGE_PATH,
          httpOnly: true,
          sameSite: 'strict',
          secure: secure(request),
          maxAge: SECOND_FACTOR.challengeMinutes * 60,
        });
        return { secondFactorRequired: true as const, methods: ['totp' as const, 'recoveryCode' as const] };
      }
      return startSession(request, reply, result.token, result.csrfToken);
    },
  );

  app.post(
    '/api/v1/auth/login/second-factor',
    {
      config: { access: 'public', csrfExempt: true },
      schema: {
        tags,
        summary:
          'The second step of sign-in: `code` (the authenticator app) or `recoveryCode`; sets the session cookie. 5 tries per sign-in',
        body: SecondFactorAnswer,
        response: { 200: Me, 400: Problem, 401: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      const token = request.cookies?.[CHALLENGE_COOKIE];
      if (!token) throw new Unauthenticated('Sign in with your password first');
      const { code, recoveryCode } = request.body;
      if (!code === !recoveryCode) {
        throw new Invalid([
          {
            field: code ? 'recoveryCode' : 'code',
            message: 'give the code of the app, or a recovery code (one of them)',
          },
        ]);
      }
      const result = await auth.completeSecondFactor(token, { code, recoveryCode }, infoOf(request));
      reply.clearCookie(CHALLENGE_COOKIE, { path: CHALLENGE_PATH });
      return startSession(request, reply, result.token, result.csrfToken);
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { access: 'authenticated', enrolment: true },
      schema: { tags, summary: 'Sign out (ends this session)', response: { 204: NoContent } },
    },
    async (request, reply) => {
      await auth.logout(actorOf(request));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/password-reset',
    {
      config: { access: 'public', csrfExempt: true },
      schema: {
        tags,
        summary:
          'Forgot password: emails a single-use link (30 minutes) to a staff address. The answer is the same whether or not the address has an account',
        body: PasswordResetRequest,
        response: { 202: Type.Object({ status: Type.Literal('accepted') }) },
      },
    },
    async (request, reply) => {
      await auth.requestPasswordReset(request.body.email, infoOf(request));
      return reply.status(202).send({ status: 'accepted' as const });
    },
  );

  app.post(
    '/api/v1/auth/password-reset/confirm',
    {
      config: { access: 'public', csrfExempt: true },
      schema: {
        tags,
        summary: 'Sets a new password with the token of the emailed link (once, within 30 minutes); every session ends',
        body: PasswordResetConfirm,
        response: { 204: NoContent, 400: Problem },
      },
    },
    async (request, reply) => {
      await auth.confirmPasswordReset(request.body.token, request.body.password, infoOf(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/me',
    {
      config: { access: 'authenticated', scopes: ['lookup'], enrolment: true },
      schema: { tags, summary: 'Who am I', response: { 200: Me } },
    },
    async (request) => {
      const actor = actorOf(request);
      return { ...(await meOf(ctx, actor.userId!)), privileges: [...actor.privileges], csrfToken: request.csrfToken };
    },
  );

  app.post(
    '/api/v1/me/password',
    {
      config: { access: 'authenticated', enrolment: true },
      schema: {
        tags,
        summary: 'Change my password (ends all my sessions)',
        body: PasswordChange,
        response: { 204: NoContent, 400: Problem },
      },
    },
    async (request, reply) => {
      await auth.changeOwnPassword(actorOf(request), request.body.currentPassword, request.body.newPassword);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  // ---------------------------------------------------------------- two-factor

  const own = { access: 'authenticated' as const, sessionOnly: true, enrolment: true };

  app.get(
    '/api/v1/me/two-factor',
    { config: own, schema: { tags, summary: 'My two-factor sign-in', response: { 200: TwoFactorStatus } } },
    async (request) => auth.twoFactorStatus(actorOf(request)),
  );

  app.post(
    '/api/v1/me/two-factor/setup',
    {
      config: own,
      schema: {
        tags,
        summary:
          'Start setting up an authenticator app: a new secret and its QR code (nothing changes until confirmed)',
        response: { 200: TwoFactorSetup, 409: Problem },
      },
    },
    async (request) => auth.startTwoFactor(actorOf(request)),
  );

  app.post(
    '/api/v1/me/two-factor/confirm',
    {
      config: own,
      schema: {
        tags,
        summary: 'Turn two-factor sign-in on with a first code from the app; answers the recovery codes (shown once)',
        body: TwoFactorCode,
        response: { 200: RecoveryCodes, 400: Problem, 409: Problem },
      },
    },
    async (request) => auth.confirmTwoFactor(actorOf(request), request.body.code),
  );

  app.post(
    '/api/v1/me/two-factor/disable',
    {
      config: { access: 'authenticated', sessionOnly: true },
      schema: {
        tags,
        summary: 'Turn two-factor sign-in off (needs my password)',
        body: PasswordConfirm,
        response: { 204: NoContent, 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      await auth.disableTwoFactor(actorOf(request), request.body.password);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/me/two-factor/recovery-codes',
    {
      config: { access: 'authenticated', sessionOnly: true },
      schema: {
        tags,
        summary: 'New recovery codes (needs my password); the old ones stop working',
        body: PasswordConfirm,
        response: { 200: RecoveryCodes, 400: Problem },
      },
    },
    async (request) => auth.regenerateRecoveryCodes(actorOf(request), request.body.password),
  );

  // ---------------------------------------------------------------- sessions

  const Sessions = Type.Object({ items: Type.Array(SessionInfo) });

  app.get(
    '/api/v1/me/sessions',
    {
      config: own,
      schema: { tags, summary: 'My signed-in sessions: device, address, last seen', response: { 200: Sessions } },
    },
    async (request) => ({ items: await auth.listSessions(actorOf(request)) }),
  );

  app.delete(
    '/api/v1/me/sessions/:id',
    {
      config: { access: 'authenticated', sessionOnly: true },
      schema: {
        tags,
        summary: 'End one of my sessions',
        params: IdParams,
        response: { 204: NoContent, 404: Problem },
      },
    },
    async (request, reply) => {
      await auth.revokeSession(actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/me/sessions/revoke-others',
    {
      config: { access: 'authenticated', sessionOnly: true },
      schema: { tags, summary: 'End all my sessions but this one', response: { 200: Revoked } },
    },
    async (request) => ({ revoked: await auth.revokeOtherSessions(actorOf(request)) }),
  );

  app.get(
    '/api/v1/users/:id/sessions',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: "A user's signed-in sessions (admin)",
        params: IdParams,
        response: { 200: Sessions, 404: Problem },
      },
    },
    async (request) => ({ items: await auth.listSessions(actorOf(request), request.params.id) }),
  );

  app.delete(
    '/api/v1/users/:id/sessions',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'End every session of a user (admin)',
        params: IdParams,
        response: { 200: Revoked, 404: Problem },
      },
    },
    async (request) => ({ revoked: await auth.revokeUserSessions(actorOf(request), request.params.id) }),
  );

  app.delete(
    '/api/v1/users/:id/two-factor',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: "Remove a user's authenticator (lost phone and recovery codes); their sessions end (admin)",
        params: IdParams,
        response: { 204: NoContent, 404: Problem },
      },
    },
    async (request, reply) => {
      await auth.resetTwoFactor(actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}

export async function meOf(ctx: AppContext, userId: string) {
  const row = (await ctx.services.users.findRowById(userId))!;
  const twoFactor = await ctx.services.auth.twoFactorStatusOf(userId);
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    role: row.role,
    privileges: effectivePrivileges(row.role, row.role_privileges, row.privileges),
    csrfToken: null as string | null,
    twoFactorEnabled: twoFactor.enabled,
    twoFactorEnrolmentRequired: twoFactor.required && !twoFactor.enabled,
  };
}
