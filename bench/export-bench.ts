/**
 * Export benchmark (PostgreSQL): fills a fresh database with generated
 * customers (1–2 phones each, an address, custom field values), exports them
 * all as CSV over HTTP from a real server, and times `COPY (the same SELECT)
 * TO STDOUT` of the same rows in the same script as the floor. Reports rows/s,
 * time to first byte, the server's peak RSS (VmHWM) and the load average.
 *
 *   npx tsx bench/export-bench.ts --customers 50000 [--record]
 *
 * Then the privacy export (GET /api/v1/customers/{id}/privacy-export, the whole
 * archive) of one customer given --privacy-cases 1000 cases with
 * --privacy-follow-ups 10000 follow-ups between them (notes, calls and emails),
 * timed three times: the median and the archive's size.
 *
 * Options: --pg postgres://postgres@127.0.0.1:5432/postgres (the benchmark
 * uses its own database `sb_export_bench`), --port 3941, --record (append the
 * figures to bench/RESULTS.md), --heap-mb 192 (the server's V8 old-space limit).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { OBJECTS } from '../src/modules/exports/objects.js';
import { log, peakRssMb, ROOT, startServer, stopServer, waitHealthy } from './lib.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '50000' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    port: { type: 'string', default: '3941' },
    record: { type: 'boolean', default: false },
    'heap-mb': { type: 'string', default: '192' },
    'privacy-cases': { type: 'string', default: '1000' },
    'privacy-follow-ups': { type: 'string', default: '10000' },
  },
});
const n = Number(args.customers);
const port = Number(args.port);
const ADMIN = { email: 'bench@export.example', password: 'export-bench-password' };

// The floor reads exactly what the export reads: the same select list, in the same order.
const SELECT = `SELECT ${OBJECTS.customers.select} FROM customers t ORDER BY t.id`;

async function fill(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(
    `INSERT INTO customers (account_number, first_name, last_name, company, email, notes, primary_address, custom_fields)
     SELECT 'B' || g, (ARRAY['Ann','Bob','Chloé','Dmitri','Émile','Fatima'])[1 + g % 6],
            (ARRAY['Smith','Müller','García','Nguyen','Okafor','Rossi'])[1 + g % 6] || g,
            CASE WHEN g % 3 = 0 THEN 'Company ' || (g % 1000) END, 'c' || g || '@bench.example',
            CASE WHEN g % 5 = 0 THEN 'Called about the invoice, "urgent"' END,
            jsonb_build_object('street', g || ' High St', 'city', 'Leeds', 'postalCode', 'LS1 1AA', 'country', 'GB'),
            jsonb_build_object('tier', (ARRAY['gold','silver','bronze'])[1 + g % 3], 'score', g % 100)
       FROM generate_series(1, $1::int) g`,
    [n],
  );
  await c.query(
    `INSERT INTO customer_phones (customer_id, position, type, raw, e164, digits, valid)
     SELECT id, 0, 'mobile', '+44 7700 ' || lpad((row_number() OVER ())::text, 6, '0'),
            '+447700' || lpad((row_number() OVER ())::text, 6, '0'), '447700' || lpad((row_number() OVER ())::text, 6, '0'), true
       FROM customers`,
  );
  await c.query(
    `INSERT INTO customer_phones (customer_id, position, type, raw, e164, digits, valid)
     SELECT id, 1, 'work', '0113 496 ' || lpad((row_number() OVER ())::text, 4, '0'), NULL, '0113496', false
       FROM customers WHERE account_number LIKE '%2'`,
  );
  await c.query('ANALYZE');
  await c.end();
}

/** COPY of the same rows to stdout through psql, discarded: the floor. */
async function copyFloor(url: string): Promise<{ s: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    const p = spawn('psql', [url, '-c', `COPY (${SELECT.replace(/\s+/g, ' ')}) TO STDOUT WITH (FORMAT csv, HEADER)`]);
    p.stdout.on('data', (d: Buffer) => (bytes += d.length));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}`))));
  });
  return { s: (performance.now() - started) / 1000, bytes };
}

/** Gives customer B1 `cases` cases and `followUps` follow-ups spread over them; answers its id. */
async function fillPrivacySubject(url: string, cases: number, followUps: number): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const [{ id }] = (await c.query<{ id: string }>(`SELECT id FROM customers WHERE account_number = 'B1'`)).rows;
    await c.query(
      `INSERT INTO cases (customer_id, subject, description, status, is_open, priority, severity, channel, opened_at)
       SELECT $1, 'Boiler fault ' || g, 'The boiler in flat ' || g || ' stopped again; engineer visit booked.',
              CASE WHEN g % 4 = 0 THEN 'open' ELSE 'closed' END, g % 4 = 0, 'normal', 'minor', 'phone',
              now() - g * interval '1 day'
         FROM generate_series(1, $2::int) g`,
      [id, cases],
    );
    await c.query(
      `INSERT INTO case_follow_ups (case_id, kind, direction, visibility, body, author_type, author_name, channel, email)
       SELECT k.id, f.kind, f.direction, CASE WHEN f.kind = 'email' THEN 'public' ELSE 'internal' END,
              'Spoke to the customer about the visit; they asked for a morning slot. (' || g || ')',
              CASE WHEN f.direction = 'inbound' THEN 'customer' ELSE 'user' END,
              CASE WHEN f.direction = 'inbound' THEN 'Ann Smith1' ELSE 'Agent' END, 'console',
              CASE WHEN f.kind = 'email' THEN jsonb_build_object('from', 'c1@bench.example', 'to', jsonb_build_array('support@example.com'),
                'cc', '[]'::jsonb, 'bcc', '[]'::jsonb, 'subject', 'Re: boiler', 'messageId', '<' || g || '@bench.example>') END
         FROM generate_series(1, $2::int) g
         JOIN LATERAL (SELECT id FROM cases WHERE customer_id = $1 ORDER BY case_number OFFSET (g % $3::int) LIMIT 1) k ON true
         CROSS JOIN LATERAL (SELECT (ARRAY['note','call','email','email'])[1 + g % 4] AS kind,
                                    CASE WHEN g % 4 >= 2 THEN (CASE WHEN g % 8 < 4 THEN 'inbound' ELSE 'outbound' END) END AS direction) f`,
      [id, followUps, cases],
    );
    await c.query('ANALYZE');
    return id;
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: args.pg });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS sb_export_bench WITH (FORCE)');
  await admin.query('CREATE DATABASE sb_export_bench');
  await admin.end();
  const u = new URL(args.pg!);
  u.pathname = '/sb_export_bench';
  const dbUrl = u.toString();
  const child = startServer(port, {
    DATABASE_URL: dbUrl,
    SWITCHBOARD_ADMIN_EMAIL: ADMIN.email,
    SWITCHBOARD_ADMIN_PASSWORD: ADMIN.password,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    STATEMENT_TIMEOUT_MS: '120000',
    NODE_OPTIONS: Number(args['heap-mb']) > 0 ? `--max-old-space-size=${args['heap-mb']}` : process.env.NODE_OPTIONS,
  });
  try {
    await waitHealthy(port);
    const base = `http://127.0.0.1:${port}`;
    const fields = [
      {
        key: 'tier',
        label: 'Tier',
        type: 'singlePick',
        options: ['gold', 'silver', 'bronze'].map((k) => ({ key: k, label: k })),
      },
      { key: 'score', label: 'Score', type: 'number' },
    ];
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const cookie = /sb_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    for (const f of fields) {
      await fetch(`${base}/api/v1/custom-fields`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify({ objectType: 'customer', ...f }),
      });
    }
    const t0 = performance.now();
    await fill(dbUrl);
    log(`filled ${n.toLocaleString('en-US')} customers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const floor = await copyFloor(dbUrl);
    log(`COPY floor: ${floor.s.toFixed(2)} s, ${(floor.bytes / 1e6).toFixed(1)} MB`);

    const started = performance.now();
    const res = await fetch(`${base}/api/v1/exports/customers?format=csv`, { headers: { cookie } });
    if (!res.ok || !res.body) throw new Error(`export answered ${res.status}`);
    let firstByte: number | null = null;
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (firstByte === null) firstByte = performance.now() - started;
      bytes += chunk.length;
      // indexOf, not a loop over every byte: the client shares the two cores with the server.
      for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) lines++;
    }
    const s = (performance.now() - started) / 1000;
    const rss = peakRssMb(child.pid!);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');
    const result = {
      rows: n,
      csvLines: lines,
      s: Number(s.toFixed(2)),
      rowsPerSecond: Math.round(n / s),
      firstByteMs: Math.round(firstByte ?? 0),
      mb: Number((bytes / 1e6).toFixed(1)),
      floorS: Number(floor.s.toFixed(2)),
      vsFloor: Number((s / floor.s).toFixed(1)),
      serverPeakRssMb: Math.round(rss),
      load,
    };
    log(JSON.stringify(result));

    const privacyCases = Number(args['privacy-cases']);
    const privacyFollowUps = Number(args['privacy-follow-ups']);
    const subject = await fillPrivacySubject(dbUrl, privacyCases, privacyFollowUps);
    const times: number[] = [];
    let zipBytes = 0;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = await fetch(`${base}/api/v1/customers/${subject}/privacy-export`, { headers: { cookie } });
      if (!r.ok) throw new Error(`privacy export answered ${r.status}: ${await r.text()}`);
      zipBytes = (await r.arrayBuffer()).byteLength;
      times.push((performance.now() - t) / 1000);
    }
    const privacyMedianS = Number(times.sort((a, b) => a - b)[1].toFixed(2));
    log(
      `privacy export: ${privacyCases.toLocaleString('en-US')} cases, ${privacyFollowUps.toLocaleString('en-US')} follow-ups: ` +
        `median ${privacyMedianS} s of 3 (${times.map((t) => t.toFixed(2)).join(', ')}), zip ${Math.round(zipBytes / 1e3).toLocaleString('en-US')} kB`,
    );
    if (args.record) {
      const lines = [
        '',
        `### Exports, postgres, ${n.toLocaleString('en-US')} customers as CSV over HTTP (${new Date().toISOString().slice(0, 10)})`,
        '',
        `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, server heap limit ${args['heap-mb']} MB; ` +
          'load average below.',
        '',
        '| rows | total s | rows/s | first byte | MB | COPY floor s | vs floor | server peak RSS | load average (1/5/15) |',
        '|---|---|---|---|---|---|---|---|---|',
        `| ${n.toLocaleString('en-US')} | ${result.s} | ${result.rowsPerSecond.toLocaleString('en-US')} | ${result.firstByteMs} ms | ` +
          `${result.mb} | ${result.floorS} | ${result.vsFloor}× | ${result.serverPeakRssMb} MB | ${load} |`,
        '',
        `Privacy export of one customer with ${privacyCases.toLocaleString('en-US')} cases and ` +
          `${privacyFollowUps.toLocaleString('en-US')} follow-ups (the whole zip over HTTP): median ${privacyMedianS} s of 3, ` +
          `${Math.round(zipBytes / 1e3).toLocaleString('en-US')} kB.`,
        '',
      ];
      appendFileSync(path.join(ROOT, 'bench/RESULTS.md'), lines.join('\n'));
    }
  } finally {
    await stopServer(child);
  }
}

await main();
