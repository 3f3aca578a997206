import type { Queryable } from '../src/db/adapter.js';
import { emitEvents, type NewEvent } from '../src/events/outbox.js';
import type { Privilege } from '../src/http/privileges.js';

/**
 * A test-only event (`test.*`): markers and probes of the event machinery
 * itself. They are not in the registry (src/events/registry.ts), which holds
 * only what the server really sends, so they go in through this one cast.
 */
export interface TestEvent {
  type: `test.${string}`;
  userId?: string | null;
  recordType?: string;
  recordId?: string;
  payload?: Record<string, unknown>;
  requires?: Privilege | Privilege[];
}

export function emitTestEvents(q: Queryable, events: readonly TestEvent[]): Promise<void> {
  return emitEvents(
    q,
    events.map((e) => ({ ...e, payload: e.payload ?? {} }) as unknown as NewEvent),
  );
}

export function emitTestEvent(q: Queryable, event: TestEvent): Promise<void> {
  return emitTestEvents(q, [event]);
}
