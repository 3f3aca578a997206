import { api } from './api.js';

/**
 * Per-user console preferences kept by the server (`GET/PUT /api/v1/me/preferences`),
 * so a column layout follows the agent to any browser.
 */
export type Preferences = Record<string, unknown>;

let cache: Preferences | null = null;

export async function loadPreferences(): Promise<Preferences> {
  if (cache) return cache;
  const p = await api.get<Preferences>('/api/v1/me/preferences');
  // A preference saved while this read was under way stays: the read may predate it.
  cache = { ...(p ?? {}), ...(cache ?? {}) };
  return cache;
}

export async function savePreference(key: string, value: unknown): Promise<void> {
  const next = { ...(cache ?? {}), [key]: value };
  cache = next;
  await api.put<Preferences>('/api/v1/me/preferences', { [key]: value });
}

export function forgetPreferences(): void {
  cache = null;
}
