import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import type { Customer, CustomerCreate, CustomerPatch } from './schema.js';
import type { CustomersService } from './service.js';

interface ExternalId {
  system: string;
  id: string;
}

const SYSTEM = /^[a-z0-9][a-z0-9_.-]{0,39}$/;

function check(system: string, externalId: string): void {
  if (!SYSTEM.test(system)) {
    throw new Invalid([{ field: 'system', message: 'lower-case letters, digits, . _ - (at most 40)' }]);
  }
  if (externalId.length < 1 || externalId.length > 200) {
    throw new Invalid([{ field: 'externalId', message: 'between 1 and 200 characters' }]);
  }
}

/**
 * Customers' ids in other systems (a CRM, a billing system): one per system
 * per customer, and each `{system, id}` names one customer. The upsert runs
 * the API's own create or update (validation, versions, history, events,
 * webhooks) in one transaction, its history naming the system.
 */
export class ExternalIdsService {
  constructor(
    private readonly db: Db,
    private readonly customers: CustomersService,
  ) {}

  async list(actor: Actor, customerId: string, tx?: Queryable): Promise<ExternalId[]> {
    requirePrivilege(actor, 'customers.view');
    if (!isUuid(customerId)) throw new NotFound('Customer');
    const rows = await (tx ?? this.db).query<{ system: string; external_id: string }>(
      'SELECT system, external_id FROM customer_external_ids WHERE customer_id = $1 ORDER BY system',
      [customerId],
    );
    return rows.map((r) => ({ system: r.system, id: r.external_id }));
  }

  /** The customer carrying this external id, or null. */
  async find(actor: Actor, system: string, externalId: string, tx?: Queryable): Promise<Customer | null> {
    requirePrivilege(actor, 'customers.view');
    check(system, externalId);
    const rows = await (tx ?? this.db).query<{ customer_id: string }>(
      'SELECT customer_id FROM customer_external_ids WHERE system = $1 AND external_id = $2',
      [system, externalId],
    );
    return rows[0] ? this.customers.get(actor, rows[0].customer_id, tx) : null;
  }

  /**
   * The ids of one system in id order after `after`, at most `limit`, with
   * their customers: what a two-way contact sync pushes.
   */
  async listBySystem(
    actor: Actor,
    system: string,
    page: { after: string | null; limit: number },
    tx?: Queryable,
  ): Promise<{ externalId: string; customer: Customer }[]> {
    requirePrivilege(actor, 'customers.view');
    check(system, page.after ?? 'x');
    const rows = await (tx ?? this.db).query<{ external_id: string; customer_id: string }>(
      `SELECT external_id, customer_id FROM customer_external_ids
       WHERE system = $1 AND ($2::text IS NULL OR external_id > $2) ORDER BY external_id LIMIT $3`,
      [system, page.after, page.limit],
    );
    const out: { externalId: string; customer: Customer }[] = [];
    for (const r of rows) {
      const customer = await this.customers.get(actor, r.customer_id, tx).catch(() => null);
      if (customer) out.push({ externalId: r.external_id, customer });
    }
    return out;
  }

  /** Removes a customer's id in a system (the record was deleted there); the customer stays. */
  async unlink(actor: Actor, system: string, externalId: string, tx?: Queryable): Promise<void> {
    requirePrivilege(actor, 'customers.edit');
    check(system, externalId);
    await (tx ?? this.db).query('DELETE FROM customer_external_ids WHERE system = $1 AND external_id = $2', [
      system,
      externalId,
    ]);
  }

  /**
   * Creates the customer (and the id) when the id is new, otherwise changes
   * the fields sent. `expectedVersion` null: the other system does not know
   * ours (sync), the last write wins. Sending the same body again changes nothing.
   */
  async upsert(
    actor: Actor,
    system: string,
    externalId: string,
    body: CustomerPatch,
    expectedVersion: number | null,
    tx?: Queryable,
  ): Promise<{ created: boolean; customer: Customer }> {
    requirePrivilege(actor, 'customers.view');
    check(system, externalId);
    const via: Actor = { ...actor, channel: 'api', name: `${actor.name} (${system})` };
    return inTransaction(this.db, tx, async (q) => {
      // Two upserts of one new id at once: the second waits and then updates.
      await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`customer_external_id:${system}:${externalId}`]);
      const rows = await q.query<{ customer_id: string }>(
        'SELECT customer_id FROM customer_external_ids WHERE system = $1 AND external_id = $2',
        [system, externalId],
      );
      const { version: _v, ...fields } = body;
      if (rows[0]) {
        const customer = await this.customers.update(via, rows[0].customer_id, fields, expectedVersion, q);
        return { created: false, customer };
      }
      const customer = await this.customers.create(via, fields as CustomerCreate, q);
      await q.query('INSERT INTO customer_external_ids (system, external_id, customer_id) VALUES ($1, $2, $3)', [
        system,
        externalId,
        customer.id,
      ]);
      return { created: true, customer };
    });
  }

  /** Links an existing customer to an id (replacing its id in that system). */
  async link(actor: Actor, customerId: string, ref: ExternalId, tx?: Queryable): Promise<ExternalId[]> {
    requirePrivilege(actor, 'customers.edit');
    check(ref.system, ref.id);
    return inTransaction(this.db, tx, async (q) => {
      if (!isUuid(customerId)) throw new NotFound('Customer');
      const found = await q.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
      if (found.length === 0) throw new NotFound('Customer');
      await q.query('DELETE FROM customer_external_ids WHERE customer_id = $1 AND system = $2', [
        customerId,
        ref.system,
      ]);
      await q.query('INSERT INTO customer_external_ids (system, external_id, customer_id) VALUES ($1, $2, $3)', [
        ref.system,
        ref.id,
        customerId,
      ]);
      return this.list(actor, customerId, q);
    });
  }
}
