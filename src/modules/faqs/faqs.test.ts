import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { excerptOf, renderArticle } from './markdown.js';

interface Summary {
  id: string;
  title: string;
  category: string;
  excerpt: string;
}

describe('FAQ articles', () => {
  let t: TestApp;
  let agent: TestClient;
  let editor: TestClient;
  let supervisor: TestClient;
  const ids: Record<string, string> = {};

  const write = async (title: string, body: string, category: string, published = true) => {
    const res = await t.admin.post('/api/v1/faqs', { title, body, category, published });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; version: number };
  };
  const portal = (url: string) => t.anonymous.get(url);
  const titles = (res: { json(): { items: Summary[] } }) => res.json().items.map((a) => a.title);

  beforeAll(async () => {
    t = await startTestApp({ checkResponses: true, env: { PUBLIC_URL: 'https://help.example.test' } });
    [agent, supervisor, editor] = await Promise.all([
      t.user('agent'),
      t.user('supervisor'),
      t.user('agent', { privileges: ['cases.view', 'faqs.manage'] }),
    ]);
    ids.reset = (
      await write(
        'How do I reset my password?',
        'Open **Sign in**, choose *Forgot your password?* and follow the link we email you.',
        'Account',
      )
    ).id;
    ids.invoice = (
      await write('Where is my invoice?', 'Invoices are emailed on the first day of each month.', 'Billing')
    ).id;
    ids.refund = (await write('Refunds', 'We refund within 14 days of a return reaching us.', 'billing')).id;
    ids.draft = (await write('Upcoming password rules', 'New password rules start next month.', 'Account', false)).id;
  });
  afterAll(async () => {
    expect(t?.responseMismatches).toEqual([]);
    await t?.close();
  });

  it('renders Markdown and removes anything that could run', () => {
    const html = renderArticle(
      [
        '# Title',
        '',
        '<script>alert(1)</script> <img src=x onerror=alert(1)>',
        '',
        '[click](javascript:alert(1)) [ok](https://example.test/a) <a href="https://x.test" onclick="y()">x</a>',
        '',
        '![pixel](http://tracker.test/p.gif) ![logo](https://cdn.example.test/logo.png)',
      ].join('\n'),
    );
    expect(html).toContain('<h1>Title</h1>');
    // No element of the output runs code: no script, no handler attribute, no javascript: link.
    expect(html).not.toMatch(/<script|<[^>]*\son\w+=|href="javascript|src="x"/i);
    // Raw HTML is shown as text, never as markup.
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain(
      '<a href="https://example.test/a" target="_blank" rel="noopener noreferrer nofollow">ok</a>',
    );
    expect(html).not.toContain('tracker.test');
    expect(html).toContain('<img src="https://cdn.example.test/logo.png" alt="logo" />');
    expect(excerptOf('## Hi\n\nSome **bold** `code` & [a link](https://x.test).')).toBe('Hi Some bold code & a link.');
    expect(excerptOf('word '.repeat(100), 20)).toBe('word word word word…');
  });

  it('staff write, read and publish articles; the HTML and the public link come with them', async () => {
    const res = await t.admin.post('/api/v1/faqs', {
      title: '  Shipping times ',
      body: 'Most parcels arrive in **3 days**.\n\n<script>alert(1)</script>',
      category: '  Orders   and delivery ',
    });
    expect(res.statusCode, res.body).toBe(201);
    const a = res.json();
    expect(a).toMatchObject({
      title: 'Shipping times',
      category: 'Orders and delivery',
      published: false,
      publishedAt: null,
      version: 1,
      publicUrl: `https://help.example.test/portal/faq/${a.id}`,
    });
    expect(a.bodyHtml).toContain('<strong>3 days</strong>');
    expect(a.bodyHtml).not.toContain('<script');

    const published = await t.admin.patch(`/api/v1/faqs/${a.id}`, { published: true, version: 1 });
    expect(published.statusCode, published.body).toBe(200);
    expect(published.json()).toMatchObject({ published: true, version: 2 });
    expect(published.json().publishedAt).not.toBeNull();
    expect((await portal(`/api/portal/faqs/${a.id}`)).statusCode).toBe(200);

    // A stale version is refused with the current article.
    const stale = await t.admin.patch(`/api/v1/faqs/${a.id}`, { title: 'x', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().current.version).toBe(2);
    expect((await t.admin.patch(`/api/v1/faqs/${a.id}`, { title: 'x' })).statusCode).toBe(428);

    const unpublished = await t.admin.patch(`/api/v1/faqs/${a.id}`, { published: false }, { 'if-match': '"2"' });
    expect(unpublished.statusCode, unpublished.body).toBe(200);
    expect((await portal(`/api/portal/faqs/${a.id}`)).statusCode).toBe(404);

    expect((await t.admin.delete(`/api/v1/faqs/${a.id}`, { 'if-match': '"2"' })).statusCode).toBe(409);
    expect((await t.admin.delete(`/api/v1/faqs/${a.id}`, { 'if-match': '"3"' })).statusCode).toBe(204);
    expect((await t.admin.get(`/api/v1/faqs/${a.id}`)).statusCode).toBe(404);
  });

  it('faqs.manage writes and reads drafts; other staff read published articles only', async () => {
    for (const c of [agent, supervisor]) {
      const refused = await c.post('/api/v1/faqs', { title: 'x', body: 'y', category: 'z' });
      expect(refused.statusCode).toBe(403);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect((await c.patch(`/api/v1/faqs/${ids.reset}`, { title: 'x', version: 1 })).statusCode).toBe(403);
      expect((await c.delete(`/api/v1/faqs/${ids.reset}`)).statusCode).toBe(403);
      expect((await c.post('/api/v1/faqs/preview', { body: '# x' })).statusCode).toBe(403);
      expect((await c.get(`/api/v1/faqs/${ids.reset}`)).statusCode).toBe(200);
      expect((await c.get(`/api/v1/faqs/${ids.draft}`)).statusCode).toBe(404);
      const list = await c.get('/api/v1/faqs');
      expect(list.statusCode).toBe(200);
      expect(list.json().items.map((a: Summary) => a.id)).not.toContain(ids.draft);
    }
    expect((await t.anonymous.get('/api/v1/faqs')).statusCode).toBe(401);

    expect((await editor.get(`/api/v1/faqs/${ids.draft}`)).statusCode).toBe(200);
    const drafts = await editor.get('/api/v1/faqs?published=false');
    expect(titles(drafts)).toEqual(['Upcoming password rules']);
    const made = await editor.post('/api/v1/faqs', { title: 'Opening hours', body: '9 to 5.', category: 'General' });
    expect(made.statusCode, made.body).toBe(201);
    const preview = await editor.post('/api/v1/faqs/preview', { body: 'Hi <b>there</b> _you_' });
    expect(preview.json()).toEqual({ html: '<p>Hi &lt;b&gt;there&lt;/b&gt; <em>you</em></p>' });
    expect((await editor.delete(`/api/v1/faqs/${made.json().id}`)).statusCode).toBe(204);
  });

  it('staff search and page through the list', async () => {
    const found = await agent.get('/api/v1/faqs?q=password');
    expect(titles(found)).toEqual(['How do I reset my password?']);
    const byCategory = await t.admin.get('/api/v1/faqs?category=BILLING');
    expect(titles(byCategory).sort()).toEqual(['Refunds', 'Where is my invoice?']);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await t.admin.get(`/api/v1/faqs?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.statusCode, page.body).toBe(200);
      seen.push(...page.json().items.map((a: Summary) => a.id));
      cursor = page.json().nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(Object.values(ids).sort());
  });

  it('the Support Center shows published articles only, by category, A–Z', async () => {
    const all = await portal('/api/portal/faqs');
    expect(all.statusCode, all.body).toBe(200);
    expect(titles(all)).toEqual(['How do I reset my password?', 'Refunds', 'Where is my invoice?']);
    expect(all.json().items[0]).toMatchObject({
      category: 'Account',
      excerpt: 'Open Sign in, choose Forgot your password? and follow the link we email you.',
    });
    expect((await portal(`/api/portal/faqs/${ids.draft}`)).statusCode).toBe(404);
    expect((await portal('/api/portal/faqs/not-an-id')).statusCode).toBe(404);

    const article = await portal(`/api/portal/faqs/${ids.reset}`);
    expect(article.json()).toMatchObject({ title: 'How do I reset my password?', category: 'Account' });
    expect(article.json().html).toContain('<strong>Sign in</strong>');

    const categories = await portal('/api/portal/faqs/categories');
    expect(categories.json().items).toEqual([
      { name: 'Account', articles: 1 },
      { name: 'Billing', articles: 2 },
    ]);
    expect(titles(await portal('/api/portal/faqs?category=billing'))).toEqual(['Refunds', 'Where is my invoice?']);

    const first = await portal('/api/portal/faqs?limit=2');
    expect(titles(first)).toEqual(['How do I reset my password?', 'Refunds']);
    const second = await portal(`/api/portal/faqs?limit=2&cursor=${first.json().nextCursor}`);
    expect(titles(second)).toEqual(['Where is my invoice?']);
    expect(second.json().nextCursor).toBeNull();
  });

  it('searches published articles in full text, best match first', async () => {
    // Stemming: "refunded" finds "refund"; the draft about passwords is never found.
    expect(titles(await portal('/api/portal/faqs?q=refunded'))).toEqual(['Refunds']);
    expect(titles(await portal('/api/portal/faqs?q=password'))).toEqual(['How do I reset my password?']);
    expect(titles(await portal('/api/portal/faqs?q=invoices%20monthly'))).toEqual(['Where is my invoice?']);
    expect(titles(await portal('/api/portal/faqs?q=%22first%20day%22%20-refund'))).toEqual(['Where is my invoice?']);
    expect(titles(await portal('/api/portal/faqs?q=billing')).sort()).toEqual(['Refunds', 'Where is my invoice?']);
    expect((await portal('/api/portal/faqs?q=the')).json().items).toEqual([]);

    const one = await portal('/api/portal/faqs?q=billing&limit=1');
    const next = await portal(`/api/portal/faqs?q=billing&limit=1&cursor=${one.json().nextCursor}`);
    expect([...titles(one), ...titles(next)].sort()).toEqual(['Refunds', 'Where is my invoice?']);
    expect(next.json().nextCursor).toBeNull();
  });

  it('suggests articles for the subject of a new case as it is typed', async () => {
    const suggest = (subject: string) => portal(`/api/portal/faqs/suggest?subject=${encodeURIComponent(subject)}`);
    expect(titles(await suggest('I forgot my passw'))).toEqual(['How do I reset my password?']);
    expect(titles(await suggest('cannot find the invoice for March'))).toEqual(['Where is my invoice?']);
    expect(titles(await suggest('Upcoming rules'))).toEqual([]);
    expect((await suggest('   ')).json()).toEqual({ items: [] });
    // Operators of the query syntax are just punctuation here.
    expect((await suggest("refund & | ! ( ) :* <-> ' \\")).statusCode).toBe(200);
    expect(titles(await suggest("refund & | ! ( ) :* <-> ' \\"))).toEqual(['Refunds']);
    const few = await portal('/api/portal/faqs/suggest?subject=billing%20password%20refund&limit=2');
    expect(few.json().items).toHaveLength(2);
  });

  it('refuses bad input with a 400 naming the field, and changes nothing', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['blank title', { title: '   ', body: 'x', category: 'c' }, 'title'],
      ['no body', { title: 't', category: 'c' }, 'body'],
      ['blank category', { title: 't', body: 'x', category: ' ' }, 'category'],
      ['long title', { title: 'x'.repeat(201), body: 'x', category: 'c' }, 'title'],
      ['unknown field', { title: 't', body: 'x', category: 'c', html: '<b>' }, 'html'],
      ['published not a flag', { title: 't', body: 'x', category: 'c', published: 'yes' }, 'published'],
    ];
    const before = (await t.admin.get('/api/v1/faqs?limit=200')).json().items.length;
    for (const [what, body, field] of cases) {
      const res = await t.admin.post('/api/v1/faqs', body);
      expect(res.statusCode, what).toBe(400);
      expect(res.headers['content-type'], what).toContain('application/problem+json');
      expect(
        res.json().errors.map((e: { field: string }) => e.field),
        what,
      ).toContain(field);
    }
    const blank = await t.admin.patch(`/api/v1/faqs/${ids.reset}`, { body: ' \n ', version: 1 });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().errors).toEqual([{ field: 'body', message: 'Body must not be blank.' }]);
    expect((await t.admin.get(`/api/v1/faqs/${ids.reset}`)).json().version).toBe(1);
    expect((await t.admin.get('/api/v1/faqs?limit=200')).json().items.length).toBe(before);

    const badQueries: [string, string][] = [
      ['/api/v1/faqs?limit=0', 'limit'],
      ['/api/v1/faqs?cursor=nonsense', 'cursor'],
      ['/api/v1/faqs?published=maybe', 'published'],
      [`/api/v1/faqs?q=${'x'.repeat(201)}`, 'q'],
    ];
    for (const [url, field] of badQueries) {
      const res = await t.admin.get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().errors[0].field, url).toBe(field);
    }
    const portalQueries: [string, string][] = [
      ['/api/portal/faqs/suggest', 'subject'],
      [`/api/portal/faqs/suggest?subject=${'x'.repeat(501)}`, 'subject'],
      ['/api/portal/faqs/suggest?subject=a&limit=11', 'limit'],
      ['/api/portal/faqs?cursor=bad', 'cursor'],
      ['/api/portal/faqs?limit=1000', 'limit'],
    ];
    for (const [url, field] of portalQueries) {
      const res = await portal(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type'], url).toContain('application/problem+json');
      expect(res.json().errors[0].field, url).toBe(field);
    }
    // A cursor of the search order is not one of the A–Z order.
    const searchPage = await portal('/api/portal/faqs?q=billing&limit=1');
    expect((await portal(`/api/portal/faqs?cursor=${searchPage.json().nextCursor}`)).statusCode).toBe(400);
  });
});
