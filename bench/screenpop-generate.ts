import type { Db } from '../src/db/adapter.js';

/**
 * Prior interactions for the screen-pop benchmark, inside PostgreSQL
 * (INSERT … SELECT over generate_series; no row crosses the driver): `count`
 * closed phone calls spread over random customers and the last two years, with
 * notes and dispositions, so a lookup's "last 3 interactions" reads real rows.
 * Secondary indexes are dropped for the load and rebuilt after it.
 */
export async function generateInteractions(
  db: Db,
  count: number,
  agents: string[],
  log: (s: string) => void,
): Promise<{ seconds: number }> {
  const t0 = performance.now();
  await db.exec(`SET maintenance_work_mem = '512MB'; SET max_parallel_maintenance_workers = 2`);
  const hasMap = await db.query(`SELECT 1 FROM pg_tables WHERE tablename = 'bench_customer_map'`);
  if (hasMap.length === 0) {
    await db.exec(`CREATE TABLE bench_customer_map AS
                   SELECT (row_number() OVER (ORDER BY id))::int AS n, id FROM customers;
                   ALTER TABLE bench_customer_map ADD PRIMARY KEY (n)`);
  }
  const [{ customers }] = await db.query<{ customers: number }>('SELECT count(*) AS customers FROM bench_customer_map');
  const indexes = await db.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes
     WHERE tablename = 'interactions' AND schemaname = current_schema()
       AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype = 'p')`,
  );
  for (const ix of indexes) await db.exec(`DROP INDEX ${ix.indexname}`);
  const chunk = 500_000;
  for (let a = 1; a <= count; a += chunk) {
    const b = Math.min(count, a + chunk - 1);
    await db.query(
      `INSERT INTO interactions (reference, channel, direction, from_address, to_address, agent_id, customer_id,
         match_result, matched_by, state, started_at, ended_at, wrap_up_until, closed_at, notes, disposition,
         created_at, updated_at)
       SELECT 'hist-' || g, 'phone', CASE WHEN h % 5 = 0 THEN 'outbound' ELSE 'inbound' END,
              '+1800555' || lpad((h % 10000)::text, 4, '0'), '+18005550000',
              ($3::uuid[])[1 + h % cardinality($3::uuid[])], m.id, 'found', 'phone', 'closed',
              ts, ts + interval '5 minutes', ts + interval '7 minutes', ts + interval '7 minutes',
              (ARRAY['Asked about the invoice', 'Password reset', 'Delivery late, escalated', 'Wants a callback',
                     'Upgrade questions', 'Complaint about the last repair'])[1 + h % 6],
              (ARRAY['resolved', 'resolved', 'callback_needed', 'escalated'])[1 + h % 4], ts, ts
       FROM (SELECT g, (hashint8(g + 77777777) & 2147483647) AS h,
                    now() - ((hashint8(g + 88888888) & 2147483647) % (2 * 365 * 86400)) * interval '1 second' AS ts
             FROM generate_series($1::bigint, $2::bigint) g) s
       JOIN bench_customer_map m ON m.n = 1 + (hashint8(s.g + 99999999) & 2147483647) % $4::bigint`,
      [a, b, agents, customers],
    );
    log(`  interactions ${b.toLocaleString('en')} / ${count.toLocaleString('en')}`);
  }
  for (const ix of indexes) await db.exec(ix.indexdef);
  await db.exec('VACUUM ANALYZE interactions');
  return { seconds: (performance.now() - t0) / 1000 };
}
