/**
 * Compile-time checks (`npm run typecheck`; nothing here runs): the event
 * registry refuses what the server cannot send. Each `@ts-expect-error` must
 * stay an error, or the type check fails ("unused directive").
 */
import type { Queryable } from '../../src/db/adapter.js';
import { emitEvent } from '../../src/events/outbox.js';
import { live } from '../../web/src/live.js';

export async function emitters(tx: Queryable): Promise<void> {
  // @ts-expect-error an event name the registry does not have
  await emitEvent(tx, { type: 'case.changed', payload: { action: 'update' } });
  // @ts-expect-error a payload that does not match the event's entry
  await emitEvent(tx, { type: 'case.assigned', payload: { caseNumber: '7', subject: 's', by: 'me' } });
  await emitEvent(tx, { type: 'case.assigned', payload: { caseNumber: 7, subject: 's', by: 'me' } });
}

export function console(): void {
  // @ts-expect-error the console cannot subscribe to a name the server never sends
  live.on('interaction.pop', () => undefined);
  live.on('screen.pop', (e) => e.interaction.id);
  live.subscribe((e) => {
    // @ts-expect-error nor compare an event's type with one
    if (e.type === 'case.changed') return;
  });
}
