import { strToU8, zipSync, type Zippable } from 'fflate';
import type { Clock } from '../../clock.js';
import type { Db, Queryable, Row } from '../../db/adapter.js';
import { flushEvents } from '../../events/outbox.js';
import { requirePrivilege, type Actor } from '../../http/actor.js';
import { NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { recordAudit } from '../../modules/audit/service.js';
import { forgetVanishedCallerNumbers } from '../interactions/repeat.js';
import { exportedColumns } from './tables.js';

/** The pseudonymous shell an erased customer becomes. */
const ERASED_FIRST = 'Erased';
const ERASED_LAST = 'Customer';
const ERASED_TEXT = '[erased]';

interface ErasureResult {
  customerId: string;
  erasedAt: Date;
  alreadyErased: boolean;
  counts: Record<string, number>;
}

interface Scope {
  /** The record's exported columns. */
  customer: Row;
  /** Its name's search words (customers.name_terms), for the erasure only. */
  nameTerms: string[];
  phones: Row[];
  caseIds: string[];
  followUpIds: string[];
  taskIds: string[];
  interactionIds: string[];
  messageIds: string[];
  /** Strings that identify the person (email, phone numbers as typed and E.164). */
  addresses: string[];
}

const json = (v: unknown) => strToU8(JSON.stringify(v, null, 2));
const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'file';

/**
 * Privacy requests (docs/exporting.md, "Privacy requests"): everything held
 * about one customer as a zip (access), and erasure of their personal data
 * everywhere (erasure). The walk is driven by src/modules/privacy/tables.ts,
 * which test/privacy-coverage.test.ts keeps complete.
 *
 * Like exports, this flow reads and writes the owning modules' tables in one
 * transaction directly: the erasure must reach rows no module offers to change
 * (append-only history, follow-ups, closed interactions — through the narrow
 * `switchboard.erasure` bypass of their guards, migration 1001) and must be
 * one all-or-nothing change.
 */
export class PrivacyFlow {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  private async scope(tx: Queryable, customerId: string): Promise<Scope | null> {
    // The name's search words are not exported, but the erasure needs them (the search dictionary).
    const [row] = await tx.query(`SELECT ${exportedColumns('customers')}, name_terms FROM customers WHERE id = $1`, [
      customerId,
    ]);
    if (!row) return null;
    const { name_terms: nameTerms, ...customer } = row;
    const phones = await tx.query(
      `SELECT ${exportedColumns('customer_phones')} FROM customer_phones WHERE customer_id = $1 ORDER BY position`,
      [customerId],
    );
    const ids = async (sql: string, params: unknown[]) =>
      (await tx.query<{ id: string }>(sql, params)).map((r) => String(r.id));
    const caseIds = await ids('SELECT id FROM cases WHERE customer_id = $1', [customerId]);
    const followUpIds = await ids('SELECT id FROM case_follow_ups WHERE case_id = ANY($1::uuid[])', [caseIds]);
    const taskIds = await ids('SELECT id FROM tasks WHERE customer_id = $1 OR case_id = ANY($2::uuid[])', [
      customerId,
      caseIds,
    ]);
    const addresses = [
      customer.email as string | null,
      ...phones.flatMap((p) => [p.raw as string, p.e164 as string | null]),
    ].filter((a): a is string => Boolean(a));
    const interactionIds = await ids(
      `SELECT id FROM interactions WHERE customer_id = $1 OR case_id = ANY($2::uuid[])
          OR from_address = ANY($3::text[]) OR to_address = ANY($3::text[])`,
      [customerId, caseIds, addresses],
    );
    const messageIds = await ids(
      'SELECT id FROM email_messages WHERE case_id = ANY($1::uuid[]) OR follow_up_id = ANY($2::uuid[])',
      [caseIds, followUpIds],
    );
    return {
      customer,
      nameTerms: (nameTerms as string[] | null) ?? [],
      phones,
      caseIds,
      followUpIds,
      taskIds,
      interactionIds,
      messageIds,
      addresses,
    };
  }

  /**
   * Everything held about the customer, as one zip: the record and phones,
   * cases, follow-ups, tasks, interactions, history, emails (parsed, raw as
   * .eml, attachments), and the Support Center account and sessions (no
   * password hash). Read from one snapshot; audited.
   */
  async exportCustomer(actor: Actor, customerId: string): Promise<{ zip: Uint8Array; fileName: string }> {
    requirePrivilege(actor, 'data.export', 'customers.view', 'cases.view', 'cases.viewPrivate', 'tasks.view');
    if (!isUuid(customerId)) throw new NotFound('Customer');
    const zip = await this.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const s = await this.scope(tx, customerId);
      if (!s) throw new NotFound('Customer');
      const rows = (sql: string, params: unknown[]) => tx.query(sql, params);
      const files: Zippable = {
        'customer.json': json({ ...s.customer, phones: s.phones }),
        'cases.json': json(
          await rows(`SELECT ${exportedColumns('cases')} FROM cases WHERE id = ANY($1::uuid[]) ORDER BY opened_at`, [
            s.caseIds,
          ]),
        ),
        'follow-ups.json': json(
          await rows(
            `SELECT ${exportedColumns('case_follow_ups')} FROM case_follow_ups WHERE id = ANY($1::uuid[]) ORDER BY seq`,
            [s.followUpIds],
          ),
        ),
        'tasks.json': json(
          await rows(`SELECT ${exportedColumns('tasks')} FROM tasks WHERE id = ANY($1::uuid[]) ORDER BY created_at`, [
            s.taskIds,
          ]),
        ),
        'interactions.json': json(
          await rows(
            `SELECT ${exportedColumns('interactions')} FROM interactions WHERE id = ANY($1::uuid[]) ORDER BY started_at`,
            [s.interactionIds],
          ),
        ),
        'history.json': json(
          await rows(
            `SELECT ${exportedColumns('history')} FROM history WHERE record_id = ANY($1::uuid[]) ORDER BY id`,
            [[customerId, ...s.caseIds, ...s.taskIds, ...s.interactionIds, ...s.followUpIds]],
          ),
        ),
        'external-ids.json': json(
          await rows(
            'SELECT system, external_id, created_at FROM customer_external_ids WHERE customer_id = $1 ORDER BY system',
            [customerId],
          ),
        ),
        'support-center.json': json({
          account: (
            await rows(
              `SELECT customer_id, enabled, last_sign_in_at, password_changed_at, created_at, updated_at
                 FROM portal_accounts WHERE customer_id = $1`,
              [customerId],
            )
          )[0],
          sessions: await rows(
            'SELECT created_at, last_seen_at, expires_at FROM portal_sessions WHERE customer_id = $1 ORDER BY created_at',
            [customerId],
          ),
        }),
      };
      const messages = await rows(
        `SELECT ${exportedColumns('email_messages')} FROM email_messages WHERE id = ANY($1::uuid[]) ORDER BY created_at`,
        [s.messageIds],
      );
      files['emails.json'] = json(messages.map(({ raw: _raw, ...m }) => m));
      for (const m of messages) {
        if (m.raw) files[`emails/${m.id}.eml`] = new Uint8Array(m.raw as Uint8Array);
      }
      const attachments = await rows(
        `SELECT message_id, position, filename, content FROM email_attachments
          WHERE message_id = ANY($1::uuid[]) AND content IS NOT NULL ORDER BY message_id, position`,
        [s.messageIds],
      );
      for (const a of attachments) {
        files[`attachments/${a.message_id}/${a.position}-${safeName(String(a.filename))}`] = new Uint8Array(
          a.content as Uint8Array,
        );
      }
      const uploaded = await rows(
        `SELECT id, filename, content FROM email_uploads WHERE case_id = ANY($1::uuid[]) ORDER BY created_at, id`,
        [s.caseIds],
      );
      for (const u of uploaded) {
        files[`attachments/uploads/${u.id}-${safeName(String(u.filename))}`] = new Uint8Array(u.content as Uint8Array);
      }
      await recordAudit(tx, actor, {
        action: 'customer.privacy_exported',
        targetType: 'customer',
        targetId: customerId,
        details: { cases: s.caseIds.length, emails: s.messageIds.length },
      });
      return zipSync(files);
    });
    return { zip, fileName: `customer-${customerId}-${this.clock.now().toISOString().slice(0, 10)}.zip` };
  }

  /** Who erased the customer, when and why; null if never erased. 404 when there is no such customer. */
  async erasureOf(customerId: string): Promise<{ erasedAt: Date; erasedBy: string; reason: string } | null> {
    if (!isUuid(customerId)) throw new NotFound('Customer');
    const [row] = await this.db.query<{
      exists: boolean;
      erased_at: Date | null;
      erased_by_name: string;
      reason: string;
    }>(
      `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1) AS exists, e.erased_at, e.erased_by_name, e.reason
         FROM (SELECT 1) one LEFT JOIN privacy_erasures e ON e.customer_id = $1`,
      [customerId],
    );
    if (!row.exists) throw new NotFound('Customer');
    return row.erased_at ? { erasedAt: row.erased_at, erasedBy: row.erased_by_name, reason: row.reason } : null;
  }

  /**
   * Erases the customer's personal data everywhere (src/modules/privacy/tables.ts
   * says what happens where), leaving a pseudonymous shell so counts and
   * reports stay right, and an erasure record (who, when, why) on the audit
   * trail. One transaction; irreversible; a second call changes nothing.
   */
  async erase(actor: Actor, customerId: string, reason: string): Promise<ErasureResult> {
    requirePrivilege(actor, 'customers.erase');
    if (!isUuid(customerId)) throw new NotFound('Customer');
    return this.db.transaction(async (tx) => {
      const [done] = await tx.query<{ erased_at: Date; counts: Record<string, number> }>(
        'SELECT erased_at, counts FROM privacy_erasures WHERE customer_id = $1',
        [customerId],
      );
      if (done) return { customerId, erasedAt: done.erased_at, alreadyErased: true, counts: done.counts };
      // Lock the customer first: nobody edits it while it is erased.
      const locked = await tx.query('SELECT id FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
      if (locked.length === 0) throw new NotFound('Customer');
      const s = (await this.scope(tx, customerId))!;
      // Only for this transaction: history, follow-ups and closed interactions accept these updates.
      await tx.query(`SELECT set_config('switchboard.erasure', 'on', true)`);
      const counts: Record<string, number> = {};
      const run = async (name: string, sql: string, params: unknown[]) => {
        const r = await tx.query(`WITH changed AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM changed`, params);
        counts[name] = (counts[name] ?? 0) + Number(r[0].n);
      };
      const c = s.customer;
      const words = s.nameTerms;
      const keys = [c.email as string | null, c.account_number as string, ...s.addresses]
        .filter((k): k is string => Boolean(k))
        .map((k) => k.toLowerCase());
      const recordIds = [customerId, ...s.caseIds, ...s.taskIds, ...s.interactionIds, ...s.followUpIds];

      await run('emailAttachments', 'DELETE FROM email_attachments WHERE message_id = ANY($1::uuid[])', [s.messageIds]);
      await run('emailUploads', 'DELETE FROM email_uploads WHERE case_id = ANY($1::uuid[])', [s.caseIds]);
      await run(
        'emailMessages',
        `UPDATE email_messages SET from_address = NULL, subject = $2, text_body = NULL, html_body = NULL, raw = NULL,
                envelope = '{}'::jsonb WHERE id = ANY($1::uuid[])`,
        [s.messageIds, ERASED_TEXT],
      );
      await run(
        'emailOutbox',
        `UPDATE email_outbox SET to_addresses = '{}', cc_addresses = '{}', bcc_addresses = '{}', subject = $2, body = ''
          WHERE case_id = ANY($1::uuid[]) OR email_message_id = ANY($3::uuid[])`,
        [s.caseIds, ERASED_TEXT, s.messageIds],
      );
      await run(
        'emailQuarantine',
        `DELETE FROM email_quarantine WHERE lower(from_address) = ANY($1::text[]) OR resolved_case_id = ANY($2::uuid[])`,
        [keys, s.caseIds],
      );
      await run(
        'followUps',
        `UPDATE case_follow_ups SET body = $2, email = NULL, custom_fields = '{}'::jsonb, notified = '{}',
                author_name = CASE WHEN author_type = 'customer' THEN $3 ELSE author_name END
          WHERE id = ANY($1::uuid[])`,
        [s.followUpIds, ERASED_TEXT, `${ERASED_FIRST} ${ERASED_LAST}`],
      );
      await run(
        'cases',
        `UPDATE cases SET subject = $2, description = '', custom_fields = '{}'::jsonb, tags = '{}', version = version + 1
          WHERE id = ANY($1::uuid[])`,
        [s.caseIds, ERASED_TEXT],
      );
      await run(
        'tasks',
        `UPDATE tasks SET subject = $2, notes = NULL, outcome = NULL, custom_fields = '{}'::jsonb, version = version + 1
          WHERE id = ANY($1::uuid[])`,
        [s.taskIds, ERASED_TEXT],
      );
      const callerNumbers = await tx.query<{ n: string }>(
        'SELECT DISTINCT from_address AS n FROM interactions WHERE id = ANY($1::uuid[]) AND from_address IS NOT NULL',
        [s.interactionIds],
      );
      await run(
        'interactions',
        `UPDATE interactions SET from_address = NULL, to_address = NULL, notes = NULL, case_number_given = NULL
          WHERE id = ANY($1::uuid[])`,
        [s.interactionIds],
      );
      // Blanking them listed their numbers for the repeat callers' fold (interactions/repeat.ts).
      await forgetVanishedCallerNumbers(
        tx,
        callerNumbers.map((r) => r.n),
      );
      await run(
        'history',
        `UPDATE history SET changes = '[]'::jsonb,
                actor_name = CASE WHEN actor_id IS NULL AND channel IN ('portal', 'email') THEN $2 ELSE actor_name END
          WHERE record_id = ANY($1::uuid[])`,
        [recordIds, `${ERASED_FIRST} ${ERASED_LAST}`],
      );
      // Events this erasure's own steps emitted are written at commit; write them now so the delete sees them.
      await flushEvents(tx);
      await run(
        'events',
        `DELETE FROM events WHERE record_id = ANY($1::uuid[])
            OR EXISTS (SELECT 1 FROM unnest($2::text[]) k WHERE strpos(lower(payload::text), k) > 0)`,
        [recordIds, [customerId, ...keys]],
      );
      // Webhook events not yet sent or kept in the delivery log carry the records as the API returned them
      // (their deliveries and attempts go with them); the receivers hold their own copies.
      await run(
        'webhookEvents',
        `DELETE FROM webhook_events WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) k WHERE strpos(lower(body), k) > 0)`,
        [[...recordIds, ...keys]],
      );
      await run(
        'notifications',
        `DELETE FROM notifications WHERE record_id = ANY($1::uuid[])
            OR EXISTS (SELECT 1 FROM unnest($2::text[]) k WHERE strpos(lower(title || payload::text), k) > 0)`,
        [recordIds, [customerId, ...keys]],
      );
      await run(
        'idempotencyKeys',
        `DELETE FROM idempotency_keys
          WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) k WHERE strpos(lower(coalesce(response_body, '')), k) > 0)`,
        [[...recordIds, ...keys]],
      );
      // The vCards (or CRM documents) last read for their ids in two-way connectors' systems.
      await run(
        'connectorDocuments',
        `UPDATE connector_contacts cc SET document = NULL FROM connectors c, customer_external_ids e
          WHERE cc.connector_id = c.id AND e.system = c.system AND cc.external_id = e.external_id
            AND e.customer_id = $1 AND cc.document IS NOT NULL`,
        [customerId],
      );
      await run('externalIds', 'DELETE FROM customer_external_ids WHERE customer_id = $1', [customerId]);
      await run('portalSessions', 'DELETE FROM portal_sessions WHERE customer_id = $1', [customerId]);
      await run('portalResetTokens', 'DELETE FROM portal_reset_tokens WHERE customer_id = $1', [customerId]);
      await run('portalAccounts', 'DELETE FROM portal_accounts WHERE customer_id = $1', [customerId]);
      await run(
        'portalThrottle',
        `DELETE FROM portal_throttle WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) k WHERE strpos(lower(key), k) > 0)`,
        [keys],
      );
      await run(
        'importErrors',
        `DELETE FROM import_errors WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) k WHERE strpos(lower(record::text), k) > 0)`,
        [keys],
      );
      await run(
        'importClaims',
        `DELETE FROM import_claims WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) k WHERE strpos(lower(key), k) > 0)`,
        [keys],
      );
      await run('exportFileChunks', 'DELETE FROM export_file_chunks', []);
      await run('exportFiles', 'DELETE FROM export_files', []);
      await run('phones', 'DELETE FROM customer_phones WHERE customer_id = $1', [customerId]);
      await run(
        'customers',
        `UPDATE customers SET first_name = $2, last_name = $3, company = NULL, email = NULL, notes = NULL,
                primary_address = NULL, secondary_address = NULL, custom_fields = '{}'::jsonb, vip = false,
                name_terms = '{}', tags = '{}', version = version + 1, updated_at = $4
          WHERE id = $1`,
        [customerId, ERASED_FIRST, ERASED_LAST, this.clock.now()],
      );
      // The search dictionary's words of their names that no other customer has.
      await run(
        'searchWords',
        `DELETE FROM customer_terms t WHERE t.term = ANY($1::text[])
            AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.name_terms @> ARRAY[t.term]::text[])`,
        [words],
      );
      const erasedAt = this.clock.now();
      await tx.query(
        `INSERT INTO privacy_erasures (customer_id, erased_by, erased_by_name, reason, counts, erased_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [customerId, actor.userId, actor.name, reason, JSON.stringify(counts), erasedAt],
      );
      await recordAudit(tx, actor, {
        action: 'customer.erased',
        targetType: 'customer',
        targetId: customerId,
        details: { reason, counts },
      });
      return { customerId, erasedAt, alreadyErased: false, counts };
    });
  }
}
