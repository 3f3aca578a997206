import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from './actor.js';
import { Forbidden, Unauthenticated } from './errors.js';
import type { Privilege } from './privileges.js';

/**
 * What a route needs: 'public' (no credentials), 'authenticated' (anyone signed
 * in or with a key), or one privilege. Every /api route must say, or the server
 * refuses to start: access is denied by default, never forgotten.
 */
export type Access = 'public' | 'authenticated' | Privilege;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** API key scopes besides 'full' that may call this route (e.g. 'lookup'). */
    scopes?: string[];
    /** Skips the CSRF check (sign-in, which has no session yet). */
    csrfExempt?: boolean;
    /** Not activity: calling it does not slide the session's idle expiry (the event stream). */
    passive?: boolean;
    /** Open to a user who must set up two-factor sign-in before anything else (me, sign-out, the set-up). */
    enrolment?: boolean;
    /** Only for a person signed in (a session), never an API key: their own sessions and second factor. */
    sessionOnly?: boolean;
  }
  interface FastifyRequest {
    actor: Actor | null;
    csrfToken: string | null;
  }
}

export const SESSION_COOKIE = 'sb_session';

/**
 * What the request hooks need to turn credentials into an actor (the users
 * module's AuthService provides it): http/ depends on this, not on the module.
 */
interface CredentialResolver {
  /** `touch` false: a passive call (the event stream) that must not slide the idle expiry. */
  actorFromSession(
    token: string,
    opts?: { touch?: boolean; ip?: string },
  ): Promise<{ actor: Actor; csrfToken: string } | null>;
  /** `fresh`: bypass any cache (a long-lived stream re-checking its key); `ip` for the key's last use. */
  actorFromApiKey(key: string, fresh?: boolean, opts?: { ip?: string }): Promise<Actor | null>;
}

/**
 * Scopes that are a grant of their own: a key limited to `email.ingest` may
 * call the intake route whatever its user's privileges (only an administrator
 * creates such a key), and nothing else.
 */
const GRANTING_SCOPES = new Set(['email.ingest']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The actor of a request on a route that requires one. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Unauthenticated();
  return request.actor;
}

/** A registered API route and what it requires (the privilege-matrix test walks this table). */
export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
  scopes: string[];
  /** Refused (403) to API keys. */
  sessionOnly: boolean;
}

export function registerAuth(app: FastifyInstance, auth: CredentialResolver): RouteAccess[] {
  app.decorateRequest('actor', null);
  app.decorateRequest('csrfToken', null);
  const routes: RouteAccess[] = [];

  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if (!url.startsWith('/api/v1') && !url.startsWith('/api/portal')) return;
    if (!route.config?.access) throw new Error(`route ${route.method} ${url} declares no access`);
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({
        method,
        url,
        access: route.config.access,
        scopes: route.config.scopes ?? [],
        sessionOnly: route.config.sessionOnly ?? false,
      });
    }
  });

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    const access = config?.access;
    if (!access || access === 'public') return;

    const header = request.headers.authorization;
    let viaCookie = false;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      request.actor = m ? await auth.actorFromApiKey(m[1], false, { ip: request.ip }) : null;
      if (!request.actor) throw new Unauthenticated('The API key is not valid');
    } else {
      const token = request.cookies?.[SESSION_COOKIE];
      if (token) {
        const session = await auth.actorFromSession(token, { touch: !config.passive, ip: request.ip });
        if (session) {
          request.actor = session.actor;
          request.csrfToken = session.csrfToken;
          viaCookie = true;
        }
      }
    }
    if (!request.actor) throw new Unauthenticated();
    // A copy: API key actors are cached and shared by concurrent requests.
    const actor: Actor = { ...request.actor, ip: request.ip, userAgent: request.headers['user-agent'] };
    request.actor = actor;

    if (viaCookie && !SAFE_METHODS.has(request.method) && !config.csrfExempt) {
      if (request.headers['x-csrf-token'] !== request.csrfToken) {
        throw new Forbidden('Missing or wrong X-CSRF-Token header');
      }
    }
    if (config.sessionOnly && actor.kind !== 'user') {
      throw new Forbidden('Only a person signed in to the console can do this, not an API key');
    }
    if (actor.mustEnrolTwoFactor && !config.enrolment) {
      throw new Forbidden('Set up two-factor sign-in first: your role requires it', {
        twoFactorEnrolmentRequired: true,
      });
    }
    if (!actor.scopes.includes('full') && !actor.scopes.some((s) => config.scopes?.includes(s))) {
      throw new Forbidden('This API key is limited to ' + actor.scopes.join(', '));
    }
    const grantedByScope = actor.scopes.some((s) => GRANTING_SCOPES.has(s) && config.scopes?.includes(s));
    if (access !== 'authenticated' && !grantedByScope && !actor.privileges.has(access)) {
      throw new Forbidden(`This needs the ${access} privilege`);
    }
  });
  return routes;
}
