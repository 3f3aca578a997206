import { api, type Page } from '../api.js';

/** The interactions module's paths (screen pop, association, wrap-up), in one place. */
export interface InteractionMatch {
  id?: string;
  customerId?: string;
  accountNumber?: string;
  displayName?: string;
  vip?: boolean;
  openCasesCount?: number;
  openCases?: { id: string; caseNumber: number; subject: string; status?: string }[];
  recentInteractions?: {
    id: string;
    channel: string;
    direction: string;
    startedAt?: string;
    createdAt?: string;
    notes?: string | null;
  }[];
  [k: string]: unknown;
}

export interface Interaction {
  id: string;
  channel: 'phone' | 'chat' | 'email';
  direction: 'inbound' | 'outbound';
  from: string | null;
  to: string | null;
  caseNumber?: number | string | null;
  agentId?: string | null;
  reference?: string | null;
  customerId: string | null;
  caseId: string | null;
  result?: 'found' | 'not_found' | 'multiple';
  matches?: InteractionMatch[];
  state?: string;
  status?: string;
  notes?: string | null;
  disposition?: string | null;
  startedAt?: string;
  endedAt?: string | null;
  wrapUpUntil?: string | null;
  closedAt?: string | null;
  createdAt?: string;
  version?: number;
  [k: string]: unknown;
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
