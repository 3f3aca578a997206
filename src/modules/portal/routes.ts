import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, AppContext } from '../../context.js';
import { actorOf } from '../../http/auth.js';
import { Forbidden, Unauthenticated } from '../../http/errors.js';
import { PageOf } from '../../http/pagination.js';
import { IdParams, Problem, NoContent, AcceptedEmpty } from '../../http/schemas.js';
import { versionRead } from '../../http/versions.js';
import { sendBytes } from '../email/routes.js';
import {
  PortalAccess,
  PortalAccessPut,
  PortalAccessSaved,
  PortalAttachmentParams,
  PortalCase,
  PortalCaseCreate,
  PortalCaseParams,
  PortalFollowUp,
  PortalListQuery,
  PortalLogin,
  PortalMe,
  PortalPasswordChange,
  PortalReply,
  PortalResetConfirm,
  PortalResetRequest,
} from './schema.js';
import { PORTAL_SESSION_IDLE_MINUTES, type PortalSession } from './service.js';
import { PortalCases } from './views.js';

const PORTAL_COOKIE = 'sb_portal';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Support Center routes (/api/portal): 'customer' needs a portal session
     * (cookie sb_portal, X-CSRF-Token on writes); 'anonymous' needs none. Staff
     * credentials (session cookie, API keys) mean nothing here.
     */
    portal?: 'customer' | 'anonymous';
  }
  interface FastifyRequest {
    portal: PortalSession | null;
  }
}

function portalOf(request: FastifyRequest): PortalSession {
  if (!request.portal) throw new Unauthenticated('Sign in to the Support Center');
  return request.portal;
}

/** Support Center routes (S1, S2): the agent's access switch, and the customer's own API under /api/portal. */
export async function registerPortalRoutes(app: App, ctx: AppContext): Promise<void> {
  const portal = ctx.services.portal;
  const views = new PortalCases({ cases: ctx.services.cases, email: ctx.services.email });

  // ---------------------------------------------------------------- the agent's side (staff auth)

  app.get(
    '/api/v1/customers/:id/portal-access',
    {
      config: { access: 'customers.view' },
      schema: {
        tags: ['support-center'],
        summary: "The customer's Support Center access",
        params: IdParams,
        response: { 200: PortalAccess, 404: Problem },
      },
    },
    async (request) => portal.getAccess(actorOf(request), request.params.id),
  );

  app.put(
    '/api/v1/customers/:id/portal-access',
    {
      config: { access: 'customers.edit' },
      schema: {
        tags: ['support-center'],
        summary:
          'Restrict access to the Support Center: enable or disable, set or generate a password; the sign-in details are emailed to the customer on save (sendCredentials, default true)',
        params: IdParams,
        body: PortalAccessPut,
        response: { 200: PortalAccessSaved, 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) =>
      portal.setAccess(actorOf(request), request.params.id, request.body, versionRead(request, request.body, false)),
  );

  ctx.jobs.every('portal-prune', 60 * 60_000, () => portal.prune());

  // ---------------------------------------------------------------- the customer's side

  await app.register(async (scope: App) => {
    scope.decorateRequest('portal', null);
    scope.addHook('onRequest', async (request) => {
      const mode = request.routeOptions.config?.portal;
      if (mode !== 'customer') return;
      const token = request.cookies?.[PORTAL_COOKIE];
      const session = token ? await portal.session(token) : null;
      if (!session) throw new Unauthenticated('Sign in to the Support Center');
      if (!SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== session.csrfToken) {
        throw new Forbidden('Missing or wrong X-CSRF-Token header');
      }
      request.portal = session;
    });

    const setCookie = (request: FastifyRequest, reply: FastifyReply, token: string) =>
      reply.setCookie(PORTAL_COOKIE, token, {
        path: '/api/portal',
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        maxAge: PORTAL_SESSION_IDLE_MINUTES * 60,
      });
    const clearCookie = (reply: FastifyReply) => reply.clearCookie(PORTAL_COOKIE, { path: '/api/portal' });
    const tags = ['support-center (customers)'];
    const anonymous = { access: 'public' as const, portal: 'anonymous' as const, csrfExempt: true };
    const customer = { access: 'public' as const, portal: 'customer' as const };
    const meOf = async (s: PortalSession) => {
      const c = await portal.me(s);
      return {
        customer: { accountNumber: c.accountNumber, displayName: c.displayName, email: c.email },
        csrfToken: s.csrfToken,
      };
    };

    scope.post(
      '/api/portal/login',
      {
        config: anonymous,
        schema: {
          tags,
          summary: 'A customer signs in with account number (or email) and password; sets the portal cookie',
          body: PortalLogin,
          response: { 200: PortalMe, 401: Problem, 429: Problem },
        },
      },
      async (request, reply) => {
        const r = await portal.login(request.body.login, request.body.password, request.ip);
        setCookie(request, reply, r.token);
        return {
          customer: {
            accountNumber: r.customer.accountNumber,
            displayName: r.customer.displayName,
            email: r.customer.email,
          },
          csrfToken: r.csrfToken,
        };
      },
    );

    scope.post(
      '/api/portal/logout',
      { config: customer, schema: { tags, summary: 'Sign out of the Support Center', response: { 204: NoContent } } },
      async (request, reply) => {
        await portal.logout(portalOf(request));
        clearCookie(reply);
        return reply.status(204).send(null);
      },
    );

    scope.get(
      '/api/portal/me',
      { config: customer, schema: { tags, summary: 'The signed-in customer', response: { 200: PortalMe } } },
      async (request) => meOf(portalOf(request)),
    );

    scope.post(
      '/api/portal/password',
      {
        config: customer,
        schema: {
          tags,
          summary: 'Change my password (signs out everywhere)',
          body: PortalPasswordChange,
          response: { 204: NoContent, 400: Problem },
        },
      },
      async (request, reply) => {
        await portal.changePassword(portalOf(request), request.body.currentPassword, request.body.newPassword);
        clearCookie(reply);
        return reply.status(204).send(null);
      },
    );

    scope.post(
      '/api/portal/password-reset',
      {
        config: anonymous,
        schema: {
          tags,
          summary: 'Email me a link to reset my password (the same answer whether or not the account exists)',
          body: PortalResetRequest,
          response: { 202: AcceptedEmpty, 400: Problem },
        },
      },
      async (request, reply) => {
        await portal.requestReset(request.body.login, request.ip);
        return reply.status(202).send(null);
      },
    );

    scope.post(
      '/api/portal/password-reset/confirm',
      {
        config: anonymous,
        schema: {
          tags,
          summary: 'Set a new password with the token from the reset email (once, before it expires)',
          body: PortalResetConfirm,
          response: { 204: Type.Null(), 400: Problem },
        },
      },
      async (request, reply) => {
        await portal.confirmReset(request.body.token, request.body.password);
        return reply.status(204).send(null);
      },
    );

    scope.get(
      '/api/portal/cases',
      {
        config: customer,
        schema: {
          tags,
          summary: 'My public cases, most recently updated first',
          querystring: PortalListQuery,
          response: { 200: PageOf(PortalCase) },
        },
      },
      async (request) => views.list(await portal.me(portalOf(request)), request.query),
    );

    scope.post(
      '/api/portal/cases',
      {
        config: customer,
        schema: { tags, summary: 'Open a case', body: PortalCaseCreate, response: { 201: PortalCase, 400: Problem } },
      },
      async (request, reply) =>
        reply.status(201).send(await views.open(await portal.me(portalOf(request)), request.body)),
    );

    scope.get(
      '/api/portal/cases/:id',
      {
        config: customer,
        schema: {
          tags,
          summary: 'One of my cases',
          params: PortalCaseParams,
          response: { 200: PortalCase, 404: Problem },
        },
      },
      async (request) => views.get(await portal.me(portalOf(request)), request.params.id),
    );

    scope.get(
      '/api/portal/cases/:id/follow-ups',
      {
        config: customer,
        schema: {
          tags,
          summary: 'The public follow-ups of one of my cases, oldest first',
          params: PortalCaseParams,
          querystring: PortalListQuery,
          response: { 200: PageOf(PortalFollowUp), 404: Problem },
        },
      },
      async (request) => views.followUps(await portal.me(portalOf(request)), request.params.id, request.query),
    );

    scope.post(
      '/api/portal/cases/:id/replies',
      {
        config: customer,
        schema: {
          tags,
          summary: 'Reply on one of my cases (a closed case reopens as the reopen policy says)',
          params: PortalCaseParams,
          body: PortalReply,
          response: { 201: Type.Object({ followUp: PortalFollowUp, case: PortalCase }), 404: Problem },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await views.reply(await portal.me(portalOf(request)), request.params.id, request.body.body)),
    );

    scope.get(
      '/api/portal/cases/:id/attachments/:attachmentId',
      {
        config: customer,
        schema: { tags, summary: 'An attachment of a public email on one of my cases', params: PortalAttachmentParams },
      },
      async (request, reply) => {
        const a = await views.attachment(
          await portal.me(portalOf(request)),
          request.params.id,
          request.params.attachmentId,
        );
        return sendBytes(reply, a.content, a.contentType, 'attachment', a.filename);
      },
    );
  });
}
