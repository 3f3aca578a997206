/**
 * How many SQL statements one customer PATCH costs end to end with one
 * webhook endpoint subscribed (issue 20): the request (session, the update,
 * its history, event and webhook outbox rows, the commit) and the delivery
 * of its webhook (claim, send, outcome). A count, not a time: every statement
 * the app sends through its Db is counted, BEGIN and COMMIT included (each
 * one round trip on PostgreSQL).
 *
 *   npx tsx bench/patch-statements.ts                    # PGlite
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/patch-statements.ts
 *   … --updates 20 --sql                                 # more PATCHes; print the statements of the last one
 *   … --field notes                                      # PATCH the notes (no name word) instead of the company
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import type { Db, Queryable } from '../src/db/adapter.js';
import { createTestDb, PASSWORD, TestClient, testConfig } from '../test/helpers.js';

const { values: args } = parseArgs({
  options: {
    updates: { type: 'string', default: '10' },
    sql: { type: 'boolean', default: false },
    field: { type: 'string', default: 'company' },
  },
});
if (args.field !== 'company' && args.field !== 'notes') throw new Error('--field: company or notes');
const FIELD = args.field;
const UPDATES = Number(args.updates);

/** Every statement sent, in order (the first line of each). */
let seen: string[] = [];
const note = (sql: string) => seen.push(sql.trim().split('\n')[0].slice(0, 110));

/** Counts in place (the transaction objects keep their identity: commit hooks are keyed by them). */
function countQueries(q: Queryable): void {
  const query = q.query.bind(q);
  const exec = q.exec.bind(q);
  q.query = ((sql: string, params?: readonly unknown[], opts?: Parameters<Queryable['query']>[2]) => {
    note(sql);
    return query(sql, params, opts);
  }) as Queryable['query'];
  q.exec = (sql: string) => {
    note(sql);
    return exec(sql);
  };
}

function counted(db: Db): Db {
  countQueries(db);
  const transaction = db.transaction.bind(db);
  db.transaction = (<T>(fn: (tx: Queryable) => Promise<T>) => {
    note('BEGIN');
    return transaction(async (tx) => {
      countQueries(tx);
      return fn(tx);
    }).finally(() => note('COMMIT'));
  }) as Db['transaction'];
  const side = db.openSidePool?.bind(db);
  if (side) db.openSidePool = (o) => counted(side(o));
  return db;
}

const received: string[] = [];
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received.push(String(req.headers['webhook-id']));
    res.end('ok');
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const test = await createTestDb();
const db = counted(test.db);
const { app, ctx } = await buildApp(db, testConfig({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }), {
  runJobs: false,
  logger: false,
});
await app.ready();
const u = await ctx.services.users.create(null, {
  email: 'bench-admin@example.test',
  password: PASSWORD,
  role: 'admin',
  firstName: 'Bench',
  lastName: 'Admin',
  privileges: null,
});
const admin = await TestClient.signIn(app, u.email, PASSWORD, u.id);
const hook = await admin.post('/api/v1/webhooks', { url: receiverUrl, events: ['customer.updated'] });
if (hook.statusCode !== 201) throw new Error(`endpoint: ${hook.statusCode} ${hook.body}`);
const made = await admin.post('/api/v1/customers', { firstName: 'Ada', lastName: 'Lovelace' });
let customer = made.json() as { id: string; version: number };
// Warm up: the first request of a session, the first delivery (caches, DNS, connections).
for (let i = 0; i < 2; i++) {
  const r = await admin.patch(`/api/v1/customers/${customer.id}`, { company: `Warm ${i}`, version: customer.version });
  customer = r.json();
  while ((await ctx.services.webhooks.deliverDue()) > 0);
}

const request: number[] = [];
const delivery: number[] = [];
let lastRequest: string[] = [];
let lastDelivery: string[] = [];
for (let i = 0; i < UPDATES; i++) {
  seen = [];
  const r = await admin.patch(`/api/v1/customers/${customer.id}`, { [FIELD]: `Co ${i}`, version: customer.version });
  if (r.statusCode !== 200) throw new Error(`PATCH: ${r.statusCode} ${r.body}`);
  customer = r.json();
  request.push(seen.length);
  lastRequest = seen;
  seen = [];
  const before = received.length;
  // Sends what is due and waits for the answers and their recorded outcomes.
  const attempts = await ctx.services.webhooks.deliverDue();
  if (attempts !== 1 || received.length !== before + 1) throw new Error(`delivery: ${attempts} attempts`);
  delivery.push(seen.length);
  lastDelivery = seen;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  JSON.stringify({
    engine: db.engine,
    field: FIELD,
    updates: UPDATES,
    request: { median: median(request), min: Math.min(...request), max: Math.max(...request) },
    delivery: { median: median(delivery), min: Math.min(...delivery), max: Math.max(...delivery) },
    received: received.length,
  }),
);
if (args.sql) {
  console.log('-- the PATCH request');
  for (const s of lastRequest) console.log(s);
  console.log('-- the delivery');
  for (const s of lastDelivery) console.log(s);
}
await app.close();
await test.drop();
receiver.close();
