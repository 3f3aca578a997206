import type { Db, Queryable } from '../db/adapter.js';
import { type Actor, requirePrivilege, systemActor } from '../http/actor.js';
import { Invalid, NotFound } from '../http/errors.js';
import type { CasesService } from '../modules/cases/service.js';
import type { FollowUpInteraction } from '../modules/cases/schema.js';
import { parseTime } from '../modules/interactions/rules.js';
import type { Interaction, TranscriptPost } from '../modules/interactions/schema.js';
import { type InteractionsService, needsTimeline } from '../modules/interactions/service.js';
import { toInteraction, type InteractionRow } from '../modules/interactions/store.js';
import { displayName, type UsersService } from '../modules/users/service.js';

interface CaseTimelineDeps {
  cases: CasesService;
  interactions: InteractionsService;
  users: UsersService;
}

/** The largest transcript body (the follow-up body's limit). */
const MAX_BODY = 1_000_000;

/**
 * One timeline per case (docs/agent-workflow.md). An interaction linked to a
 * case is written on the case's timeline as a follow-up of kind call (phone)
 * or chat (chat, email) when it closes: its direction, duration, disposition
 * and wrap-up notes, internal. A transcript the platform posted becomes that
 * follow-up's body; one posted after the follow-up was written is a new
 * follow-up (follow-ups are append-only). Each step is the interactions and
 * cases services' own work, in one transaction.
 */
export class CaseTimelineFlow {
  constructor(
    private readonly db: Db,
    private readonly deps: CaseTimelineDeps,
  ) {
    deps.interactions.onClosedOnCase = (row, tx) => this.record(row, tx).then(() => undefined);
  }

  /**
   * Writes a closed, case-linked interaction on its case's timeline, in the
   * transaction that closed (or linked) it; returns the follow-up's id.
   */
  async record(row: InteractionRow, tx?: Queryable): Promise<string | null> {
    if (!needsTimeline(row) || row.case_id === null) return null;
    const caseId = row.case_id;
    const run = async (q: Queryable): Promise<string> => {
      const agent = row.agent_id ? await this.deps.users.findRowById(row.agent_id, q) : null;
      const added = await this.deps.cases.followUps.add(
        systemActor('system', 'case timeline'),
        caseId,
        {
          kind: row.channel === 'phone' ? 'call' : 'chat',
          direction: row.direction,
          visibility: 'internal',
          body: row.transcript ?? row.notes ?? summary(row),
          // Recording a call the agent already handled is not new activity from the customer.
          reopens: false,
          author: agent
            ? { type: 'user', id: agent.id, name: displayName(agent) }
            : { type: 'system', id: null, name: 'Contact center' },
          interaction: facts(row, row.transcript !== null),
        },
        q,
      );
      await this.deps.interactions.setCaseFollowUp(row.id, added.followUp.id, q);
      return added.followUp.id;
    };
    return tx ? run(tx) : this.db.transaction(run);
  }

  /**
   * POST /interactions/{id}/transcript: stores the transcript (once) and puts
   * it on the case's timeline: as the body of the interaction's follow-up when
   * that is written at close, or as a new follow-up when it already was.
   */
  async postTranscript(actor: Actor, id: string, input: TranscriptPost, now = new Date()): Promise<Interaction> {
    requirePrivilege(actor, 'customers.view');
    const text = transcriptText(input);
    const after = await this.db.transaction(async (tx) => {
      const before = await this.deps.interactions.row(id, true, tx);
      if (!before) throw new NotFound('Interaction');
      const row = await this.deps.interactions.saveTranscript(actor, id, text, now, tx);
      if (row.case_id !== null && row.case_follow_up_id !== null) {
        const agent = row.agent_id ? await this.deps.users.findRowById(row.agent_id, tx) : null;
        await this.deps.cases.followUps.add(
          systemActor('system', 'case timeline'),
          row.case_id,
          {
            kind: row.channel === 'phone' ? 'call' : 'chat',
            direction: row.direction,
            visibility: 'internal',
            body: text,
            reopens: false,
            author: agent
              ? { type: 'user', id: agent.id, name: displayName(agent) }
              : { type: 'system', id: null, name: 'Contact center' },
            interaction: facts(row, true),
          },
          tx,
        );
        return row;
      }
      if (needsTimeline(row)) await this.record(row, tx);
      return (await this.deps.interactions.row(id, false, tx)) ?? row;
    });
    return toInteraction(after, now);
  }
}

function facts(row: InteractionRow, transcript: boolean): FollowUpInteraction {
  return {
    id: row.id,
    channel: row.channel,
    durationSeconds: row.ended_at
      ? Math.max(0, Math.round((row.ended_at.getTime() - row.started_at.getTime()) / 1000))
      : null,
    disposition: row.disposition,
    notes: row.notes,
    transcript,
  };
}

/** The body of a follow-up for an interaction with neither notes nor transcript. */
function summary(row: InteractionRow): string {
  const what = row.channel === 'phone' ? 'call' : row.channel;
  const f = facts(row, false);
  const parts = [`${row.direction === 'inbound' ? 'Inbound' : 'Outbound'} ${what}`];
  if (f.durationSeconds !== null) parts.push(duration(f.durationSeconds));
  if (row.disposition) parts.push(`disposition ${row.disposition}`);
  return parts.join(', ');
}

function duration(s: number): string {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

/** The transcript as text: given as text, or one line per message ("time author: text"). */
function transcriptText(input: TranscriptPost): string {
  if ((input.text === undefined) === (input.messages === undefined)) {
    throw new Invalid([{ field: 'text', message: 'give either text or messages' }]);
  }
  let text: string;
  if (input.text !== undefined) {
    text = input.text;
  } else {
    text = input
      .messages!.map((m, i) => {
        const at = parseTime(m.at, `messages[${i}].at`);
        return `[${at.toISOString()}] ${m.author.trim()}: ${m.text}`;
      })
      .join('\n');
  }
  if (text.trim() === '')
    throw new Invalid([{ field: input.text !== undefined ? 'text' : 'messages', message: 'must not be empty' }]);
  if (text.length > MAX_BODY) {
    throw new Invalid([{ field: 'messages', message: `the transcript is longer than ${MAX_BODY} characters` }]);
  }
  return text;
}
