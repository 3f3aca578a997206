import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * The Content-Security-Policy of every answer (console, Support Center, API,
 * API docs). Scripts only from this origin, never inline, never eval; no
 * plugins; no framing by anyone (frame-ancestors) — clickjacking is out.
 * Styles allow inline: an email's own styling inside the console's sandboxed
 * email frame (which inherits this policy), and style attributes of the API
 * docs; a style cannot run code. Images allow data: (the two-factor QR code)
 * and https: (an email's remote images, shown only when the agent asks).
 */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'https:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  frameSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** HSTS for a year once a request came over https (directly, or through a trusted proxy: TRUST_PROXY). */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Security headers (helmet): CSP above, X-Content-Type-Options nosniff,
 * Referrer-Policy no-referrer, X-Frame-Options DENY (for browsers without
 * frame-ancestors), Cross-Origin-Opener-Policy; HSTS only over https, where it
 * means something (a browser ignores it over http, and a site still reached
 * over http by design should not promise https).
 *
 * The headers are the same for every answer (no directive depends on the
 * request), so helmet computes them once, at start, and each answer copies
 * them. (@fastify/helmet, used before, built helmet's middleware again on
 * every request, parsing the policy each time: about 5 % of a screen-pop
 * lookup's server CPU.) An event stream, which writes its own head, goes
 * without them: it is never rendered as a page.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  const headers = securityHeaders();
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
    done();
  });
}

/** What helmet's middleware, configured as above, sets on a response. */
function securityHeaders(): Record<string, string> {
  const middleware = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    hsts: false,
    crossOriginEmbedderPolicy: false,
  });
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value;
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failed: unknown = null;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => (failed = err ?? null));
  if (failed) throw failed instanceof Error ? failed : new Error(String(failed));
  return headers;
}
