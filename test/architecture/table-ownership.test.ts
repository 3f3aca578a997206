import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles } from './source-files.js';

/**
 * Modules keep to their tables (docs/ARCHITECTURE.md, "Modules keep to their
 * tables"). Ownership comes from the migrations: a table belongs to the module
 * its migration is named after (0100_customers.sql → customers, 0801_imports.sql
 * → imports), or to the one written below for migrations named otherwise. The
 * code that names a table in SQL (FROM, JOIN, INTO, UPDATE, …) must be its
 * owner's; the exceptions are the short list ALLOWED, each with its reason
 * (the same list is in docs/ARCHITECTURE.md). Work that spans modules is a flow
 * (src/flows) calling each module's service, and names no table itself.
 */

/** Migrations not named after their module. */
const MIGRATION_OWNERS: Record<string, string> = {
  '0001_foundation.sql': 'users',
  '0730_account_security.sql': 'users',
  '0732_rate_limits.sql': 'http',
  '0760_idempotency_keys.sql': 'http',
  '0901_external_ids.sql': 'customers',
};

/** Tables of a shared migration owned by another module than the migration's. */
const TABLE_OWNERS: Record<string, string> = {
  history: 'history',
  events: 'events',
  settings: 'audit',
  // Kept by a trigger on cases (every closed → open change); the case list filters on it.
  case_reopens: 'cases',
};

/**
 * Code that may name another module's table: file, table (`*`: any table), why. Keep it short.
 * The `*` entries are the modules whose whole job is to read (or, for an erasure, reach)
 * every module's rows in one statement or one transaction; each is bounded by its own list
 * (reports: the list filter builders; exports: exports/objects.ts; privacy: privacy/tables.ts,
 * checked by test/privacy-coverage.test.ts).
 */
export const ALLOWED: { file: string; table: string; why: string }[] = [
  {
    file: 'src/modules/customers/screen-pop.ts',
    table: 'cases',
    why: "the screen pop reads a caller's open cases in its one indexed round trip (lookup.test.ts covers it)",
  },
  {
    file: 'src/modules/customers/screen-pop.ts',
    table: 'interactions',
    why: "the screen pop reads a caller's last interactions in the same statement",
  },
  {
    file: 'src/modules/reports/service.ts',
    table: '*',
    why: "reports aggregate cases, follow-ups, interactions and tasks read-only, with those modules' own filter builders",
  },
  {
    file: 'src/modules/exports/objects.ts',
    table: '*',
    why: 'an export reads every row of one object from one REPEATABLE READ snapshot in key order',
  },
  {
    file: 'src/modules/exports/service.ts',
    table: '*',
    why: "the changes-since export reads the history's delete lines as tombstones",
  },
  {
    file: 'src/ops/metrics.ts',
    table: '*',
    why: "the /metrics scrape counts each queue's depth and oldest age (jobs, reminders, mail, events) read-only",
  },
  {
    file: 'src/modules/privacy/service.ts',
    table: '*',
    why: "a privacy export reads, and an erasure rewrites, one person's rows everywhere in one transaction",
  },
  {
    file: 'src/modules/privacy/retention.ts',
    table: '*',
    why: "the retention job erases closed cases' rows (case, follow-ups, emails, history, events) in one transaction per batch",
  },
];

/** The area a source file belongs to: its module, or its folder under src/ (events, http, db, flows). */
function areaOf(file: string): string {
  const m = /^src\/modules\/([^/]+)\//.exec(file) ?? /^src\/([^/]+)\//.exec(file);
  return m ? m[1] : 'app';
}

const AREAS = [
  ...readdirSync(path.join(ROOT, 'src/modules'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name),
  ...readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'modules')
    .map((e) => e.name),
];

/** table → owning area, from the migrations; and the migrations whose owner is unknown. */
function ownership(): { owners: Map<string, string>; unknown: string[] } {
  const owners = new Map<string, string>();
  const unknown: string[] = [];
  const dir = path.join(ROOT, 'src/db/migrations');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const sql = readFileSync(path.join(dir, file), 'utf8');
    const tables = [...sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)/gi)].map((m) => m[1]);
    if (tables.length === 0) continue;
    const name = file.replace(/^\d+_/, '').replace(/\.sql$/, '');
    const byName = AREAS.filter((a) => name === a.replace(/-/g, '_') || name.startsWith(`${a.replace(/-/g, '_')}_`))
      .sort((a, b) => b.length - a.length)
      .at(0);
    const owner = MIGRATION_OWNERS[file] ?? byName;
    for (const t of tables) {
      const o = TABLE_OWNERS[t] ?? owner;
      if (o) owners.set(t, o);
      else unknown.push(`${file} (${t})`);
    }
  }
  return { owners, unknown };
}

/** Where the code names each table in SQL: file → tables. */
function tableUses(tables: string[]): Map<string, Set<string>> {
  const uses = new Map<string, Set<string>>();
  const pattern = new RegExp(
    `\\b(?:FROM|JOIN|INTO|UPDATE|TABLE|TRUNCATE|EXISTS)\\s+(?:ONLY\\s+)?(${tables.join('|')})\\b`,
    'g',
  );
  for (const file of sourceFiles(['src'])) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(pattern)) {
      if (!uses.has(file)) uses.set(file, new Set());
      uses.get(file)!.add(m[1]);
    }
  }
  return uses;
}

describe('modules keep to their tables', () => {
  const { owners, unknown } = ownership();
  const uses = tableUses([...owners.keys()].sort((a, b) => b.length - a.length));

  it('every table has an owning module (its migration is named after it, or listed here)', () => {
    expect(unknown).toEqual([]);
    expect(uses.size).toBeGreaterThan(20);
    expect(owners.get('customers')).toBe('customers');
    expect(owners.get('case_follow_ups')).toBe('cases');
    expect(owners.get('history')).toBe('history');
    expect(owners.get('rate_limit_counters')).toBe('http');
  });

  it("no code names another module's table, except the written list", () => {
    const outside: string[] = [];
    for (const [file, tables] of uses) {
      for (const t of tables) {
        if (owners.get(t) === areaOf(file)) continue;
        if (ALLOWED.some((a) => a.file === file && (a.table === t || a.table === '*'))) continue;
        outside.push(`${file} names ${t} (owned by ${owners.get(t)})`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('every allowed exception is still needed', () => {
    const unused = ALLOWED.filter((a) => !(a.table === '*' ? uses.has(a.file) : uses.get(a.file)?.has(a.table)));
    expect(unused).toEqual([]);
  });

  it('flows name no table: they call the modules’ services', () => {
    expect([...uses.keys()].filter((f) => f.startsWith('src/flows/'))).toEqual([]);
  });

  it('http/ and events/ do not import from modules/users (privileges live in src/http/privileges.ts)', () => {
    const offenders = sourceFiles(['src/http', 'src/events']).filter((f) =>
      /from\s+'[^']*modules\/users\//.test(readFileSync(path.join(ROOT, f), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
