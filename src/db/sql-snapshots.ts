/**
 * Visible SQL: the statements the hot paths build at run time (the screen-pop
 * lookup, the customers list and search, the case lists), rendered into
 * checked-in files under src/db/snapshots/, so that a change to a query shows
 * up in review as SQL. test/sql/snapshots.test.ts fails when the code's SQL
 * and the files differ.
 *
 *   npm run sql:snapshots          # write the files (then commit them)
 *   npm run sql:snapshots -- --check   # exit 1 when a file is missing, stale or different
 *
 * Each statement is built by the module's own code with a recording
 * connection (nothing runs: no database needed), for a fixed set of inputs
 * (one file per shape). A new hot statement: one more entry in SHAPES.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db, Queryable, QueryOptions } from './adapter.js';
import { encodeCursor } from '../http/pagination.js';
import type { CaseFilter } from '../modules/cases/store.js';
import { countCases, countCustomerCases, customerCaseAt, listCases } from '../modules/cases/store.js';
import { phoneLookupKeys } from '../modules/customers/phones.js';
import { lookupMatches, lookupMatchesByPhone, type MatchOptions } from '../modules/customers/screen-pop.js';
import { listByE164Many, listCustomers, type ListOptions } from '../modules/customers/search.js';
import { findCaseWithFollowUps } from '../modules/cases/followups-store.js';
import { searchCases } from '../modules/cases/search.js';
import { searchMessages } from '../modules/email/store.js';
import { searchInteractions } from '../modules/interactions/search.js';
import { searchTasks } from '../modules/tasks/store.js';

export const SNAPSHOT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'snapshots');

interface Captured {
  sql: string;
  params: readonly unknown[];
  name?: string;
}

/** A connection that records what it is asked to run and answers no rows. */
class Recorder implements Db {
  readonly engine = 'postgres' as const;
  readonly captured: Captured[] = [];
  async query<T>(sql: string, params: readonly unknown[] = [], opts?: QueryOptions): Promise<T[]> {
    this.captured.push({ sql, params, name: opts?.name });
    return [];
  }
  async exec(): Promise<void> {}
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return fn(this);
  }
  async listen(): Promise<() => Promise<void>> {
    return async () => {};
  }
  async close(): Promise<void> {}
}

interface Shape {
  /** The file name (without .sql). */
  file: string;
  /** Where the statement is built, for the file's header. */
  source: string;
  /** The inputs, in words. */
  input: string;
  run: (q: Recorder) => Promise<unknown>;
}

const REGION = 'US';
const POP: MatchOptions = { limit: 20, cases: 'public', openCases: 5, interactions: 3, excludeInteractionId: null };
const UUID = '00000000-0000-4000-8000-000000000001';
const list = (opts: ListOptions) => (q: Recorder) => listCustomers(q, opts, REGION);
const OPEN: CaseFilter = { publicOnly: false, status: { open: true, closed: false, keys: [] } };

const SHAPES: Shape[] = [
  // ---------------------------------------------------------------- screen pop
  {
    file: 'screen-pop.phone',
    source: 'customers/screen-pop.ts lookupMatchesByPhone',
    input: 'GET /api/v1/lookup?phone=(415) 555-0100 (a batch of one; coalesced calls send more numbers, same text)',
    run: (q) => lookupMatchesByPhone(q, [phoneLookupKeys('(415) 555-0100', REGION)], POP),
  },
  {
    file: 'screen-pop.email',
    source: 'customers/screen-pop.ts lookupMatches',
    input: 'GET /api/v1/lookup?email=ada@example.com',
    run: (q) => lookupMatches(q, { by: 'email', email: 'ada@example.com' }, POP),
  },
  {
    file: 'screen-pop.account-number',
    source: 'customers/screen-pop.ts lookupMatches',
    input: 'GET /api/v1/lookup?accountNumber=AC-1001',
    run: (q) => lookupMatches(q, { by: 'accountNumber', accountNumber: 'AC-1001' }, POP),
  },
  {
    file: 'screen-pop.case-number',
    source: 'customers/screen-pop.ts lookupMatches',
    input: 'GET /api/v1/lookup?caseNumber=100123',
    run: (q) => lookupMatches(q, { by: 'caseNumber', caseNumber: 100123 }, POP),
  },
  {
    file: 'screen-pop.ids',
    source: 'customers/screen-pop.ts lookupMatches',
    input: 'an interaction read back with the customer it is associated with',
    run: (q) => lookupMatches(q, { by: 'ids', ids: [UUID], caseId: null }, POP),
  },
  // ----------------------------------------------------------- customers list
  {
    file: 'customers.list.by-name',
    source: 'customers/search.ts buildListQuery',
    input: 'GET /api/v1/customers (first page, name order)',
    run: list({ limit: 50 }),
  },
  {
    file: 'customers.list.newest-next-page',
    source: 'customers/search.ts buildListQuery',
    input: 'GET /api/v1/customers?sort=-created&cursor=… (a next page)',
    run: list({
      limit: 50,
      sort: '-created',
      cursor: encodeCursor(['-created', '2026-01-01T00:00:00.000000Z', 'a', UUID]),
    }),
  },
  {
    file: 'customers.list.filters',
    source: 'customers/search.ts buildListQuery',
    input: 'GET /api/v1/customers?email=…&postalCode=…&vip=true&draft=false',
    run: list({ limit: 50, email: 'ada@example.com', postalCode: 'SW1A 1AA', vip: true, draft: false }),
  },
  {
    file: 'customers.list.account-number',
    source: 'customers/search.ts buildListQuery',
    input: 'GET /api/v1/customers?accountNumber=AC-1001',
    run: list({ limit: 50, accountNumber: 'AC-1001' }),
  },
  {
    file: 'customers.list.phone',
    source: 'customers/search.ts phoneOnlyExact, then buildListQuery',
    input:
      'GET /api/v1/customers?phone=(415) 555-0100: the exact E.164 statement, then (nobody has it exactly) the general one with the last-digits tier',
    run: list({ limit: 50, phone: '(415) 555-0100' }),
  },
  {
    file: 'customers.list.phone-many',
    source: 'customers/search.ts listByE164Many',
    input: 'concurrent GET /api/v1/customers?phone= first pages, coalesced into one statement',
    run: (q) => listByE164Many(q, ['+14155550100', '+442079460958'], 51),
  },
  {
    file: 'customers.search.one-word',
    source: 'customers/search.ts buildListQuery',
    input: 'GET /api/v1/customers?q=smith (relevance)',
    run: list({ limit: 50, q: 'smith' }),
  },
  {
    file: 'customers.search.two-words',
    source: 'customers/search.ts buildListQuery',
    input: 'GET /api/v1/customers?q=jon smith (relevance)',
    run: list({ limit: 50, q: 'jon smith' }),
  },
  {
    file: 'customers.search.two-words-by-name',
    source: 'customers/search.ts buildListQuery',
    input: 'GET /api/v1/customers?q=jon smith&sort=name',
    run: list({ limit: 50, q: 'jon smith', sort: 'name' }),
  },
  {
    file: 'customers.search.email',
    source: 'customers/search.ts buildListQuery',
    input: 'GET /api/v1/customers?q=ada@example.com',
    run: list({ limit: 50, q: 'ada@example.com' }),
  },
  {
    file: 'customers.search.digits',
    source: 'customers/search.ts buildListQuery',
    input: 'GET /api/v1/customers?q=555 0100',
    run: list({ limit: 50, q: '555 0100' }),
  },
  // --------------------------------------------------------------- case lists
  {
    file: 'cases.list.open-newest',
    source: 'cases/store.ts listCases',
    input: 'GET /api/v1/cases?status=open (newest first, may see private cases)',
    run: (q) => listCases(q, OPEN, '-openedAt', null, 51),
  },
  {
    file: 'cases.list.mine-next-page',
    source: 'cases/store.ts listCases',
    input: 'GET /api/v1/cases?ownerId=me&sort=-updatedAt&cursor=… (public cases only)',
    run: (q) =>
      listCases(
        q,
        { ...OPEN, ownerId: UUID, publicOnly: true },
        '-updatedAt',
        ['2026-01-01T00:00:00.000000Z', UUID],
        51,
      ),
  },
  {
    file: 'cases.list.search',
    source: 'cases/store.ts listCases',
    input: 'GET /api/v1/cases?q=refund&priority=high,urgent&status=open (newest first)',
    run: (q) => listCases(q, { ...OPEN, q: 'refund', priorities: ['high', 'urgent'] }, '-openedAt', null, 51),
  },
  {
    file: 'cases.list.tagged',
    source: 'cases/store.ts listCases',
    input: 'GET /api/v1/cases?tag=vip&tag=billing&status=open (every tag; public cases only)',
    run: (q) => listCases(q, { ...OPEN, publicOnly: true, tags: ['vip', 'billing'] }, '-openedAt', null, 51),
  },
  {
    file: 'cases.count.view',
    source: 'cases/store.ts countCases',
    input: 'GET /api/v1/case-views/counts, one view: open, unassigned, not updated for 3 days (public cases only)',
    run: (q) =>
      countCases(
        q,
        { ...OPEN, publicOnly: true, ownerId: null, updatedBefore: new Date('2026-12-02T09:00:00.000Z') },
        10_000,
      ),
  },
  {
    file: 'cases.view.with-follow-ups',
    source: 'cases/followups-store.ts findCaseWithFollowUps',
    input: 'GET /api/v1/cases/{id}?include=followUps (the case and its newest 50 follow-ups, one JSON value)',
    run: (q) => findCaseWithFollowUps(q, UUID, 51),
  },
  {
    file: 'cases.list.by-number',
    source: 'cases/store.ts listCases',
    input: 'GET /api/v1/cases?sort=caseNumber',
    run: (q) => listCases(q, { publicOnly: false }, 'caseNumber', null, 51),
  },
  {
    file: 'cases.customer.nth',
    source: 'cases/store.ts customerCaseAt',
    input: "GET /api/v1/customers/{id}/cases?position=3 (the customer record's case pager)",
    run: (q) => customerCaseAt(q, UUID, { publicOnly: false }, 3),
  },
  {
    file: 'cases.customer.count',
    source: 'cases/store.ts countCustomerCases',
    input: "the customer record's case count (up to 10,000)",
    run: (q) => countCustomerCases(q, UUID, { publicOnly: false }, 10_000),
  },
  // ---------------------------------------------------------------- global search (docs/agent-workflow.md)
  {
    file: 'search.cases',
    source: 'cases/search.ts searchCases',
    input:
      'GET /api/v1/search?q=100123 by an agent without cases.viewPrivate, with one email message the email ' +
      "module found (case number, subject/description, follow-ups, then the messages' cases and follow-ups)",
    run: (q) =>
      searchCases(q, {
        text: '100123',
        words: ['100123'],
        limit: 5,
        cap: 20,
        viewPrivate: false,
        internal: true,
        extra: [{ caseId: UUID, followUpId: UUID, excerpt: 'text', at: new Date(0) }],
      }),
  },
  {
    file: 'search.email',
    source: 'email/store.ts searchMessages',
    input: 'GET /api/v1/search?q=printer jam (the email messages on cases)',
    run: (q) => searchMessages(q, 'printer jam', ['printer', 'jam'], 20),
  },
  {
    file: 'search.tasks',
    source: 'tasks/store.ts searchTasks',
    input: 'GET /api/v1/search?q=printer jam (tasks)',
    run: (q) => searchTasks(q, 'printer jam', ['printer', 'jam'], 20),
  },
  {
    file: 'search.interactions',
    source: 'interactions/search.ts searchInteractions',
    input: 'GET /api/v1/search?q=555 0199 (interactions: by number digits, then by notes)',
    run: (q) => searchInteractions(q, { text: '555 0199', words: ['555', '0199'], limit: 5, cap: 20 }),
  },
];

/** Statement text as a file shows it: trailing spaces and the code's indentation removed. */
function tidy(sql: string): string {
  const lines = sql.split('\n').map((l) => l.replace(/\s+$/, ''));
  while (lines.length && !lines[0].trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  const rest = lines.slice(1).filter((l) => l.trim());
  const indent = rest.length ? Math.min(...rest.map((l) => l.match(/^ */)![0].length)) : 0;
  return [lines[0].trim(), ...lines.slice(1).map((l) => l.slice(Math.min(indent, l.match(/^ */)![0].length)))]
    .filter((l, i, all) => l.trim() || (i > 0 && all[i - 1].trim()))
    .join('\n');
}

const shown = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** Every snapshot: file name → content. */
export async function renderSnapshots(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const shape of SHAPES) {
    const q = new Recorder();
    // No rows come back: code that needs one (a count) throws after its statement was recorded.
    await shape.run(q).catch((err: unknown) => {
      if (q.captured.length === 0) throw err;
    });
    if (q.captured.length === 0) throw new Error(`${shape.file}: no statement was run`);
    const parts = q.captured.map((c, i) => {
      const head = [
        q.captured.length > 1 ? `-- statement ${i + 1} of ${q.captured.length}` : null,
        `-- prepared as: ${c.name ?? '(unnamed: planned for its values)'}`,
        ...c.params.map((p, n) => `-- $${n + 1} = ${shown(p)}`),
      ].filter((l): l is string => l !== null);
      return `${head.join('\n')}\n${tidy(c.sql)};\n`;
    });
    const header = `-- ${shape.file}: ${shape.input}\n-- built by ${shape.source} (rendered by npm run sql:snapshots; do not edit)\n`;
    out.set(`${shape.file}.sql`, `${header}\n${parts.join('\n')}`);
  }
  return out;
}

/** The differences between the rendered snapshots and the files: one line each. */
export function compareSnapshots(rendered: Map<string, string>, dir = SNAPSHOT_DIR): string[] {
  let present: string[] = [];
  try {
    present = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  } catch {
    // no directory yet: every file is missing
  }
  const problems: string[] = [];
  for (const [file, text] of rendered) {
    if (!present.includes(file)) problems.push(`${file}: missing`);
    else if (readFileSync(path.join(dir, file), 'utf8') !== text) problems.push(`${file}: differs from the code's SQL`);
  }
  for (const file of present) if (!rendered.has(file)) problems.push(`${file}: no longer built by the code`);
  return problems;
}

async function main(): Promise<void> {
  const rendered = await renderSnapshots();
  if (process.argv.includes('--check')) {
    const problems = compareSnapshots(rendered);
    for (const p of problems) console.error(p);
    if (problems.length) {
      console.error('The SQL snapshots are out of date: run `npm run sql:snapshots` and commit src/db/snapshots/.');
      process.exit(1);
    }
    return;
  }
  mkdirSync(SNAPSHOT_DIR, { recursive: true });
  for (const f of readdirSync(SNAPSHOT_DIR))
    if (f.endsWith('.sql') && !rendered.has(f)) rmSync(path.join(SNAPSHOT_DIR, f));
  for (const [file, text] of rendered) writeFileSync(path.join(SNAPSHOT_DIR, file), text);
  console.log(`${rendered.size} statements written to ${path.relative(process.cwd(), SNAPSHOT_DIR)}/`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
