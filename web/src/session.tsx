import { createContext, useContext } from 'react';
import type { Me, Privilege } from './apiTypes.js';

export interface Session {
  me: Me;
  /** Whether the signed-in user holds this privilege (a name the server does not have is a type error). */
  can: (privilege: Privilege) => boolean;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside the signed-in shell');
  return s;
}

export function displayName(u: { firstName?: string | null; lastName?: string | null; email?: string | null }): string {
  const n = [u.firstName, u.lastName].filter(Boolean).join(' ').trim();
  return n || u.email || '(no name)';
}
