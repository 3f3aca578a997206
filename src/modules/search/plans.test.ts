import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../db/adapter.js';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { searchCases } from '../cases/search.js';
import { searchMessages } from '../email/store.js';

/**
 * The global search's bounded statements keep to their indexes (docs/agent-workflow.md,
 * "How it stays fast"): a frequent word walks the recency index and stops at the limit, a
 * rare one collects its matches from the GIN index; neither reads the whole table.
 */
describe('global search plans (EXPLAIN)', () => {
  let t: TestApp;

  /** Runs through the database and keeps each statement, to EXPLAIN it afterwards. */
  const recording = () => {
    const seen: { sql: string; params: readonly unknown[] }[] = [];
    const q: Queryable = {
      query: <T>(sql: string, params: readonly unknown[] = []) => {
        seen.push({ sql, params });
        return t.db.query<T>(sql, params);
      },
    } as Queryable;
    return { q, seen };
  };
  const plan = async (sql: string, params: readonly unknown[]) =>
    (await t.db.query<Record<string, string>>(`EXPLAIN ${sql}`, params)).map((r) => Object.values(r)[0]).join('\n');

  beforeAll(async () => {
    t = await startTestApp();
    const customer = await t.admin.post('/api/v1/customers', { firstName: 'Plan', lastName: 'Tester' });
    const customerId = customer.json().id as string;
    await t.db.query(
      `INSERT INTO cases (customer_id, subject, description, status, is_open, priority, severity)
       SELECT $1, 'Case ' || g, 'description ' || g, 'open', true, 'normal', 'minor' FROM generate_series(1, 2000) g`,
      [customerId],
    );
    await t.db.query(
      `INSERT INTO case_follow_ups (case_id, kind, visibility, body, author_type, author_name, channel)
       SELECT c.id, 'note', 'public',
              'the usual printer trouble again ' || CASE WHEN g % 4000 = 0 THEN 'marmosetglyph' ELSE 'nothing' END,
              'user', 'Agent', 'console'
       FROM generate_series(1, 20000) g
       JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM cases) c ON c.n = g % 2000`,
    );
    await t.db.query(
      `INSERT INTO email_messages (direction, dedupe_key, case_id, subject, text_body)
       SELECT 'inbound', 'plan:' || g, c.id, 'Printer',
              'the usual printer trouble again ' || CASE WHEN g % 4000 = 0 THEN 'marmosetglyph' ELSE 'nothing' END
       FROM generate_series(1, 20000) g
       JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM cases) c ON c.n = g % 2000`,
    );
    await t.db.exec('ANALYZE cases; ANALYZE case_follow_ups; ANALYZE email_messages');
  });
  afterAll(async () => t?.close());

  it('follow-ups: a frequent word walks case_follow_ups_seq_idx, a rare one uses case_follow_ups_text_idx', async () => {
    // A word nobody wrote (a typo) is the case the planner gets wrong on a large table: it guesses
    // the word is fairly common and walks, which reads every row. It must take the GIN index too.
    for (const [word, index] of [
      ['printer', 'case_follow_ups_seq_idx'],
      ['marmosetglyph', 'case_follow_ups_text_idx'],
      ['zzqxwvnowhere', 'case_follow_ups_text_idx'],
    ] as const) {
      const { q, seen } = recording();
      const hits = await searchCases(q, {
        text: word,
        words: [word],
        limit: 5,
        cap: 20,
        viewPrivate: true,
        internal: true,
        extra: [],
      });
      if (word === 'zzqxwvnowhere') expect(hits).toHaveLength(0);
      else expect(hits.length, word).toBeGreaterThan(0);
      const statement = seen.find((s) => s.sql.includes('FROM case_follow_ups f'))!;
      const text = await plan(statement.sql, statement.params);
      expect(text, word).toContain(index);
      expect(text, word).not.toContain('Seq Scan on case_follow_ups');
    }
  });

  it('email messages: the same two plans on email_messages', async () => {
    for (const [word, index] of [
      ['printer', 'email_messages_created_idx'],
      ['marmosetglyph', 'email_messages_text_idx'],
      ['zzqxwvnowhere', 'email_messages_text_idx'],
    ] as const) {
      const { q, seen } = recording();
      const found = (await searchMessages(q, word, [word], 20)).length;
      if (word === 'zzqxwvnowhere') expect(found).toBe(0);
      else expect(found, word).toBeGreaterThan(0);
      const statement = seen.find((s) => s.sql.includes('FROM email_messages'))!;
      const text = await plan(statement.sql, statement.params);
      expect(text, word).toContain(index);
      expect(text, word).not.toContain('Seq Scan on email_messages');
    }
  });
});
