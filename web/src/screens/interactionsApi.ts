import { api, type Page } from '../api.js';
import type { Customer } from '../types.js';

/** The interactions module's paths (screen pop, association, wrap-up), in one place. */
export interface MatchCase {
  id: string;
  caseNumber: number;
  subject: string;
  status: string;
  isOpen: boolean;
  priority: string;
  openedAt: string;
}

export interface InteractionMatch {
  customerId: string;
  accountNumber: string;
  displayName: string;
  company: string | null;
  email: string | null;
  vip: boolean;
  draft: boolean;
  openCasesCount: number | null;
  openCases: MatchCase[];
  recentInteractions: {
    id: string;
    channel: string;
    direction: string;
    from: string | null;
    to: string | null;
    state: string;
    disposition: string | null;
    startedAt: string;
    notes: string | null;
  }[];
  matchedCase: MatchCase | null;
}

export interface Interaction {
  id: string;
  reference: string | null;
  channel: 'phone' | 'chat' | 'email';
  direction: 'inbound' | 'outbound';
  from: string | null;
  to: string | null;
  caseNumber: string | null;
  agentId: string | null;
  customerId: string | null;
  caseId: string | null;
  result: 'found' | 'not_found' | 'multiple';
  matchedBy: string | null;
  state: 'ringing' | 'active' | 'wrap_up' | 'closed';
  startedAt: string;
  endedAt: string | null;
  wrapUpUntil: string | null;
  closedAt: string | null;
  notes: string | null;
  disposition: string | null;
  followOnTaskId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** The customers it matches (its own once associated); absent on some events. */
  matches?: InteractionMatch[];
}

export const interactionsApi = {
  get: (id: string) => api.get<Interaction>(`/api/v1/interactions/${id}`),
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
