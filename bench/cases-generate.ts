import pg from 'pg';

/**
 * Generates cases and follow-ups inside PostgreSQL with INSERT … SELECT over
 * generate_series (no row crosses the driver), in chunks so progress shows.
 * Secondary indexes are dropped for the load and rebuilt after it; foreign-key
 * triggers are skipped (session_replication_role = replica) because the rows
 * are consistent by construction.
 *
 * Shape of the data:
 * - cases spread over ~3 years (one every 30 s at 3M), case numbers 100001…,
 *   customers picked at random (≈3 per customer), ~90% with an owner among
 *   `agents`, ~8% open (recent cases far more often), 5% private;
 * - subjects and descriptions drawn from a Zipf-distributed vocabulary
 *   (a few words are in a third of all cases, most are rare), so full-text
 *   search meets both common and rare terms;
 * - one "busy" agent with exactly 2,000 open cases (and 3,000 closed ones);
 * - follow-ups spread round-robin over all cases (3–4 each), plus 1,000
 *   "long" cases with 100 follow-ups each; a quarter are emails with headers.
 */

export interface CasesGenOptions {
  cases: number;
  followUps: number;
  agents: string[];
  busyAgent: string;
  log: (s: string) => void;
}

export interface CasesGenResult {
  seconds: { cases: number; followUps: number; indexes: number; vacuum: number; total: number };
}

const BUSY_OPEN = 2000;
const BUSY_CLOSED = 3000;
const LONG_CASES = 1000;
const LONG_FOLLOW_UPS = 100;
const CHUNK = 250_000;

// ------------------------------------------------------------------ text

/** A small deterministic PRNG (mulberry32): the same vocabulary and texts on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DOMAIN = `printer invoice password login refund delivery account error email order payment billing shipping
  broken screen battery charger cable router wifi internet slow crash update install license subscription cancel upgrade
  address phone number contract warranty repair replacement damaged missing package tracking courier late duplicate charge
  card bank transfer statement discount coupon promotion price quote catalogue stock availability backorder return label
  exchange size colour manual setup configuration firmware driver bluetooth pairing sync backup restore data export import
  report dashboard permission access locked reset verification code security fraud suspicious transaction dispute chargeback
  appointment booking reschedule cancellation confirmation reminder notification complaint feedback survey escalation
  manager callback voicemail transfer queue agent chat outage maintenance downtime latency timeout certificate domain
  mailbox spam attachment calendar meeting invitation printer toner paper jam scanner fax keyboard mouse monitor laptop
  tablet mobile app android iphone browser cookie cache plugin extension integration webhook api token quota limit`
  .split(/\s+/)
  .filter(Boolean);
const SYL =
  'ka lo mi ne ru sa ti vo ze bra cli dro fen gla hu ix jo kre lu mor nat ol pre qui ros sta tur ul vex wim'.split(' ');

function vocabulary(size: number, rnd: () => number): string[] {
  const words = [...new Set(DOMAIN)];
  const seen = new Set(words);
  while (words.length < size) {
    const n = 2 + Math.floor(rnd() * 2);
    let w = '';
    for (let i = 0; i < n; i++) w += SYL[Math.floor(rnd() * SYL.length)];
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

/** Zipf (s = 1): rank r with probability ∝ 1/r, by inverse CDF. */
const zipf = (vocab: string[], rnd: () => number) => vocab[Math.floor(Math.pow(vocab.length, rnd())) - 1];

export function texts() {
  const rnd = prng(42);
  const vocab = vocabulary(5000, rnd);
  const sentence = (n: number) => Array.from({ length: n }, () => zipf(vocab, rnd)).join(' ');
  const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
  return {
    vocab,
    subjects: Array.from({ length: 20_000 }, () => cap(sentence(4 + Math.floor(rnd() * 3)))),
    descriptions: Array.from({ length: 5_000 }, () => cap(sentence(15 + Math.floor(rnd() * 15))) + '.'),
    bodies: Array.from({ length: 2_000 }, () => cap(sentence(25 + Math.floor(rnd() * 30))) + '.'),
  };
}

// ------------------------------------------------------------------ load

interface IndexDef {
  name: string;
  def: string;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Loads cases and follow-ups into an empty cases table (customers and users exist). */
export async function generateCases(url: string, opts: CasesGenOptions): Promise<CasesGenResult> {
  const { log } = opts;
  const t0 = performance.now();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 2;
                   SET synchronous_commit = off; SET session_replication_role = replica; SET statement_timeout = 0`);
    const t = texts();
    const [{ n: customers }] = (await c.query('SELECT count(*)::int AS n FROM customers')).rows;
    log(`  mapping ${customers} customers to 1…${customers}`);
    await c.query('DROP TABLE IF EXISTS bench_customer_map');
    await c.query(`CREATE TABLE bench_customer_map AS
                   SELECT (row_number() OVER (ORDER BY id))::int AS n, id FROM customers`);
    await c.query('ALTER TABLE bench_customer_map ADD PRIMARY KEY (n)');
    // Texts as small tables joined by number (subscripting a large array parameter per row is slow).
    for (const [table, list] of [
      ['bench_subjects', t.subjects],
      ['bench_descriptions', t.descriptions],
      ['bench_bodies', t.bodies],
    ] as const) {
      await c.query(`DROP TABLE IF EXISTS ${table}`);
      await c.query(
        `CREATE TABLE ${table} AS SELECT (n - 1)::int AS n, s FROM unnest($1::text[]) WITH ORDINALITY AS u(s, n)`,
        [list],
      );
      await c.query(`ALTER TABLE ${table} ADD PRIMARY KEY (n)`);
      await c.query(`ANALYZE ${table}`);
    }

    // Secondary indexes go during the load. Primary keys stay (other modules' foreign keys
    // depend on them): follow-up ids are generated in ascending order, so their index grows at its end.
    const indexes: IndexDef[] = (
      await c.query<{ name: string; def: string }>(
        `SELECT indexname AS name, indexdef AS def FROM pg_indexes
         WHERE tablename IN ('cases', 'case_follow_ups') AND schemaname = current_schema()
           AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))`,
      )
    ).rows;
    for (const ix of indexes) await c.query(`DROP INDEX ${ix.name}`);

    const N = opts.cases - BUSY_OPEN - BUSY_CLOSED;
    const caseSql = `
      INSERT INTO cases (id, case_number, customer_id, subject, description, status, is_open, priority, severity,
                         visibility, owner_id, channel, opened_at, closed_at, version, created_at, updated_at)
      SELECT md5('case' || g)::uuid, 100000 + g, m.id,
             su.s, de.s,
             CASE WHEN open THEN 'open' ELSE 'closed' END, open,
             (ARRAY['low','normal','normal','normal','high','urgent'])[1 + h3 % 6],
             (ARRAY['minor','minor','minor','major','critical'])[1 + h4 % 5],
             CASE WHEN h3 % 20 = 7 THEN 'private' ELSE 'public' END,
             owner, (ARRAY['phone','phone','email','email','chat','web','portal','other'])[1 + h4 % 8],
             opened, CASE WHEN open THEN NULL ELSE opened + (1 + h5 % 500) * interval '1 hour' END,
             1 + h5 % 4, opened, CASE WHEN open THEN opened ELSE opened + (1 + h5 % 500) * interval '1 hour' END
      FROM (
        SELECT g, h1, h2, h3, h4, h5, opened,
               CASE WHEN g > $4::bigint THEN (g - $4::bigint) % 5 < 2
                    WHEN g > $4::bigint * 0.95 THEN h3 % 10 < 6 ELSE h3 % 100 < 3 END AS open,
               CASE WHEN g > $4::bigint THEN $6::uuid WHEN h4 % 10 = 3 THEN NULL
                    ELSE ($3::uuid[])[1 + h5 % cardinality($3::uuid[])] END AS owner
        FROM (
          SELECT g, (hashint8(g) & 2147483647) AS h1, (hashint8(g + 11111111) & 2147483647) AS h2, (hashint8(g + 22222222) & 2147483647) AS h3,
                 (hashint8(g + 33333333) & 2147483647) AS h4, (hashint8(g + 44444444) & 2147483647) AS h5,
                 CASE WHEN g > $4::bigint THEN $7::timestamptz - (g - $4::bigint) * interval '5 hours'
                      ELSE $7::timestamptz - ($4::bigint - g) * interval '30 seconds' END AS opened
          FROM generate_series($8::bigint, $9::bigint) g
        ) h
      ) s
      JOIN bench_customer_map m ON m.n = 1 + (hashint8(s.g + 55555555) & 2147483647) % $5::bigint
      JOIN bench_subjects su ON su.n = s.h1 % $1::int
      JOIN bench_descriptions de ON de.n = s.h2 % $2::int`;
    const base = new Date().toISOString();
    const total = opts.cases;
    const tCases = await timed(async () => {
      for (let a = 1; a <= total; a += CHUNK) {
        const b = Math.min(total, a + CHUNK - 1);
        await c.query(caseSql, [
          t.subjects.length,
          t.descriptions.length,
          opts.agents,
          N,
          customers,
          opts.busyAgent,
          base,
          a,
          b,
        ]);
        log(`  cases ${b.toLocaleString('en')} / ${total.toLocaleString('en')}`);
      }
      await c.query(`SELECT setval('case_number_seq', 100000 + $1::bigint)`, [total]);
    });

    // Follow-ups: the k-th (0-based) of case cg is written k × 2 h after the case was opened.
    const fuSql = `
      INSERT INTO case_follow_ups (id, case_id, kind, direction, visibility, body, author_type, author_id,
                                   author_name, channel, email, created_at)
      SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, md5('case' || cg)::uuid, kind, direction,
             CASE WHEN kind IN ('email', 'chat') THEN 'public' ELSE 'internal' END,
             bo.s,
             CASE WHEN direction = 'inbound' THEN 'customer' ELSE 'user' END,
             CASE WHEN direction = 'inbound' THEN NULL ELSE ($2::uuid[])[1 + h % cardinality($2::uuid[])] END,
             CASE WHEN direction = 'inbound' THEN 'Customer' ELSE 'Agent ' || (1 + h % cardinality($2::uuid[])) END,
             CASE WHEN direction = 'inbound' THEN 'email' ELSE 'console' END,
             CASE WHEN kind = 'email' THEN jsonb_build_object(
               'from', CASE WHEN direction = 'inbound' THEN 'customer' || cg || '@example.com' ELSE 'support@example.com' END,
               'to', jsonb_build_array(CASE WHEN direction = 'inbound' THEN 'support@example.com' ELSE 'customer' || cg || '@example.com' END),
               'cc', '[]'::jsonb, 'bcc', '[]'::jsonb,
               'subject', 'Re: [#' || (100000 + cg) || ']', 'messageId', '<' || g || '.' || cg || '@bench.example>') END,
             LEAST($4::timestamptz, CASE WHEN cg > $3::bigint THEN $4::timestamptz - (cg - $3::bigint) * interval '5 hours'
                  ELSE $4::timestamptz - ($3::bigint - cg) * interval '30 seconds' END + (k + 1) * interval '2 hours')
      FROM (
        SELECT g, cg, k, h,
               (ARRAY['note','note','note','note','call','call','chat','email','email','email'])[1 + h % 10] AS kind,
               CASE WHEN h % 10 >= 7 THEN (CASE WHEN h % 2 = 0 THEN 'inbound' ELSE 'outbound' END) END AS direction
        FROM (
          SELECT g, (hashint8(g + 66666666) & 2147483647) AS h,
                 CASE WHEN g <= $5::bigint THEN 1 + (g - 1) % $6::bigint
                      ELSE $9::bigint * (1 + (g - $5::bigint - 1) % $10::bigint) END AS cg,
                 CASE WHEN g <= $5::bigint THEN (g - 1) / $6::bigint ELSE 4 + (g - $5::bigint - 1) / $10::bigint END AS k
          FROM generate_series($7::bigint, $8::bigint) g
        ) x
      ) s
      JOIN bench_bodies bo ON bo.n = s.h % $1::int`;
    const longEvery = Math.max(1, Math.floor(N / LONG_CASES));
    const longTotal = Math.min(LONG_CASES, N) * LONG_FOLLOW_UPS;
    const spread = Math.max(0, opts.followUps - longTotal);
    const fuTotal = spread + longTotal;
    const tFollowUps = await timed(async () => {
      for (let a = 1; a <= fuTotal; a += CHUNK) {
        const b = Math.min(fuTotal, a + CHUNK - 1);
        await c.query(fuSql, [
          t.bodies.length,
          opts.agents,
          N,
          base,
          spread,
          total,
          a,
          b,
          longEvery,
          Math.min(LONG_CASES, N),
        ]);
        log(`  follow-ups ${b.toLocaleString('en')} / ${fuTotal.toLocaleString('en')}`);
      }
    });

    const tIndexes = await timed(async () => {
      for (const ix of indexes) {
        const s2 = await timed(() => c.query(ix.def));
        log(`  index ${ix.name}: ${s2.toFixed(1)} s`);
      }
    });
    const tVacuum = await timed(() => c.query('VACUUM ANALYZE cases, case_follow_ups'));
    log(`  vacuum analyze: ${tVacuum.toFixed(1)} s`);
    return {
      seconds: {
        cases: tCases,
        followUps: tFollowUps,
        indexes: tIndexes,
        vacuum: tVacuum,
        total: (performance.now() - t0) / 1000,
      },
    };
  } finally {
    await c.end();
  }
}

/** The long cases (100 follow-ups each) of a generated data set, as case numbers. */
export function longCaseNumbers(cases: number): number[] {
  const N = cases - BUSY_OPEN - BUSY_CLOSED;
  const every = Math.max(1, Math.floor(N / LONG_CASES));
  return Array.from({ length: Math.min(LONG_CASES, N) }, (_, j) => 100000 + every * (j + 1));
}
