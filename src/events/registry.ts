import type { Notification } from '../modules/notifications/schema.js';
import type { Delivery } from '../modules/email/schema.js';
import type { Interaction, LookupResult, Match, MatchedBy, MatchResult } from '../modules/interactions/schema.js';
import type { Privilege } from '../http/privileges.js';
import type { TaskType } from '../modules/tasks/schema.js';

/**
 * Every live event the server sends, with its payload: the one list that
 * `emitEvent`/`emitEvents` (src/events/outbox.ts), the console
 * (web/src/live.ts) and the tests are checked against. An event name that is
 * not here cannot be emitted or subscribed to (a type error), and a payload
 * that does not match its entry is one too.
 *
 * To add an event: one entry below, `'area.happened': event<{ …payload… }>('who gets it, and why', [privileges])`,
 * the privileges being what any recipient must hold to see such a payload at all
 * (test/event-privileges.test.ts checks every entry).
 * Payloads are what goes on the wire (JSON: times as ISO strings). The wire
 * form adds `id`, `type`, `at`, `recordType` and `recordId` (see
 * `eventData` in src/events/routes.ts), so a payload never uses those names.
 *
 * The console imports this file at run time (the names, for EventSource):
 * keep its imports type-only.
 */

/** An entry: the payload's type (carried by the type only), what the event is for and who may ever get it. */
interface EventSpec<Payload> {
  readonly about: string;
  /**
   * The privileges a recipient must hold for any event of this kind, whatever
   * its emitter asks for besides (`requires` on the event, e.g. cases.viewPrivate
   * for a private case). The hub checks both, live and on replay.
   */
  readonly requires: readonly Privilege[];
  /** Never set: carries the payload type. */
  readonly payload?: Payload;
}

type ReservedKey = 'id' | 'type' | 'at' | 'recordType' | 'recordId' | 'requires';

function event<Payload extends object & { [K in ReservedKey]?: never }>(
  about: string,
  requires: readonly Privilege[],
): EventSpec<Payload> {
  return { about, requires };
}

/** `reminder`: a task reminder fell due; `fireAt` is when it was due (a late delivery still shows the right time). */
interface ReminderPayload {
  reminderId: string;
  taskId: string;
  kind: 'before' | 'overdue';
  fireAt: string;
  subject: string;
  taskType: TaskType;
  dueAt: string | null;
  customerId: string;
  caseId: string | null;
}

type ReminderClearedReason = 'dismissed' | 'snoozed' | 'cancelled' | 'reassigned';

/** A broadcast that a record changed: consoles showing it (or a list containing it) refresh. */
interface RecordChangedPayload {
  /** What happened: create, update, delete, reopen, followUp; interaction.created|updated|closed for interactions. */
  action: string;
  version?: number;
  /** The customer the record belongs to (cases, interactions). */
  customerId?: string;
  caseNumber?: number;
  /** The acting user's id, when one acted. */
  by?: string | null;
}

interface CustomerChangedPayload {
  accountNumber: string;
  displayName: string;
  version: number;
  /** customer.deleted by a merge: the surviving customer. */
  mergedInto?: string;
  /** customer.updated by a merge: the customer merged into this one (now deleted). */
  mergedFrom?: string;
}

interface InteractionChangedPayload {
  interaction: Interaction;
  by: string | null;
}

interface CustomFieldChangedPayload {
  objectType: string;
  key: string;
}

/** An import's progress (`import.progress`, at most every few seconds) and its end (`import.completed`). */
interface ImportProgressPayload {
  importId: string;
  dryRun: boolean;
  /** running, completed, failed or cancelled. */
  status: string;
  objectType: 'customers' | 'cases' | 'followUps';
  fileName: string;
  total: number;
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  rowsPerSecond: number | null;
  secondsLeft: number | null;
  /** import.completed of a failed run: why. */
  error?: string | null;
}

export const LIVE_EVENTS = {
  reminder: event<ReminderPayload>("to the task's assignee: a reminder popup", ['tasks.view']),
  'reminder.cleared': event<{ taskId: string; reminderIds: string[]; reason: ReminderClearedReason; until?: string }>(
    'to the assignee: take the reminder popup down (dismissed or snoozed on another console, task closed or reassigned)',
    ['tasks.view'],
  ),
  'task.assigned': event<{ taskId: string; subject: string; dueAt: string | null; by: string }>(
    'to the new assignee of an open task (not when assigning yourself)',
    ['tasks.view'],
  ),
  'case.assigned': event<{ caseNumber: number; subject: string; by: string }>(
    'to the new owner of a case (not when taking it yourself)',
    ['cases.view'],
  ),
  'record.changed': event<RecordChangedPayload>(
    'broadcast (to whoever may see the record): a case, task, interaction or the case settings changed; the emitter names the privileges',
    [],
  ),
  'customer.created': event<CustomerChangedPayload>('broadcast to customers.view', ['customers.view']),
  'customer.updated': event<CustomerChangedPayload>('broadcast to customers.view', ['customers.view']),
  'customer.deleted': event<CustomerChangedPayload>('broadcast to customers.view', ['customers.view']),
  'screen.pop': event<{
    interaction: Interaction;
    result: MatchResult;
    matchedBy: MatchedBy | null;
    matches: Match[];
    /** Draft customers matching the caller when nothing else did: "possible match (draft)". */
    drafts?: Match[];
    /** What external CRM connectors answered (when the lookup order asks them): shown beside the local matches. */
    external?: LookupResult['external'];
  }>("to the agent an interaction was reported for: pop its caller, matched with that agent's own privileges", [
    'customers.view',
  ]),
  'interaction.updated': event<InteractionChangedPayload>("to the interaction's agent: it changed", ['customers.view']),
  'interaction.closed': event<InteractionChangedPayload>("to the interaction's agent: its wrap-up is over", [
    'customers.view',
  ]),
  'email.delivery': event<{ caseId: string; followUpId: string; delivery: Delivery }>(
    "broadcast to who may see the case: a reply's delivery changed (sent, retrying, failed)",
    ['cases.view'],
  ),
  'customField.created': event<CustomFieldChangedPayload>('broadcast: forms reload their custom field definitions', []),
  'customField.updated': event<CustomFieldChangedPayload>('broadcast: forms reload their custom field definitions', []),
  'customField.deleted': event<CustomFieldChangedPayload>('broadcast: forms reload their custom field definitions', []),
  'import.progress': event<ImportProgressPayload>('broadcast to data.import: rows done, rate and time left', [
    'data.import',
  ]),
  'import.completed': event<ImportProgressPayload>('broadcast to data.import: an import run ended, with its counts', [
    'data.import',
  ]),
  'notification.created': event<{ notification: Notification }>(
    "to the notification's user: a new one in their inbox (it also waits there until read)",
    [],
  ),
  'notification.read': event<{ unread: number }>(
    'to the user: notifications were marked read; the new unread count',
    [],
  ),
};

export type LiveEventName = keyof typeof LIVE_EVENTS;

export type LivePayload<K extends LiveEventName> = (typeof LIVE_EVENTS)[K] extends EventSpec<infer P> ? P : never;

/** Every event name, for the console's EventSource listeners. */
export const LIVE_EVENT_NAMES = Object.keys(LIVE_EVENTS) as LiveEventName[];

/** An event as a client receives it (the SSE `data:` line): the payload plus the envelope. */
export type LiveEvent<K extends LiveEventName = LiveEventName> = {
  [N in K]: LivePayload<N> & {
    id: string;
    type: N;
    at: string;
    recordType: string | null;
    recordId: string | null;
  };
}[K];
