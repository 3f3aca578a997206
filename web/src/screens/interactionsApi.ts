import { api, type Page } from '../api.js';
import type { Customer } from '../apiTypes.js';

import type { ExternalLookup, Interaction as ServerInteraction, InteractionMatch, MatchCase } from '../apiTypes.js';

export type { InteractionMatch, MatchCase };

/**
 * The interactions module's paths (screen pop, association, wrap-up), in one place.
 * An interaction as the server sends it; the answers that carry the customers it
 * matches (one interaction, `screen.pop`, associate) add `matches`; a pop that
 * matched nobody may carry `drafts`: draft customers with the caller's exact
 * number, address or account number, shown as "possible match (draft)"; a pop
 * asked of external CRMs (the lookup order) carries what they answered, `external`.
 */
export type Interaction = ServerInteraction & {
  matches?: InteractionMatch[];
  drafts?: InteractionMatch[];
  external?: ExternalLookup;
};

export const interactionsApi = {
  get: (id: string) => api.get<Interaction>(`/api/v1/interactions/${id}`),
  /** The signed-in agent's ringing, active and wrap-up interactions, shaped like their pops. */
  open: () => api.get<{ items: Interaction[] }>('/api/v1/interactions/open'),
  list: (query: Record<string, string | number | undefined>) =>
    api.get<Page<Interaction>>('/api/v1/interactions', query),
  ofCustomer: (customerId: string, cursor?: string) =>
    api.get<Page<Interaction>>(`/api/v1/customers/${customerId}/interactions`, { limit: 25, cursor }),
  patch: (i: Interaction, body: Record<string, unknown>) =>
    api.patch<Interaction>(`/api/v1/interactions/${i.id}`, body, i.version),
};

export function associateInteraction(id: string, body: { customerId: string; caseId?: string | null }) {
  return api.post<Interaction>(`/api/v1/interactions/${id}/associate`, body);
}

/** Creates a customer prefilled from the interaction and associates it, in one request. */
export function createCustomerFor(id: string, body: Record<string, unknown>) {
  return api.post<{ customer: Customer; interaction: Interaction }>(`/api/v1/interactions/${id}/customer`, body);
}
