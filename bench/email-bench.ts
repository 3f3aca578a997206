/**
 * Email channel benchmark (issue 9), in one process on the real services:
 *   - ingestion through the service (new cases, known senders, threaded replies)
 *   - the same over real SMTP on loopback (4 connections)
 *   - re-deliveries (duplicates)
 *   - the hostile corpus (each message's cost)
 *   - outbound: replies queued, then sent to a local SMTP sink
 *
 *   npx tsx bench/email-bench.ts                   # PGlite (in memory)
 *   npx tsx bench/email-bench.ts --pg postgres://postgres@127.0.0.1:5432/postgres
 *
 * Options: --messages 300, --customers 10000. PostgreSQL uses its own database
 * `sb_bench_email`, dropped and created each run. Results: bench/EMAIL-RESULTS.md.
 */
import pg from 'pg';
import nodemailer from 'nodemailer';
import os from 'node:os';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openPglite, openPostgres, type Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { simpleMessage, startSink } from '../src/modules/email/email.test-helpers.js';
import { hostileCorpus } from '../src/modules/email/hostile.test-helpers.js';
import { systemActor } from '../src/http/actor.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '300' },
    customers: { type: 'string', default: '10000' },
    pg: { type: 'string' },
  },
});
const N = Number(args.messages);
const CUSTOMERS = Number(args.customers);

async function openDb(): Promise<{ db: Db; engine: string; drop: () => Promise<void> }> {
  if (!args.pg) {
    const db = await openPglite(undefined);
    return { db, engine: 'PGlite (in memory)', drop: () => db.close() };
  }
  const admin = new pg.Client({ connectionString: args.pg });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS sb_bench_email WITH (FORCE)');
  await admin.query('CREATE DATABASE sb_bench_email');
  const v = (await admin.query('SHOW server_version')).rows[0].server_version as string;
  await admin.end();
  const u = new URL(args.pg);
  u.pathname = '/sb_bench_email';
  const db = openPostgres({ url: u.toString(), poolSize: 20, statementTimeoutMs: 60000 });
  return { db, engine: `PostgreSQL ${v}`, drop: () => db.close() };
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

async function timed<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>) {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++];
        const s = performance.now();
        await fn(item);
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { rate: items.length / secs, p50: pct(lat, 50), p95: pct(lat, 95), secs };
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : 1) : '–');

async function main() {
  const sink = await startSink();
  const { db, engine, drop } = await openDb();
  await migrate(db);
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    SMTP_LISTEN_PORT: '0',
    SMTP_RELAY_URL: sink.url,
  });
  const { app, ctx } = await buildApp(db, config, { runJobs: false, logger: false });
  await app.ready();
  const email = ctx.services.email;
  const rssAtStart = Math.round(process.memoryUsage().rss / 2 ** 20);

  // Known customers (bulk, as the other generators do).
  const g0 = performance.now();
  await db.query(
    `INSERT INTO customers (account_number, first_name, last_name, email)
     SELECT 'B' || i, 'First' || i, 'Last' || i, 'known' || i || '@bench.test' FROM generate_series(1, $1) i`,
    [CUSTOMERS],
  );
  const genSecs = (performance.now() - g0) / 1000;

  const env = { source: 'smtp' as const, mailFrom: null, rcptTo: ['support@support.test'], remoteAddress: null };
  // Warm-up: the parser's worker thread starts on first use.
  await email.ingest(simpleMessage({ from: 'warm@bench.test', subject: 'warm-up' }), env);
  const seed = await email.ingest(simpleMessage({ from: 'known1@bench.test', subject: 'Thread root' }), env);
  const rootNumber = seed.outcome === 'created' ? seed.caseNumber : 0;

  const mixed = Array.from({ length: N }, (_, i) => {
    const kind = i % 10;
    if (kind < 5) return simpleMessage({ from: `known${1 + (i % CUSTOMERS)}@bench.test`, subject: `Known ${i}` });
    if (kind < 8) return simpleMessage({ from: `"New Person${i}" <new${i}@bench.test>`, subject: `New ${i}` });
    return simpleMessage({ from: 'known1@bench.test', subject: `Re: Thread root [#${rootNumber}] ${i}` });
  });
  const direct = await timed(mixed, 4, async (raw) => {
    const r = await email.ingest(raw, env);
    if (r.outcome !== 'created' && r.outcome !== 'followUp') throw new Error(`unexpected ${r.outcome}`);
  });

  const viaSmtp = Array.from({ length: N }, (_, i) =>
    simpleMessage({ from: `known${1 + ((i * 7) % CUSTOMERS)}@bench.test`, subject: `SMTP ${i}` }),
  );
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: email.smtpAddress!.port,
    pool: true,
    maxConnections: 4,
    ignoreTLS: true,
  });
  const smtp = await timed(viaSmtp, 4, async (raw) => {
    await transport.sendMail({ envelope: { from: 'x@bench.test', to: ['support@support.test'] }, raw });
  });
  transport.close();

  const dups = await timed(mixed.slice(0, Math.min(100, N)), 4, async (raw) => {
    const r = await email.ingest(raw, env);
    if (r.outcome !== 'duplicate') throw new Error(`expected a duplicate, got ${r.outcome}`);
  });

  const hostile: { name: string; outcome: string; ms: number; bytes: number }[] = [];
  for (const m of hostileCorpus()) {
    const s = performance.now();
    const r = await email.ingest(m.raw, env);
    hostile.push({ name: m.name, outcome: r.outcome, ms: performance.now() - s, bytes: m.raw.length });
  }

  // Outbound: replies on cases of known customers, then the sender drains the queue.
  const cases = await db.query<{ id: string }>(`SELECT id FROM cases ORDER BY case_number LIMIT $1`, [
    Math.min(200, N),
  ]);
  const agent = systemActor('console', 'Bench agent');
  const enqueue = await timed(cases, 4, async (c) => {
    await email.reply(agent, c.id, { body: 'Thanks, we are on it.' });
  });
  const s0 = performance.now();
  while ((await email.sendDue()) > 0);
  const sendSecs = (performance.now() - s0) / 1000;
  const sent = sink.messages.length;

  const counts = (
    await db.query<{ cases: number; fus: number; msgs: number }>(
      `SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM case_follow_ups) AS fus,
            (SELECT count(*) FROM email_messages) AS msgs`,
    )
  )[0];
  await app.close();
  await drop();
  await sink.close();

  const rss = Math.round(process.resourceUsage().maxRSS / 1024);
  const now = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const cpu = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown'})`;
  const section = [
    `### ${engine}`,
    '',
    `Run ${now} UTC · ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, Node ${process.version} · ` +
      `${CUSTOMERS.toLocaleString('en')} customers (seeded in ${genSecs.toFixed(1)} s) · ${N} messages per phase · ` +
      `4 concurrent senders · at the end: ${counts.cases} cases, ${counts.fus} follow-ups, ${counts.msgs} stored messages.`,
    '',
    '| phase | messages/s | p50 ms | p95 ms |',
    '|---|---|---|---|',
    `| ingest (service): 50% known senders, 30% new customers, 20% threaded by [#n] | ${fmt(direct.rate)} | ${fmt(direct.p50)} | ${fmt(direct.p95)} |`,
    `| ingest over SMTP (loopback, 4 connections) | ${fmt(smtp.rate)} | ${fmt(smtp.p50)} | ${fmt(smtp.p95)} |`,
    `| re-delivery (duplicate, stored once) | ${fmt(dups.rate)} | ${fmt(dups.p50)} | ${fmt(dups.p95)} |`,
    `| agent replies queued (follow-up + outbox, one transaction) | ${fmt(enqueue.rate)} | ${fmt(enqueue.p50)} | ${fmt(enqueue.p95)} |`,
    `| replies sent to the local SMTP sink (one sender) | ${fmt(sent / sendSecs)} | | |`,
    '',
    '| hostile message | size | outcome | ms |',
    '|---|---|---|---|',
    ...hostile.map((h) => `| ${h.name} | ${(h.bytes / 1024).toFixed(0)} KiB | ${h.outcome} | ${fmt(h.ms)} |`),
    '',
    `Peak RSS of the process: ${rss} MB (${rssAtStart} MB once the app and its database were up, before the first message).`,
    '',
  ].join('\n');

  const file = path.join(ROOT, 'bench', 'EMAIL-RESULTS.md');
  const key = args.pg ? 'postgres' : 'pglite';
  let doc = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Email channel benchmark\n\n`npx tsx bench/email-bench.ts [--pg <url>]` (see the file header).\n\n';
  const begin = `<!-- email:${key}:begin -->`;
  const end = `<!-- email:${key}:end -->`;
  const block = `${begin}\n${section}${end}\n`;
  doc = doc.includes(begin) ? doc.replace(new RegExp(`${begin}[\\s\\S]*?${end}\\n?`), block) : `${doc}${block}\n`;
  writeFileSync(file, doc);
  console.log(section);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
