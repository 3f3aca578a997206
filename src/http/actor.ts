import { PRIVILEGES, type Privilege, type Role } from './privileges.js';
import { Forbidden } from './errors.js';

/** Through which door a change came; recorded in the history of changes. */
export type Channel = 'console' | 'api' | 'import' | 'email' | 'portal' | 'system';

/** Who is acting: a signed-in user, an API key (acting for its user), or the system. */
export interface Actor {
  kind: 'user' | 'apiKey' | 'system';
  userId: string | null;
  /** Display name for history lines ("Ann Agent", "API key ivr (ann@…)", "system"). */
  name: string;
  role: Role | null;
  privileges: ReadonlySet<Privilege>;
  channel: Channel;
  /** API key scopes; ['full'] for users. */
  scopes: readonly string[];
  sessionId?: string;
  /** The session's id as shown in "my sessions" (the stored id is a hash of the cookie and stays inside). */
  sessionPublicId?: string;
  /** The role requires a second factor and the user has none: only setting it up (and signing out) is open. */
  mustEnrolTwoFactor?: boolean;
  apiKeyId?: string;
  /** The request's client address and user agent (for the audit trail), when acting for a request. */
  ip?: string;
  userAgent?: string;
}

export function can(actor: Actor, privilege: Privilege): boolean {
  return actor.privileges.has(privilege);
}

/** Every service method begins with this: no path forgets its access check. */
export function requirePrivilege(actor: Actor, ...privileges: Privilege[]): void {
  for (const p of privileges) {
    if (!actor.privileges.has(p)) throw new Forbidden(`This needs the ${p} privilege`);
  }
}

export function systemActor(channel: Channel = 'system', name = 'system'): Actor {
  return {
    kind: 'system',
    userId: null,
    name,
    role: null,
    privileges: new Set<Privilege>(PRIVILEGES),
    channel,
    scopes: ['full'],
  };
}
