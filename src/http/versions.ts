import type { FastifyRequest } from 'fastify';
import { Invalid, PreconditionRequired } from './errors.js';

/**
 * The version a write says it read: `If-Match: "3"` (or W/"3") or `version` in
 * the body. Required for records edited by people, so no write silently
 * overwrites another's.
 */
export function versionRead(request: FastifyRequest, body?: { version?: number }, required = true): number | null {
  const header = request.headers['if-match'];
  if (typeof header === 'string' && header.length > 0) {
    const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
    if (!m) throw new Invalid([{ field: 'If-Match', message: 'must be the record version, e.g. "3"' }]);
    return Number(m[1]);
  }
  if (body && typeof body.version === 'number') return body.version;
  if (required) throw new PreconditionRequired();
  return null;
}
