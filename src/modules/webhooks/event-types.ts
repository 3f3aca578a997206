/**
 * The webhook event types an endpoint can subscribe to (`*`: all of them),
 * served by GET /api/v1/webhooks/event-types. Adding a type is one entry here
 * and one `enqueueWebhook(tx, type, record)` where the change happens.
 */
export const WEBHOOK_EVENT_TYPES = {
  'customer.created': 'a customer was created',
  'customer.updated': 'a customer was changed (also the survivor of a merge)',
  'customer.deleted': 'a customer was deleted',
  'customer.merged': 'a customer was merged into another (data: the survivor, with mergedFrom)',
  'case.created': 'a case was opened',
  'case.updated': 'a case was changed (every change, including the ones below)',
  'case.assigned': 'a case got a new owner',
  'case.closed': 'a case went to a closed status',
  'case.reopened': 'a closed case was opened again',
  'follow_up.created': 'a follow-up was added to a case',
  'task.created': 'a task was created',
  'task.updated': 'a task was changed',
  'task.completed': 'a task was marked done',
  'interaction.created': 'a call, chat or email was reported (screen pop)',
  'interaction.ended': 'an interaction ended',
  'import.completed': 'an import run ended',
  'export.completed': 'an export ended',
} as const;

export type WebhookEventType = keyof typeof WEBHOOK_EVENT_TYPES;

/** Sent only by "send a test event", to the one endpoint asked. */
export const TEST_EVENT_TYPE = 'webhook.test';

export function isWebhookEventType(t: string): t is WebhookEventType {
  return Object.prototype.hasOwnProperty.call(WEBHOOK_EVENT_TYPES, t);
}
