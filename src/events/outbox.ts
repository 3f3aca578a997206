import type { Queryable } from '../db/adapter.js';
import type { Privilege } from '../modules/users/privileges.js';

export const EVENTS_CHANNEL = 'sb_events';
/** Arbitrary constant: serialises event-writing transactions from their insert to their commit. */
const OUTBOX_LOCK = 7_340_002;

export interface NewEvent {
  type: string;
  /** The one user the event is for; omit for every signed-in user allowed to see it. */
  userId?: string | null;
  recordType?: string;
  recordId?: string;
  payload?: Record<string, unknown>;
  /** For broadcast events: only users with this privilege receive it. */
  requires?: Privilege;
}

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
  await tx.query('SELECT pg_advisory_xact_lock($1)', [OUTBOX_LOCK]);
  const payload = event.requires ? { ...event.payload, requires: event.requires } : (event.payload ?? {});
  await tx.query(`INSERT INTO events (user_id, type, record_type, record_id, payload) VALUES ($1, $2, $3, $4, $5)`, [
    event.userId ?? null,
    event.type,
    event.recordType ?? null,
    event.recordId ?? null,
    JSON.stringify(payload),
  ]);
  await tx.query(`SELECT pg_notify('${EVENTS_CHANNEL}', '')`);
}
