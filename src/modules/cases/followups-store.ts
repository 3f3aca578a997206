import type { Queryable } from '../../db/adapter.js';
import { maybeOne, one } from '../../db/adapter.js';
import type { FollowUp, FollowUpEmail, FollowUpInteraction, FollowUpKind } from './schema.js';

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

export function toFollowUp(r: FollowUpRow): FollowUp {
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
    createdAt: r.created_at.toISOString(),
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
  return q.query<FollowUpRow>(
    `SELECT ${COLUMNS} FROM case_follow_ups WHERE ${where.join(' AND ')} ORDER BY seq ${dir} LIMIT $2`,
    params,
  );
}
