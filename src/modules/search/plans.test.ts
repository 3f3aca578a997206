import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryOptions, Queryable } from '../../db/adapter.js';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { searchCases } from '../cases/search.js';
import { searchMessages } from '../email/store.js';
import { searchInteractions } from '../interactions/search.js';
import { searchTasks } from '../tasks/store.js';

/**
 * The global search's bounded statements keep to their indexes (docs/agent-workflow.md,
 * "How it stays fast"): a frequent word walks the recency index and stops at the limit, a
 * rare one collects its matches from the GIN index; neither reads the whole table.
 */
describe('global search plans (EXPLAIN)', () => {
  let t: TestApp;

  /** Runs through the database and keeps each statement, to EXPLAIN it afterwards. */
  const recording = () => {
    const seen: { sql: string; params: readonly unknown[]; opts?: QueryOptions }[] = [];
    const q: Queryable = {
      query: <T>(sql: string, params: readonly unknown[] = [], opts?: QueryOptions) => {
        seen.push({ sql, params, opts });
        return t.db.query<T>(sql, params, opts);
      },
    } as Queryable;
    return { q, seen };
  };
  /**
   * The plan with sequential scans priced out: on these 20,000 rows reading the whole table is
   * cheap and PostgreSQL rightly does (the words are stored, migration 1570); on millions it is
   * the slow plan, and what matters here is which of the two indexes each statement leads to.
   */
  const plan = (sql: string, params: readonly unknown[]) =>
    t.db.transaction(async (tx) => {
      await tx.query(`SELECT set_config('enable_seqscan', 'off', true)`);
      const rows = await tx.query<Record<string, string>>(`EXPLAIN ${sql}`, params);
      return rows.map((r) => Object.values(r)[0]).join('\n');
    });

  /**
   * The generic plan of a statement (`plan_cache_mode = force_generic_plan`): the one a named
   * prepared statement keeps once PostgreSQL judges it costs no more than planning each call.
   */
  const genericPlan = (sql: string, params: readonly unknown[]) =>
    t.db.transaction(async (tx) => {
      await tx.query(`SELECT set_config('enable_seqscan', 'off', true)`);
      await tx.query(`SELECT set_config('plan_cache_mode', 'force_generic_plan', true)`);
      await tx.exec(`PREPARE plan_probe AS ${sql}`);
      try {
        const literals = params.map((p) => `'${String(p).replace(/'/g, "''")}'`).join(', ');
        const rows = await tx.query<Record<string, string>>(`EXPLAIN EXECUTE plan_probe(${literals})`);
        return rows.map((r) => Object.values(r)[0]).join('\n');
      } finally {
        await tx.exec('DEALLOCATE plan_probe');
      }
    });

  beforeAll(async () => {
    t = await startTestApp();
    const customer = await t.admin.post('/api/v1/customers', { firstName: 'Plan', lastName: 'Tester' });
    const customerId = customer.json().id as string;
    await t.db.query(
      `INSERT INTO cases (customer_id, subject, description, status, is_open, priority, severity)
       SELECT $1, 'Case ' || g % 50, 'description ' || g % 50, 'open', true, 'normal', 'minor'
       FROM generate_series(1, 20000) g`,
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
    // A rare word in a few case subjects (English lexemes, cases.search). The cases' words are
    // few (50 numbers), all frequent: PostgreSQL then prices any prefix, an absent one included,
    // at 2 % of the 20,000 cases and, left to itself, walks cases_opened_idx for it.
    await t.db.query(
      `UPDATE cases SET subject = subject || ' marmosetglyph' WHERE id IN (SELECT id FROM cases ORDER BY id LIMIT 2)`,
    );
    const rareOrNot = `CASE WHEN g % 4000 = 0 THEN 'marmosetglyph' ELSE 'nothing' END`;
    await t.db.query(
      `INSERT INTO tasks (type, subject, notes, customer_id, assignee_id, status, created_at)
       SELECT 'call', 'Call back', 'the usual printer trouble again ' || ${rareOrNot}, $1,
              (SELECT id FROM users ORDER BY id LIMIT 1), 'open', now() - g * interval '1 minute'
       FROM generate_series(1, 20000) g`,
      [customerId],
    );
    await t.db.query(
      `INSERT INTO interactions (channel, direction, match_result, state, started_at, ended_at, closed_at, notes)
       SELECT 'phone', 'inbound', 'not_found', 'closed', now() - g * interval '1 minute',
              now() - g * interval '1 minute', now() - g * interval '1 minute',
              'the usual printer trouble again ' || ${rareOrNot}
       FROM generate_series(1, 20000) g`,
    );
    await t.db.exec(
      'ANALYZE cases; ANALYZE case_follow_ups; ANALYZE email_messages; ANALYZE tasks; ANALYZE interactions',
    );
  });
  afterAll(async () => t?.close());

  it('follow-ups: a frequent word walks case_follow_ups_seq_idx, a rare one uses case_follow_ups_search_idx', async () => {
    // A word nobody wrote (a typo) is the case the planner gets wrong on a large table: it guesses
    // the word is fairly common and walks, which reads every row. It must take the GIN index too.
    for (const [word, index] of [
      ['printer', 'case_follow_ups_seq_idx'],
      ['marmosetglyph', 'case_follow_ups_search_idx'],
      ['zzqxwvnowhere', 'case_follow_ups_search_idx'],
      // The last word is a prefix: one beginning frequent words walks, one beginning none collects.
      ['printe', 'case_follow_ups_seq_idx'],
      ['marmosetgl', 'case_follow_ups_search_idx'],
      ['zzqxwvnowh', 'case_follow_ups_search_idx'],
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
      if (word.startsWith('zzqxwv')) expect(hits).toHaveLength(0);
      else expect(hits.length, word).toBeGreaterThan(0);
      const statement = seen.find((s) => s.sql.includes('FROM case_follow_ups f'))!;
      const text = await plan(statement.sql, statement.params);
      expect(text, word).toContain(index);
      expect(text, word).not.toContain('Seq Scan on case_follow_ups');
    }
  });

  it('tasks and interaction notes: the same two plans on their stored words (migration 1670)', async () => {
    const cases = [
      ['printer', 'walk'],
      ['printe', 'walk'],
      ['marmosetglyph', 'gin'],
      ['marmosetgl', 'gin'],
      ['zzqxwvnowhere', 'gin'],
      ['zzqxwvnowh', 'gin'],
    ] as const;
    for (const [word, expected] of cases) {
      const tasks = recording();
      const found = await searchTasks(tasks.q, word, [word], 20);
      if (word.startsWith('zzqxwv')) expect(found).toHaveLength(0);
      else expect(found.length, word).toBeGreaterThan(0);
      const taskStatement = tasks.seen.find((s) => s.sql.includes('FROM tasks'))!;
      const taskPlan = await plan(taskStatement.sql, taskStatement.params);
      expect(taskPlan, word).toContain(expected === 'walk' ? 'tasks_created_idx' : 'tasks_search_idx');
      expect(taskPlan, word).not.toContain('Seq Scan on tasks');

      const calls = recording();
      const hits = await searchInteractions(calls.q, { text: word, words: [word], limit: 5, cap: 20 });
      if (word.startsWith('zzqxwv')) expect(hits).toHaveLength(0);
      else expect(hits.length, word).toBeGreaterThan(0);
      const callStatement = calls.seen.find((s) => s.sql.includes('FROM interactions'))!;
      const callPlan = await plan(callStatement.sql, callStatement.params);
      expect(callPlan, word).toContain(expected === 'walk' ? 'interactions_started_idx' : 'interactions_search_idx');
      expect(callPlan, word).not.toContain('Seq Scan on interactions');
    }
  });

  it('case subjects and descriptions: a rare or absent prefix collects from cases_search_idx', async () => {
    // PostgreSQL prices any prefix at a fixed share, so it walked cases_opened_idx for a rare one
    // (which reads every case for an absent one); the English lexemes' statistics decide now.
    for (const word of ['marmosetgl', 'zzqxwvnowh']) {
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
      if (word.startsWith('zzqxwv')) expect(hits).toHaveLength(0);
      else expect(hits.length, word).toBeGreaterThan(0);
      const statement = seen.find((s) => s.sql.includes('FROM cases c') && s.sql.includes('c.search @@'))!;
      const text = await plan(statement.sql, statement.params);
      expect(text, word).toContain('cases_search_idx');
      expect(text, word).not.toContain('cases_opened_idx');
    }
  });

  it('email messages: the same two plans on email_messages', async () => {
    // With the words stored (migration 1570), reading these 20,000 messages through
    // email_messages_case_idx (case_id IS NOT NULL) is cheaper for PostgreSQL than the GIN
    // lookup; on 50,000 messages and more it takes the GIN index (bench/RESULTS.md). So here a
    // rare or absent word, whole (quoted) or a prefix, is checked not to walk the recency index.
    for (const [text, index] of [
      ['printer', 'email_messages_created_idx'],
      ['"marmosetglyph"', null],
      ['"zzqxwvnowhere"', null],
      ['printe', 'email_messages_created_idx'],
      ['marmosetgl', null],
      ['zzqxwvnowh', null],
    ] as const) {
      const { q, seen } = recording();
      const word = text.replace(/"/g, '');
      const found = (await searchMessages(q, text, [word], 20)).length;
      if (word.startsWith('zzqxwv')) expect(found).toBe(0);
      else expect(found, word).toBeGreaterThan(0);
      const statement = seen.find((s) => s.sql.includes('FROM email_messages'))!;
      const plan_ = await plan(statement.sql, statement.params);
      if (index) expect(plan_, text).toContain(index);
      else expect(plan_, text).not.toContain('email_messages_created_idx');
      expect(plan_, text).not.toContain('Seq Scan on email_messages');
    }
  });

  it('a walk is one plan for every word: a named statement whose generic plan walks the recency index', async () => {
    // Planning each walk read the words' statistics (thousands of entries) and cost more than the
    // walk itself for a frequent word; the walk's statement hides the words from the planner, so
    // PostgreSQL keeps one generic plan per connection. A rare word's statement stays planned per call.
    const casesFor = (q: Queryable, word: string, privileged: boolean) =>
      searchCases(q, {
        text: word,
        words: [word],
        limit: 5,
        cap: 20,
        viewPrivate: privileged,
        internal: privileged,
        extra: [],
      });
    const branches: {
      name: string;
      run: (q: Queryable, word: string) => Promise<unknown>;
      pick: (sql: string) => boolean;
      recency: string;
      gin: string;
    }[] = [
      {
        name: 'follow-ups',
        run: (q, word) => casesFor(q, word, false),
        pick: (sql) => sql.includes('FROM case_follow_ups f'),
        recency: 'case_follow_ups_seq_idx',
        gin: 'case_follow_ups_search_idx',
      },
      {
        name: 'cases',
        run: (q, word) => casesFor(q, word, true),
        pick: (sql) => sql.includes('FROM cases c') && sql.includes('c.search'),
        recency: 'cases_opened_idx',
        gin: 'cases_search_idx',
      },
      {
        name: 'tasks',
        run: (q, word) => searchTasks(q, word, [word], 20),
        pick: (sql) => sql.includes('FROM tasks'),
        recency: 'tasks_created_idx',
        gin: 'tasks_search_idx',
      },
      {
        name: 'interactions',
        run: (q, word) => searchInteractions(q, { text: word, words: [word], limit: 5, cap: 20 }),
        pick: (sql) => sql.includes('FROM interactions'),
        recency: 'interactions_started_idx',
        gin: 'interactions_search_idx',
      },
      {
        name: 'email messages',
        run: (q, word) => searchMessages(q, word, [word], 20),
        pick: (sql) => sql.includes('FROM email_messages'),
        recency: 'email_messages_created_idx',
        gin: 'email_messages_search_idx',
      },
    ];
    for (const b of branches) {
      // Frequent words in each table ('case' is in every case subject, 'printer' in every body).
      for (const word of b.name === 'cases' ? ['case', 'cas'] : ['printer', 'printe']) {
        const { q, seen } = recording();
        await b.run(q, word);
        const statement = seen.find((s) => b.pick(s.sql))!;
        expect(statement.opts?.name, `${b.name} ${word}`).toMatch(/^search\.walk\./);
        const generic = await genericPlan(statement.sql, statement.params);
        expect(generic, `${b.name} ${word}`).toContain(b.recency);
        expect(generic, `${b.name} ${word}`).not.toContain(b.gin);
      }
      const rare = recording();
      await b.run(rare.q, 'marmosetglyph');
      const statement = rare.seen.find((s) => b.pick(s.sql))!;
      expect(statement.opts?.name, `${b.name} marmosetglyph`).toBeUndefined();
    }
  });
});
