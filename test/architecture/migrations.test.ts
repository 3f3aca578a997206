import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Upgrade safety (docs/operations.md, "Upgrades"): during a rolling upgrade the
 * previous release's processes run against the new schema, so a migration may
 * only ADD (tables, nullable or defaulted columns, indexes, functions,
 * constraints that existing writes satisfy). Removing or renaming what the
 * previous release reads or writes waits one release, and then goes in a file
 * listed below with the reason.
 */
const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'db', 'migrations');

/** Statements that break the previous release's reads or writes. */
const DESTRUCTIVE: [RegExp, string][] = [
  [/\bDROP\s+(TABLE|VIEW|MATERIALIZED\s+VIEW|TYPE|SEQUENCE)\b/i, 'drops a relation or type'],
  [/\bDROP\s+COLUMN\b/i, 'drops a column'],
  [/\bRENAME\b/i, 'renames'],
  [/\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b/i, "changes a column's type"],
  [/\bALTER\s+COLUMN\s+\S+\s+SET\s+NOT\s+NULL\b/i, 'makes a column NOT NULL (old writers may omit it)'],
  [
    /^(?![\s\S]*\b(DEFAULT|GENERATED)\b)[\s\S]*\bADD\s+COLUMN\b[\s\S]*\bNOT\s+NULL\b/i,
    'adds a NOT NULL column without a default',
  ],
];

/** Reviewed exceptions: released before this rule, or the second step of a two-release change. */
const ALLOWED: Record<string, string> = {
  '0730_account_security.sql': 'before the rule: sessions.absolute_expires_at was backfilled in the same file',
  '0731_audit_retention.sql': 'before the rule: signin_audit folded into audit_log; the trigger is recreated',
};

function statements(sql: string): string[] {
  const code = sql.replace(/--[^\n]*/g, '').replace(/\$\$[\s\S]*?\$\$/g, '$$$$');
  return code
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

describe('migrations are additive (one release of backward compatibility)', () => {
  const files = readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith('.sql'))
    .sort();

  it('file names are NNNN_name.sql and unique by number', () => {
    const numbers = files.map((f) => /^(\d{4})_[a-z0-9_]+\.sql$/.exec(f)?.[1]);
    expect(numbers.filter((n) => n === undefined)).toEqual([]);
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it('no migration removes, renames or retypes what the previous release uses', () => {
    const problems: string[] = [];
    for (const file of files) {
      if (ALLOWED[file]) continue;
      for (const stmt of statements(readFileSync(path.join(MIGRATIONS, file), 'utf8'))) {
        for (const [re, what] of DESTRUCTIVE) {
          if (re.test(stmt)) problems.push(`${file}: ${what}: ${stmt.slice(0, 120).replace(/\s+/g, ' ')}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('catches what it should', () => {
    const bad = [
      'ALTER TABLE customers DROP COLUMN vip',
      'ALTER TABLE customers RENAME COLUMN vip TO important',
      'ALTER TABLE customers ALTER COLUMN vip TYPE text',
      'ALTER TABLE customers ADD COLUMN tier text NOT NULL',
      'DROP TABLE customers',
    ];
    for (const s of bad)
      expect(
        DESTRUCTIVE.some(([re]) => re.test(s)),
        s,
      ).toBe(true);
    const good = [
      "ALTER TABLE customers ADD COLUMN tier text NOT NULL DEFAULT 'basic'",
      'ALTER TABLE customers ADD COLUMN note text',
      'CREATE INDEX IF NOT EXISTS x ON customers (tier)',
      'DROP INDEX IF EXISTS customers_old_idx',
    ];
    for (const s of good)
      expect(
        DESTRUCTIVE.some(([re]) => re.test(s)),
        s,
      ).toBe(false);
  });
});
