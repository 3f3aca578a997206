import type { Queryable } from '../db/adapter.js';
import type { Privilege } from '../http/privileges.js';
import type { LiveEventName, LivePayload } from './registry.js';

export const EVENTS_CHANNEL = 'sb_events';
/** Arbitrary constant: serialises event-writing transactions from their insert to their commit. */
const OUTBOX_LOCK = 7_340_002;

/**
 * An event to write: one of the registry's names (src/events/registry.ts) with
 * its payload. `NewEvent` alone is the union of every event.
 */
export type NewEvent<K extends LiveEventName = LiveEventName> = {
  [N in K]: {
    type: N;
    payload: LivePayload<N>;
    /** The one user the event is for; omit for every signed-in user allowed to see it. */
    userId?: string | null;
    recordType?: string;
    recordId?: string;
    /**
     * Only users holding this privilege (or every one of these) receive it. Checked for
     * broadcast events and for user events alike, when sent live and when replayed.
     */
    requires?: Privilege | Privilege[];
  };
}[K];

/**
 * Writes an event in the caller's transaction; it is delivered only if that
 * transaction commits (the NOTIFY is sent at commit, never for a rollback).
 *
 * The advisory lock makes event ids become visible in id order: without it a
 * transaction holding id 10 could commit after one holding id 11, and a reader
 * that had advanced past 11 would never see 10. Call it last in a command, so
 * the lock is held only until the commit that follows.
 */
export async function emitEvent(tx: Queryable, event: NewEvent): Promise<void> {
  await emitEvents(tx, [event]);
}

/** Several events in one statement (ids in the given order), under the same rules as emitEvent. */
export async function emitEvents(tx: Queryable, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.query('SELECT pg_advisory_xact_lock($1)', [OUTBOX_LOCK]);
  const rows = events.map((e) => ({
    user_id: e.userId ?? null,
    type: e.type,
    record_type: e.recordType ?? null,
    record_id: e.recordId ?? null,
    payload: e.requires ? { ...e.payload, requires: e.requires } : e.payload,
  }));
  await tx.query(
    `INSERT INTO events (user_id, type, record_type, record_id, payload)
     SELECT x.user_id, x.type, x.record_type, x.record_id, COALESCE(x.payload, '{}'::jsonb)
     FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
            AS (user_id uuid, type text, record_type text, record_id uuid, payload jsonb)) WITH ORDINALITY AS x
     ORDER BY x.ordinality`,
    [JSON.stringify(rows)],
  );
  await tx.query(`SELECT pg_notify('${EVENTS_CHANNEL}', '')`);
}
