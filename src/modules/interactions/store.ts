import type { Queryable } from '../../db/adapter.js';
import { maybeOne, one } from '../../db/adapter.js';
import type { Channel, Direction, Interaction, InteractionState, MatchedBy, MatchResult } from './schema.js';
import { repeatCondition } from './repeat.js';

/** The interactions module's SQL: the only code that touches `interactions`. */

export interface InteractionRow {
  id: string;
  reference: string | null;
  channel: Channel;
  direction: Direction;
  from_address: string | null;
  to_address: string | null;
  case_number_given: string | null;
  agent_id: string | null;
  customer_id: string | null;
  case_id: string | null;
  match_result: MatchResult;
  matched_by: MatchedBy | null;
  candidate_ids: string[];
  state: InteractionState;
  started_at: Date;
  ended_at: Date | null;
  wrap_up_until: Date | null;
  closed_at: Date | null;
  notes: string | null;
  disposition: string | null;
  follow_on_task_id: string | null;
  /** The chat transcript the platform posted (text), and when. */
  transcript: string | null;
  transcript_at: Date | null;
  /** The follow-up that put this interaction on its case's timeline. */
  case_follow_up_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  /** started_at as text with microseconds (keyset cursors). */
  started_key: string;
}

const COLUMNS = `i.id, i.reference, i.channel, i.direction, i.from_address, i.to_address, i.case_number_given,
  i.agent_id, i.customer_id, i.case_id, i.match_result, i.matched_by, i.candidate_ids, i.state, i.started_at,
  i.ended_at, i.wrap_up_until, i.closed_at, i.notes, i.disposition, i.follow_on_task_id, i.transcript, i.transcript_at, i.case_follow_up_id, i.version, i.created_at,
  i.updated_at, to_char(i.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started_key`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The state a reader sees: a wrap-up whose time is over is closed, even before
 * the closing job has written it (the job only catches the row up).
 */
export function effectiveState(r: Pick<InteractionRow, 'state' | 'wrap_up_until'>, now: Date): InteractionState {
  if (r.state === 'wrap_up' && r.wrap_up_until && r.wrap_up_until.getTime() <= now.getTime()) return 'closed';
  return r.state;
}

export function toInteraction(r: InteractionRow, now = new Date()): Interaction {
  const state = effectiveState(r, now);
  return {
    id: r.id,
    reference: r.reference,
    channel: r.channel,
    direction: r.direction,
    from: r.from_address,
    to: r.to_address,
    caseNumber: r.case_number_given,
    agentId: r.agent_id,
    customerId: r.customer_id,
    caseId: r.case_id,
    result: r.match_result,
    matchedBy: r.matched_by,
    state,
    startedAt: r.started_at.toISOString(),
    endedAt: iso(r.ended_at),
    wrapUpUntil: iso(r.wrap_up_until),
    closedAt: iso(r.closed_at ?? (state === 'closed' ? r.wrap_up_until : null)),
    notes: r.notes,
    disposition: r.disposition,
    followOnTaskId: r.follow_on_task_id,
    transcriptAt: iso(r.transcript_at),
    caseFollowUpId: r.case_follow_up_id,
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function getInteraction(q: Queryable, id: string, forUpdate = false): Promise<InteractionRow | null> {
  return maybeOne<InteractionRow>(
    q,
    `SELECT ${COLUMNS} FROM interactions i WHERE i.id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
}

export async function findByReference(q: Queryable, reference: string): Promise<InteractionRow | null> {
  return maybeOne<InteractionRow>(q, `SELECT ${COLUMNS} FROM interactions i WHERE i.reference = $1`, [reference]);
}

interface NewInteraction {
  reference: string | null;
  channel: Channel;
  direction: Direction;
  from: string | null;
  to: string | null;
  caseNumber: string | null;
  agentId: string | null;
  customerId: string | null;
  caseId: string | null;
  result: MatchResult;
  matchedBy: MatchedBy | null;
  candidateIds: string[];
  state: 'ringing' | 'active';
  startedAt: Date | null;
  actorId: string | null;
}

/**
 * Inserts an interaction; null when one with the same reference exists (a
 * retry, or a concurrent duplicate that committed first: ON CONFLICT waits for it).
 */
export async function insertInteraction(tx: Queryable, n: NewInteraction): Promise<InteractionRow | null> {
  return maybeOne<InteractionRow>(
    tx,
    `INSERT INTO interactions AS i (reference, channel, direction, from_address, to_address, case_number_given,
       agent_id, customer_id, case_id, match_result, matched_by, candidate_ids, state, started_at, created_by,
       updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::uuid[], $13, coalesce($14, now()), $15, $15)
     ON CONFLICT (reference) WHERE reference IS NOT NULL DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      n.reference,
      n.channel,
      n.direction,
      n.from,
      n.to,
      n.caseNumber,
      n.agentId,
      n.customerId,
      n.caseId,
      n.result,
      n.matchedBy,
      n.candidateIds,
      n.state,
      n.startedAt,
      n.actorId,
    ],
  );
}

/** The fields a PATCH, an association or the wrap-up job may change. */
export interface InteractionChange {
  customerId: string | null;
  caseId: string | null;
  state: InteractionState;
  endedAt: Date | null;
  wrapUpUntil: Date | null;
  closedAt: Date | null;
  notes: string | null;
  disposition: string | null;
  followOnTaskId: string | null;
  /** Whether the agent's content changed (bumps the version). */
  edited: boolean;
}

export async function updateInteraction(
  tx: Queryable,
  id: string,
  c: InteractionChange,
  actorId: string | null,
): Promise<InteractionRow> {
  return one<InteractionRow>(
    tx,
    `UPDATE interactions AS i SET customer_id = $2, case_id = $3, state = $4, ended_at = $5, wrap_up_until = $6,
       closed_at = $7, notes = $8, disposition = $9, follow_on_task_id = $10,
       version = version + CASE WHEN $11 THEN 1 ELSE 0 END, updated_at = now(), updated_by = $12
     WHERE i.id = $1 RETURNING ${COLUMNS}`,
    [
      id,
      c.customerId,
      c.caseId,
      c.state,
      c.endedAt,
      c.wrapUpUntil,
      c.closedAt,
      c.notes,
      c.disposition,
      c.followOnTaskId,
      c.edited,
      actorId,
    ],
  );
}

/**
 * Closes up to `limit` interactions whose wrap-up is over, skipping rows another
 * process holds (every server runs the closer). closed_at is the end of the
 * wrap-up, not the moment the job ran.
 */
export async function closeDueWrapUps(tx: Queryable, limit: number): Promise<InteractionRow[]> {
  return tx.query<InteractionRow>(
    `UPDATE interactions AS i SET state = 'closed', closed_at = i.wrap_up_until, updated_at = now()
     WHERE i.id IN (SELECT d.id FROM interactions d WHERE d.state = 'wrap_up' AND d.wrap_up_until <= now()
                    ORDER BY d.wrap_up_until LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING ${COLUMNS}`,
    [limit],
  );
}

/** A customer's interactions, newest first, keyset on (started_at, id). */
export async function listCustomerInteractions(
  q: Queryable,
  customerId: string,
  after: [string, string] | null,
  limit: number,
): Promise<InteractionRow[]> {
  return q.query<InteractionRow>(
    `SELECT ${COLUMNS} FROM interactions i
     WHERE i.customer_id = $1 AND ($2::timestamptz IS NULL OR (i.started_at, i.id) < ($2::timestamptz, $3::uuid))
     ORDER BY i.started_at DESC, i.id DESC LIMIT $4`,
    [customerId, after ? after[0] : null, after ? after[1] : null, limit],
  );
}

/** For a customer merge (C8): moves every interaction of one customer to the other; returns their ids. */
export async function moveInteractionsToCustomer(tx: Queryable, fromId: string, toId: string): Promise<string[]> {
  const rows = await tx.query<{ id: string }>(
    `UPDATE interactions SET customer_id = $2, updated_at = now() WHERE customer_id = $1 RETURNING id`,
    [fromId, toId],
  );
  return rows.map((r) => r.id);
}

export interface InteractionFilter {
  channels?: string[];
  direction?: Direction;
  agentId?: string;
  customerId?: string;
  result?: MatchResult;
  startedFrom?: string;
  startedTo?: string;
  /** Hour of the day (0–23) in `tz`. */
  hour?: { hour: number; tz: string };
  repeatWithinDays?: number;
  wrappedUp?: boolean;
}

/** The WHERE conditions of a filter over `interactions i` (shared with reports' click-through definitions). */
export function interactionConditions(f: InteractionFilter, arg: (v: unknown) => string): string[] {
  const w: string[] = [];
  if (f.channels) w.push(`i.channel = ANY(${arg(f.channels)}::text[])`);
  if (f.direction) w.push(`i.direction = ${arg(f.direction)}`);
  if (f.agentId) w.push(`i.agent_id = ${arg(f.agentId)}::uuid`);
  if (f.customerId) w.push(`i.customer_id = ${arg(f.customerId)}::uuid`);
  if (f.result) w.push(`i.match_result = ${arg(f.result)}`);
  if (f.startedFrom) w.push(`i.started_at >= ${arg(f.startedFrom)}::timestamptz`);
  if (f.startedTo) w.push(`i.started_at < ${arg(f.startedTo)}::timestamptz`);
  if (f.hour) {
    w.push(`extract(hour FROM i.started_at AT TIME ZONE ${arg(f.hour.tz)}::text) = ${arg(f.hour.hour)}::int`);
  }
  // The stored gap, or the probe for a caller waiting for the fold (repeat.ts, migration 1640).
  if (f.repeatWithinDays !== undefined) w.push(repeatCondition(arg(f.repeatWithinDays)));
  if (f.wrappedUp !== undefined) w.push(`i.disposition IS ${f.wrappedUp ? 'NOT ' : ''}NULL`);
  return w;
}

/** The agent's interactions not yet closed (ringing, active, wrap-up), newest first (interactions_agent_open_idx). */
export async function listOpenOfAgent(q: Queryable, agentId: string, limit: number): Promise<InteractionRow[]> {
  return q.query<InteractionRow>(
    `SELECT ${COLUMNS} FROM interactions i
     WHERE i.agent_id = $1 AND i.state <> 'closed'
     ORDER BY i.started_at DESC, i.id DESC LIMIT $2`,
    [agentId, limit],
  );
}

/** A page of interactions matching the filter, newest first; `after` is the last row's [started_key, id]. */
export async function listInteractions(
  q: Queryable,
  f: InteractionFilter,
  after: [string, string] | null,
  limit: number,
): Promise<InteractionRow[]> {
  const args: unknown[] = [];
  const arg = (v: unknown) => {
    args.push(v);
    return `$${args.length}`;
  };
  const w = interactionConditions(f, arg);
  if (after) w.push(`(i.started_at, i.id) < (${arg(after[0])}::timestamptz, ${arg(after[1])}::uuid)`);
  return q.query<InteractionRow>(
    `SELECT ${COLUMNS} FROM interactions i ${w.length ? `WHERE ${w.join(' AND ')}` : ''}
     ORDER BY i.started_at DESC, i.id DESC LIMIT ${arg(limit)}`,
    args,
  );
}
/** Stores the platform's transcript once; null when the interaction already has one. */
export async function saveTranscript(tx: Queryable, id: string, text: string): Promise<InteractionRow | null> {
  return maybeOne<InteractionRow>(
    tx,
    `UPDATE interactions AS i SET transcript = $2, transcript_at = now(), updated_at = now()
     WHERE i.id = $1 AND i.transcript IS NULL RETURNING ${COLUMNS}`,
    [id, text],
  );
}

/** Records the follow-up that put the interaction on its case's timeline (once). */
export async function setCaseFollowUp(tx: Queryable, id: string, followUpId: string): Promise<void> {
  await tx.query(`UPDATE interactions SET case_follow_up_id = $2 WHERE id = $1 AND case_follow_up_id IS NULL`, [
    id,
    followUpId,
  ]);
}
