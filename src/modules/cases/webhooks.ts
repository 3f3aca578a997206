import type { Queryable } from '../../db/adapter.js';
import { enqueueWebhook } from '../webhooks/outbox.js';
import type { Case } from './schema.js';

/**
 * The webhook events of a case change (CasesService.announce): `case.created`;
 * for an edit `case.updated` and, as they apply, `case.assigned`,
 * `case.closed`, `case.reopened`. A follow-up alone is `follow_up.created`.
 */
export async function enqueueCaseWebhooks(
  tx: Queryable,
  after: Case,
  action: string,
  before: Case | null,
): Promise<void> {
  if (action === 'create') return enqueueWebhook(tx, 'case.created', after);
  if (action !== 'update' && action !== 'reopen') return;
  await enqueueWebhook(tx, 'case.updated', after);
  if (before && after.ownerId && after.ownerId !== before.ownerId) await enqueueWebhook(tx, 'case.assigned', after);
  if (before?.isOpen && !after.isOpen) await enqueueWebhook(tx, 'case.closed', after);
  if (before && !before.isOpen && after.isOpen) await enqueueWebhook(tx, 'case.reopened', after);
}
