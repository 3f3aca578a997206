import type { Queryable } from '../../db/adapter.js';
import { maybeOne, one } from '../../db/adapter.js';
import type { FollowUp, FollowUpEmail, FollowUpInteraction, FollowUpKind } from './schema.js';
import { CASE_COLUMNS, ISO_MS, type CaseRow } from './store.js';

/** SQL of case_follow_ups: inserts and reads only (the table refuses UPDATE and DELETE). */

interface FollowUpRow {
  id: string;
  seq: number;
  case_id: string;
  kind: FollowUpKind;
  direction: 'inbound' | 'outbound' | null;
  visibility: 'public' | 'internal';
  body: string;
  author_type: 'user' | 'customer' | 'system';
  author_id: string | null;
  author_name: string;
  channel: string;
  email: FollowUpEmail | null;
  custom_fields: Record<string, unknown>;
  interaction: FollowUpInteraction | null;
  notified: string[];
  created_at: Date;
}

const COLUMNS = `id, seq, case_id, kind, direction, visibility, body, author_type, author_id, author_name, channel,
  email, custom_fields, interaction, notified, created_at`;

/**
 * A follow-up as the case view's statement returns it, inside one JSON value:
 * its time already in the API's form (ISO 8601, milliseconds, UTC).
 */
type FollowUpJson = Omit<FollowUpRow, 'created_at'> & { created_at: string };

export function toFollowUp(r: FollowUpRow): FollowUp {
  return fromFields(r, r.created_at.toISOString());
}

export function toFollowUpFromJson(r: FollowUpJson): FollowUp {
  return fromFields(r, r.created_at);
}

function fromFields(r: Omit<FollowUpRow, 'created_at'>, createdAt: string): FollowUp {
  return {
    id: r.id,
    caseId: r.case_id,
    kind: r.kind,
    direction: r.direction,
    visibility: r.visibility,
    body: r.body,
    author: { type: r.author_type, id: r.author_id, name: r.author_name },
    channel: r.channel,
    email: r.email,
    customFields: r.custom_fields,
    interaction: r.interaction,
    notified: r.notified,
    createdAt,
  };
}

interface NewFollowUp {
  caseId: string;
  kind: FollowUpKind;
  direction: 'inbound' | 'outbound' | null;
  visibility: 'public' | 'internal';
  body: string;
  author: { type: 'user' | 'customer' | 'system'; id: string | null; name: string };
  channel: string;
  email: FollowUpEmail | null;
  customFields: Record<string, unknown>;
  interaction?: FollowUpInteraction | null;
  notified?: string[];
}

export async function insertFollowUp(tx: Queryable, f: NewFollowUp): Promise<FollowUpRow> {
  return one<FollowUpRow>(
    tx,
    `INSERT INTO case_follow_ups (case_id, kind, direction, visibility, body, author_type, author_id, author_name,
       channel, email, custom_fields, interaction, notified)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::text[]) RETURNING ${COLUMNS}`,
    [
      f.caseId,
      f.kind,
      f.direction,
      f.visibility,
      f.body,
      f.author.type,
      f.author.id,
      f.author.name,
      f.channel,
      f.email ? JSON.stringify(f.email) : null,
      JSON.stringify(f.customFields),
      f.interaction ? JSON.stringify(f.interaction) : null,
      f.notified ?? [],
    ],
  );
}

export async function findFollowUp(q: Queryable, caseId: string, id: string): Promise<FollowUpRow | null> {
  return maybeOne<FollowUpRow>(q, `SELECT ${COLUMNS} FROM case_follow_ups WHERE id = $1 AND case_id = $2`, [
    id,
    caseId,
  ]);
}

/**
 * The case view (a case with its newest follow-ups) in one round trip: the case's row and
 * its newest `limit` follow-ups aggregated into one JSON value, newest first. One JSON.parse
 * of that value costs the server far less than decoding the follow-ups as rows, and their
 * times come in the API's form (ISO_MS).
 */
export async function findCaseWithFollowUps(
  q: Queryable,
  id: string,
  limit: number,
): Promise<{ row: CaseRow; followUps: FollowUpJson[] } | null> {
  const found = await maybeOne<CaseRow & { follow_ups: FollowUpJson[] }>(
    q,
    `SELECT ${CASE_COLUMNS},
       (SELECT coalesce(json_agg(f ORDER BY f.seq DESC), '[]'::json) FROM (
          SELECT id, seq, case_id, kind, direction, visibility, body, author_type, author_id, author_name, channel,
            email, custom_fields, interaction, notified,
            ${ISO_MS('created_at')} AS created_at
          FROM case_follow_ups WHERE case_id = c.id ORDER BY seq DESC LIMIT $2) f) AS follow_ups
     FROM cases c WHERE c.id = $1`,
    [id, limit],
    { name: 'cases.findWithFollowUps' },
  );
  if (!found) return null;
  const { follow_ups: followUps, ...row } = found;
  return { row, followUps };
}

/** One page of a case's follow-ups in writing order (oldest first) or reverse; `afterSeq` from the cursor. */
export async function listFollowUps(
  q: Queryable,
  caseId: string,
  opts: { newestFirst: boolean; afterSeq: number | null; limit: number; visibility?: 'public' | 'internal' },
): Promise<FollowUpRow[]> {
  const dir = opts.newestFirst ? 'DESC' : 'ASC';
  const params: unknown[] = [caseId, opts.limit];
  const where = ['case_id = $1'];
  if (opts.afterSeq !== null) {
    params.push(opts.afterSeq);
    where.push(`seq ${opts.newestFirst ? '<' : '>'} $${params.length}`);
  }
  if (opts.visibility) {
    params.push(opts.visibility);
    where.push(`visibility = $${params.length}`);
  }
  // One prepared statement per shape: each is a range of the (case_id, seq) index whatever the values.
  return q.query<FollowUpRow>(
    `SELECT ${COLUMNS} FROM case_follow_ups WHERE ${where.join(' AND ')} ORDER BY seq ${dir} LIMIT $2`,
    params,
    { name: `cases.followUps.${dir}${opts.afterSeq !== null ? '.after' : ''}${opts.visibility ? '.visibility' : ''}` },
  );
}
