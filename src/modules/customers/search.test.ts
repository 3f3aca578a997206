import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ON_POSTGRES, startTestApp, type TestApp } from '../../../test/helpers.js';
import { buildListQuery, prefixUpperBound, statementName } from './search.js';
import { screenPop, screenPopIds } from './screen-pop.test-helpers.js';

interface C {
  id: string;
  accountNumber: string;
  displayName: string;
}

let t: TestApp;
const made: Record<string, C> = {};

async function make(key: string, body: Record<string, unknown>): Promise<C> {
  const res = await t.admin.post('/api/v1/customers', body);
  expect(res.statusCode, res.body).toBe(201);
  made[key] = res.json() as C;
  return made[key];
}

async function search(qs: string): Promise<{ items: C[]; nextCursor: string | null }> {
  const res = await t.admin.get(`/api/v1/customers?${qs}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}
const ids = (r: { items: C[] }) => r.items.map((c) => c.id);

beforeAll(async () => {
  t = await startTestApp();
  await make('jonathon', {
    firstName: 'Jonathon',
    lastName: 'Smyth',
    company: 'Globex Corporation',
    email: 'j.smyth@globex.test',
    phones: [{ type: 'work', number: '(415) 555-0100' }],
    primaryAddress: { city: 'London', postalCode: 'SW1A 1AA', country: 'GB' },
  });
  await make('katherine', {
    firstName: 'Katherine',
    lastName: 'Johnson',
    email: 'kj@nasa.test',
    phones: [{ type: 'mobile', number: '+44 20 7946 0958' }],
    secondaryAddress: { postalCode: '94103' },
  });
  await make('margaret', { firstName: 'Margaret', lastName: 'Hamilton', company: 'Apollo Guidance' });
  await make('shortNumber', { firstName: 'Local', lastName: 'Number', phones: [{ number: '555-0177' }] });
  await make('sameTail', { firstName: 'Other', lastName: 'Area', phones: [{ number: '212 555 0100' }] });
  await make('draft', { draft: true, company: 'Draft Co', phones: [{ number: '(415) 555-0100' }] });
});
afterAll(async () => t?.close());

describe('customers search (q)', () => {
  it.each([
    ['Jonathan Smyth', 'jonathon'],
    ['jonathn smyht', 'jonathon'],
    ['Jonathon Smtyh', 'jonathon'],
    ['jonathon smyht', 'jonathon'],
    ['Catherine Johnson', 'katherine'],
    ['Margret Hamiltn', 'margaret'],
    ['Hamilton', 'margaret'],
    ['apollo guidanse', 'margaret'],
    ['globex', 'jonathon'],
  ])('a misspelt or partial name %s finds %s first', async (q, key) => {
    const r = await search(`q=${encodeURIComponent(q)}`);
    expect(r.items[0]?.id, JSON.stringify(r.items.map((c) => c.displayName))).toBe(made[key].id);
  });

  it('finds by name prefix, email prefix and account number', async () => {
    expect(ids(await search('q=smy'))).toContain(made.jonathon.id);
    expect(ids(await search('q=hamilton%20ma'))).toContain(made.margaret.id);
    expect(ids(await search('q=kj%40nasa'))).toEqual([made.katherine.id]);
    expect(ids(await search(`q=${made.katherine.accountNumber}`))).toContain(made.katherine.id);
  });

  it('finds by a partial phone number (the last 7+ digits) in any format', async () => {
    expect(ids(await search('q=555-0100')).sort()).toEqual([made.jonathon.id, made.sameTail.id, made.draft.id].sort());
    expect(ids(await search('q=(415)%20555-0100')).sort()).toEqual([made.jonathon.id, made.draft.id].sort());
    expect(ids(await search('q=7946%200958'))).toEqual([made.katherine.id]);
  });

  it('answers nothing for nothing, and refuses a bad cursor or sort', async () => {
    expect((await search('q=zzzzqqqq')).items).toEqual([]);
    expect((await t.admin.get('/api/v1/customers?cursor=garbage')).statusCode).toBe(400);
    expect((await t.admin.get('/api/v1/customers?sort=shoeSize')).statusCode).toBe(400);
    expect((await t.admin.get('/api/v1/customers?sort=relevance')).statusCode).toBe(400);
    expect((await t.admin.get('/api/v1/customers?limit=201')).statusCode).toBe(400);
    expect((await t.admin.get('/api/v1/customers?q=%25%25%25')).statusCode).toBe(200);
  });

  it('reads prefixes literally: % and _ are characters, not wildcards', async () => {
    expect(ids(await search('q=kj%40na_a'))).toEqual([]);
    expect(ids(await search('q=kj%40n%25'))).toEqual([]);
    expect(ids(await search('q=kj%40nasa.'))).toEqual([made.katherine.id]);
  });

  it('names the statement by its text, except where only a custom plan weighs it well', () => {
    const opts = { q: 'jonathn smyht', limit: 50 };
    const query = buildListQuery(opts, 'US')!;
    expect(statementName(opts, query)).toMatch(/^customers\.list\./);
    expect(statementName(opts, query)).toBe(
      statementName(opts, buildListQuery({ ...opts, q: 'katrine jonson' }, 'US')!),
    );
    const condition = { render: () => 'true' };
    expect(statementName({ ...opts, custom: condition }, query)).toBeUndefined();
    expect(statementName({ ...opts, customSearch: condition }, query)).toBeUndefined();
  });

  it('bounds a prefix by the next string in code point order', () => {
    expect(prefixUpperBound('smi')).toBe('smj');
    expect(prefixUpperBound('a\u{10FFFF}')).toBe('b');
    expect(prefixUpperBound('\u{D7FF}')).toBe('\u{E000}');
    expect(prefixUpperBound('\u{10FFFF}')).toBeNull();
  });

  it.runIf(ON_POSTGRES)('runs prepared, and its generic plan keeps the indexes (EXPLAIN)', async () => {
    await t.db.exec('ANALYZE');
    const literal = (v: unknown): string =>
      `'${(Array.isArray(v) ? `{${v.map((x) => `"${String(x)}"`).join(',')}}` : String(v)).replace(/'/g, "''")}'`;
    // One query of each shape: two fuzzy words, one short word and a name prefix, an account number,
    // an email prefix, phone digits, and the phone filter's last-digits tier.
    const shapes = [
      { q: 'jonathn smyht' },
      { q: 'ham' },
      { q: made.katherine.accountNumber },
      { q: 'kj@nasa' },
      { q: '555-0100' },
      { phone: '555-0100' },
    ];
    const plans: string[] = [];
    for (const shape of shapes) {
      const query = buildListQuery({ ...shape, limit: 50 }, 'US')!;
      // The plan the server reuses once the statement is prepared: the generic one (no values folded in).
      // Tiny tables: forbid sequential scans so the plan shows the index path a large table takes.
      const plan = await t.db.transaction(async (tx) => {
        await tx.exec('SET LOCAL enable_seqscan = off; SET LOCAL plan_cache_mode = force_generic_plan');
        await tx.exec(`PREPARE list_plan AS ${query.sql}`);
        const rows = await tx.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN EXECUTE list_plan(${query.params.map(literal).join(', ')})`,
        );
        await tx.exec('DEALLOCATE list_plan');
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan, JSON.stringify(shape)).not.toMatch(/Seq Scan/);
      plans.push(plan);
    }
    expect(plans[0]).toMatch(/customers_name_terms_idx/);
    expect(plans[0]).toMatch(/customer_terms_pkey/);
    expect(plans[1]).toMatch(
      /Index Only Scan using customers_sort_name_idx[^\n]*\n[^\n]*Index Cond: \(\(sort_name >= /,
    );
    expect(plans[2]).toMatch(/uq__customers__account_number/);
    expect(plans[3]).toMatch(/uq__customers__email/);
    expect(plans[4]).toMatch(/Index Cond: \(\(digits_rev >= /);
    expect(plans[5]).toMatch(/customer_phones_digits_rev_idx/);
  });
});

describe('customers filters', () => {
  it.each(['(415) 555-0100', '+1 415-555-0100', '001 415 555 0100', '4155550100', '1.415.555.0100'])(
    'phone=%s finds the same customers',
    async (phone) => {
      const r = await search(`phone=${encodeURIComponent(phone)}`);
      expect(ids(r).sort()).toEqual([made.jonathon.id, made.draft.id].sort());
    },
  );

  it('pages through the customers sharing a number (shared office line)', async () => {
    const shared: string[] = [];
    for (const name of ['Cara', 'Abe', 'Bea']) {
      const c = await make(`shared${name}`, {
        firstName: name,
        lastName: 'Office',
        phones: [{ number: '+1 303 555 0199' }],
      });
      shared.push(c.id);
    }
    const p1 = await search('phone=3035550199&limit=2');
    expect(p1.items.map((c) => c.displayName)).toEqual(['Abe Office', 'Bea Office']);
    const p2 = await search(`phone=3035550199&limit=2&cursor=${p1.nextCursor}`);
    expect(p2.items.map((c) => c.displayName)).toEqual(['Cara Office']);
    expect(p2.nextCursor).toBeNull();
  });

  it('answers concurrent phone lists (coalesced into one statement) each with its own page', async () => {
    const queries = [
      'phone=4155550100', // Jonathon and a draft
      'phone=3035550199&limit=2', // the shared office line, first page of two
      'phone=%2B1%20303%20555%200199', // the same line, a whole page
      'phone=%2B12025550143', // nobody's
      'phone=(415)%20555-0100',
    ];
    const oneByOne = [];
    for (const q of queries) oneByOne.push(await search(q));
    const together = await Promise.all(queries.map((q) => search(q)));
    expect(together).toEqual(oneByOne);
    expect(together.map((r) => r.items.length)).toEqual([2, 2, 3, 0, 2]);
    expect(together[1].nextCursor).not.toBeNull();
    expect(together[2].nextCursor).toBeNull();
  });

  it('phone falls back to the last digits when nothing matches exactly', async () => {
    // Stored as typed "555-0177" (no area code: not a valid number); the caller id ends with it.
    expect(ids(await search('phone=%2B1%20415%20555%200177'))).toEqual([made.shortNumber.id]);
    // The last 7 digits of a number find every number ending with them.
    expect(ids(await search('phone=5550100')).sort()).toEqual(
      [made.jonathon.id, made.sameTail.id, made.draft.id].sort(),
    );
  });

  it('filters by email (any case), account number, postal code (spaces and case ignored), draft', async () => {
    expect(ids(await search('email=J.SMYTH%40globex.test'))).toEqual([made.jonathon.id]);
    expect(ids(await search(`accountNumber=${made.margaret.accountNumber}`))).toEqual([made.margaret.id]);
    expect(ids(await search('postalCode=sw1a1aa'))).toEqual([made.jonathon.id]);
    expect(ids(await search('postalCode=94103'))).toEqual([made.katherine.id]);
    expect(ids(await search('draft=true'))).toEqual([made.draft.id]);
    expect(ids(await search('postalCode=sw1a1aa&draft=true'))).toEqual([]);
  });
});

describe('customers lookup (the screen-pop statement)', () => {
  it('matches phones in any format, exact E.164 first, drafts excluded', async () => {
    for (const phone of ['(415) 555-0100', '+1 415-555-0100', '001 415 555 0100', '4155550100']) {
      const found = await screenPop(t.db, { phone });
      expect(found.map((s) => s.id)).toEqual([made.jonathon.id]);
      expect(found[0]).toMatchObject({ account_number: made.jonathon.accountNumber, first_name: 'Jonathon' });
    }
    expect(await screenPopIds(t.db, { phone: '+1 212 555 0177' })).toEqual([made.shortNumber.id]);
    expect(await screenPopIds(t.db, { phone: '020 7946 0958' })).toEqual([]);
    expect(await screenPopIds(t.db, { phone: '+44 20 7946 0958' })).toEqual([made.katherine.id]);
    expect(await screenPopIds(t.db, { phone: 'anonymous' })).toEqual([]);
  });

  it('matches email case-insensitively and account numbers exactly', async () => {
    expect(await screenPopIds(t.db, { email: ' KJ@NASA.test ' })).toEqual([made.katherine.id]);
    expect(await screenPopIds(t.db, { accountNumber: made.margaret.accountNumber })).toEqual([made.margaret.id]);
    expect(await screenPopIds(t.db, { accountNumber: 'nope' })).toEqual([]);
  });
});

describe('pagination', () => {
  it('returns every row exactly once, in order, for every sort', async () => {
    const tag = 'Paginata';
    const mine = new Set<string>();
    for (let i = 0; i < 23; i++) {
      // Repeated names: the keyset must break ties by id.
      const c = await make(`p${i}`, { firstName: `Pia${i % 3}`, lastName: tag, company: 'Pager Inc' });
      mine.add(c.id);
    }
    // A few updates so that updated_at differs from created_at order.
    for (const i of [5, 1, 17]) {
      const id = made[`p${i}`].id;
      const r = await t.admin.patch(`/api/v1/customers/${id}`, { version: 1, notes: 'touched' });
      expect(r.statusCode).toBe(200);
    }
    for (const sort of ['name', '-name', 'created', '-created', 'updated', '-updated', 'relevance']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const qs = `q=${tag}&sort=${sort}&limit=4${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await search(qs);
        seen.push(...ids(page));
        cursor = page.nextCursor;
        expect(++pages).toBeLessThan(20);
      } while (cursor);
      expect(seen.filter((id) => mine.has(id)).length, sort).toBe(mine.size);
      expect(new Set(seen).size, sort).toBe(seen.length);
    }
    // Without q too, over the whole table.
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await search(`sort=-created&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...ids(page));
      cursor = page.nextCursor;
    } while (cursor);
    const [{ n }] = await t.db.query<{ n: number }>('SELECT count(*) AS n FROM customers');
    expect(all.length).toBe(n);
    expect(new Set(all).size).toBe(n);
  });

  it('keeps name order across pages', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await search(`sort=name&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      names.push(...page.items.map((c) => c.displayName));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names.length).toBeGreaterThan(20);
  });
});
