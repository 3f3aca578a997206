/** The shapes the console reads, after ../shared/API.md and the modules' schemas. */

export interface Me {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: 'admin' | 'supervisor' | 'agent';
  privileges: string[];
  csrfToken: string | null;
  twoFactorEnabled: boolean;
  /** The role requires two-factor sign-in and none is set up: only the set-up is open. */
  twoFactorEnrolmentRequired: boolean;
}

export interface Phone {
  type: string;
  number: string;
  e164?: string | null;
  extension?: string | null;
  valid?: boolean;
}

export interface Address {
  street?: string | null;
  city?: string | null;
  region?: string | null;
  postalCode?: string | null;
  country?: string | null;
}

export interface Customer {
  id: string;
  accountNumber: string;
  firstName: string | null;
  lastName: string | null;
  displayName?: string;
  company: string | null;
  email: string | null;
  phones: Phone[];
  primaryAddress: Address | null;
  secondaryAddress: Address | null;
  notes?: string | null;
  vip?: boolean;
  draft: boolean;
  customFields?: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface HistoryEntry {
  id?: string;
  at: string;
  actor: { id?: string | null; name?: string | null } | string | null;
  channel?: string | null;
  action: string;
  changes: { field: string; from: unknown; to: unknown }[];
}

export interface Case {
  id: string;
  caseNumber: number;
  customerId: string;
  subject: string;
  description: string;
  status: string;
  isOpen: boolean;
  priority: string;
  severity: string;
  visibility: 'public' | 'private';
  ownerId: string | null;
  channel: string;
  openedAt: string;
  closedAt: string | null;
  customFields?: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface CaseUnitary {
  item: Case;
  position: number;
  total: number;
  previous: number | null;
  next: number | null;
}

export interface FollowUp {
  id: string;
  caseId: string;
  kind: 'note' | 'call' | 'chat' | 'email';
  direction: 'inbound' | 'outbound' | null;
  visibility: 'public' | 'internal';
  body: string;
  author: { type: string; id: string | null; name: string };
  channel: string;
  customFields?: Record<string, unknown>;
  email: {
    from?: string;
    to?: string[];
    cc?: string[];
    bcc?: string[];
    subject?: string;
    messageId?: string;
    [k: string]: unknown;
  } | null;
  createdAt: string;
}

export interface ListItem {
  key: string;
  label: string;
  order?: number;
  isOpen?: boolean;
  isDefault?: boolean;
  retired: boolean;
  builtin?: boolean;
}

export interface CaseSettings {
  statuses: ListItem[];
  priorities: ListItem[];
  severities: ListItem[];
  reopen: { policy: 'never' | 'always' | 'withinDays'; days: number | null };
  version: number;
}

export interface Task {
  id: string;
  type: 'call' | 'email' | 'meeting' | 'chat' | 'other';
  subject: string;
  notes: string | null;
  customerId: string;
  caseId: string | null;
  assigneeId: string;
  dueAt: string | null;
  remindAt: string | null;
  status: 'open' | 'done' | 'cancelled';
  outcome: string | null;
  completedAt: string | null;
  overdue: boolean;
  customFields?: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ActiveReminder {
  id: string;
  taskId: string;
  kind: 'before' | 'overdue';
  state?: string;
  firedAt?: string | null;
  fireAt: string;
  subject: string;
  taskType: string;
  dueAt: string | null;
  customerId: string;
  caseId: string | null;
}

export interface DirectoryUser {
  id: string;
  name: string;
  email: string;
  role: string;
}

export interface LiveEvent {
  id: string;
  type: string;
  at: string;
  recordType: string | null;
  recordId: string | null;
  [key: string]: unknown;
}

/** A likely duplicate (POST /api/v1/customers/duplicates), with why. */
export interface DuplicateCandidate {
  id: string;
  accountNumber: string;
  displayName: string;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  email: string | null;
  phones: { type: string; number: string; e164: string | null }[];
  vip: boolean;
  draft: boolean;
  version: number;
  reasons: ('sameEmail' | 'samePhone' | 'similarName')[];
}

/** What POST /api/v1/customers/{id}/merge answers (also for `dryRun`). */
export interface MergeResult {
  customer: Customer;
  merged: { id: string; accountNumber: string; displayName: string };
  moved: { cases: number; tasks: number; interactions: number; phones: number; portalAccount: boolean };
  dryRun: boolean;
}
