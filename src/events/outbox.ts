import { beforeCommit, type Queryable } from '../db/adapter.js';
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

/** Events a transaction has emitted and not yet written (written just before its COMMIT). */
const pendingEvents = new WeakMap<Queryable, NewEvent[]>();

/**
 * Writes an event in the caller's transaction; it is delivered only if that
 * transaction commits (the NOTIFY is sent at commit, never for a rollback).
 *
 * Event ids must become visible in id order: were a transaction holding id 10
 * to commit after one holding id 11, a reader that had advanced past 11 would
 * never see 10. So the insert takes a lock that every event-writing
 * transaction shares, held until its commit. To keep that serial stretch
 * short, a transaction's events are collected and written in one statement
 * right before its COMMIT (`beforeCommit`), whatever the command does after
 * emitting; outside a transaction they are written at once.
 */
export async function emitEvent(tx: Queryable, event: NewEvent): Promise<void> {
  await emitEvents(tx, [event]);
}

/** Several events, ids in the given order, under the same rules as emitEvent. */
export async function emitEvents(tx: Queryable, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const pending = pendingEvents.get(tx);
  if (pending) {
    pending.push(...events);
    return;
  }
  const list = [...events];
  if (beforeCommit(tx, () => flushEvents(tx))) pendingEvents.set(tx, list);
  else await writeEvents(tx, list);
}

/**
 * Writes the events tx has emitted so far, now rather than at its commit: for
 * work that must see them in the table (an erasure deleting a record's events).
 * The lock is then held from here to the commit.
 */
export async function flushEvents(tx: Queryable): Promise<void> {
  const list = pendingEvents.get(tx);
  if (!list) return;
  pendingEvents.delete(tx);
  await writeEvents(tx, list);
}

/**
 * One statement: the shared lock (taken before any id is drawn: the ids come
 * from rows joined to it), the rows, the wake-up of the listeners at commit.
 */
async function writeEvents(tx: Queryable, events: readonly NewEvent[]): Promise<void> {
  const rows = events.map((e) => ({
    user_id: e.userId ?? null,
    type: e.type,
    record_type: e.recordType ?? null,
    record_id: e.recordId ?? null,
    payload: e.requires ? { ...e.payload, requires: e.requires } : e.payload,
  }));
  await tx.query(
    `WITH written AS (
       INSERT INTO events (user_id, type, record_type, record_id, payload)
       SELECT x.user_id, x.type, x.record_type, x.record_id, COALESCE(x.payload, '{}'::jsonb)
       FROM (SELECT pg_advisory_xact_lock($2)) AS serialised,
            ROWS FROM (jsonb_to_recordset($1::jsonb)
              AS (user_id uuid, type text, record_type text, record_id uuid, payload jsonb)) WITH ORDINALITY AS x
       ORDER BY x.ordinality
       RETURNING 1
     )
     SELECT pg_notify('${EVENTS_CHANNEL}', '') WHERE EXISTS (SELECT 1 FROM written)`,
    [JSON.stringify(rows), OUTBOX_LOCK],
  );
}
