import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  expectAccessible,
  launchBrowser,
  newContext,
  screenshot,
  signIn,
  startServer,
  watchErrors,
  type E2EServer,
} from './harness.js';

/** FAQ articles: Admin → FAQs, the Support Center's FAQ and suggestions, links in a reply (docs/email-and-support-center.md). */
describe('FAQ articles (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let admin: Page;
  let errors: string[];
  let customer: { id: string; accountNumber: string };
  let caseId: string;
  let articleId: string;
  let articleUrl: string;
  const TITLE = 'How do I reset my password?';

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    customer = await server.admin.ok('POST', '/api/v1/customers', {
      firstName: 'Fay',
      lastName: 'Quinn',
      email: 'fay@customer.test',
    });
    await server.admin.ok('PUT', `/api/v1/customers/${customer.id}/portal-access`, {
      enabled: true,
      password: 'fay-portal-password',
      sendCredentials: false,
    });
    caseId = (
      await server.admin.ok<{ id: string }>('POST', '/api/v1/cases', {
        customerId: customer.id,
        subject: 'Locked out',
      })
    ).id;
    // Another published article, and a draft that the Support Center never shows.
    await server.admin.ok('POST', '/api/v1/faqs', {
      title: 'Where is my invoice?',
      body: 'Invoices are emailed on the first day of each month.',
      category: 'Billing',
      published: true,
    });
    await server.admin.ok('POST', '/api/v1/faqs', {
      title: 'Upcoming password rules (draft)',
      body: 'Not announced yet.',
      category: 'Account',
    });
    await server.admin.ok('POST', '/api/v1/users', {
      email: 'agent.faq@e2e.test',
      password: 'agent-faq-password',
      role: 'agent',
      firstName: 'Agent',
      lastName: 'Faq',
    });
    admin = await (await newContext(browser)).newPage();
    await admin.emulateMedia({ colorScheme: 'light' });
    errors = watchErrors(admin);
    await signIn(admin, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('an administrator writes an article with a preview and publishes it', async () => {
    await admin.goto(`${server.url}/admin/faqs`);
    await admin.getByRole('heading', { name: 'FAQ articles' }).waitFor();
    await admin.getByRole('button', { name: 'New article' }).click();
    const form = admin.getByRole('form', { name: 'New FAQ article' });
    await form.getByLabel('Title').fill(TITLE);
    await form.getByLabel('Category').fill('Account');
    await form
      .getByLabel('Text (Markdown)')
      .fill(
        'Open **Sign in** and choose *Forgot your password?*.\n\n1. Check your inbox\n2. Follow the link\n\n<script>alert("x")</script>',
      );
    // The preview is the server's rendering: Markdown as HTML, the script shown as text only.
    const preview = form.getByRole('region', { name: 'Preview' });
    await preview.locator('strong', { hasText: 'Sign in' }).waitFor();
    await preview.locator('ol li', { hasText: 'Follow the link' }).waitFor();
    expect(await preview.locator('script').count()).toBe(0);
    expect(await preview.innerText()).toContain('<script>alert("x")</script>');
    await screenshot(admin, 'faq-admin-editor');
    await expectAccessible(admin, 'FAQ editor');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'hidden' });

    const row = admin.locator(`tr[data-faq="${TITLE}"]`);
    await row.getByText('Draft').waitFor();
    await row.getByRole('button', { name: `Publish ${TITLE}` }).click();
    await row.getByText('Published').waitFor();
    await row.getByRole('link', { name: 'View' }).waitFor();
    await screenshot(admin, 'faq-admin-list');
    await expectAccessible(admin, 'FAQ list');

    const list = await server.admin.ok<{
      items: { id: string; title: string; published: boolean; publicUrl: string }[];
    }>('GET', '/api/v1/faqs?published=true');
    const article = list.items.find((a) => a.title === TITLE);
    expect(article?.published).toBe(true);
    articleId = article!.id;
    articleUrl = article!.publicUrl;
    expect(new URL(articleUrl).pathname).toBe(`/portal/faq/${articleId}`);
  }, 90_000);

  it('anybody browses the FAQ by category, searches it and reads the article', async () => {
    const page = await (await newContext(browser)).newPage();
    await page.emulateMedia({ colorScheme: 'light' });
    const pageErrors = watchErrors(page);
    await page.goto(`${server.url}/portal/faq`);
    await page.getByRole('heading', { name: 'Frequently asked questions' }).waitFor();
    const categories = page.getByRole('navigation', { name: 'Categories' });
    await categories.getByRole('button', { name: /Billing/ }).waitFor();
    // One published article in Account: the draft is not counted.
    expect(await categories.getByRole('button', { name: /Account/ }).innerText()).toBe('Account (1)');
    expect(await page.locator('main').innerText()).not.toContain('Upcoming password rules');

    await categories.getByRole('button', { name: /Billing/ }).click();
    const billing = page.getByRole('list', { name: 'Billing' });
    await billing.getByRole('link', { name: 'Where is my invoice?' }).waitFor();
    expect(await billing.getByRole('listitem').count()).toBe(1);

    await page.getByRole('searchbox', { name: 'Search the FAQ' }).fill('forgot password');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = page.getByRole('list', { name: 'Articles matching “forgot password”' });
    await results.getByRole('link', { name: TITLE }).waitFor();
    expect(await results.getByRole('listitem').count()).toBe(1);
    await screenshot(page, 'portal-faq-search');
    await expectAccessible(page, 'portal FAQ');

    await results.getByRole('link', { name: TITLE }).click();
    await page.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    await page.locator('.faq-article strong', { hasText: 'Sign in' }).waitFor();
    expect(await page.locator('.faq-article script').count()).toBe(0);
    expect(new URL(page.url()).pathname).toBe(`/portal/faq/${articleId}`);
    // The article's address opens by itself too (a link from an email), and a draft's is "not found".
    await page.reload();
    await page.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    const draft = await server.admin.ok<{ items: { id: string }[] }>('GET', '/api/v1/faqs?published=false');
    await page.goto(`${server.url}/portal/faq/${draft.items[0].id}`);
    await page.getByRole('heading', { name: 'Article not found' }).waitFor();
    await page.goto(`${server.url}/portal/faq/${articleId}`);
    await page.locator('.faq-article strong', { hasText: 'Sign in' }).waitFor();
    await screenshot(page, 'portal-faq-article');
    await expectAccessible(page, 'portal FAQ article');
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('suggests the article while a signed-in customer types a new case subject', async () => {
    const page = await (await newContext(browser)).newPage();
    await page.emulateMedia({ colorScheme: 'light' });
    const pageErrors = watchErrors(page);
    await page.goto(`${server.url}/portal`);
    await page.getByLabel('Account number or email').fill(customer.accountNumber);
    await page.getByLabel('Password').fill('fay-portal-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My cases' }).waitFor();
    await page.getByRole('link', { name: 'Open a new case' }).click();
    await page.getByRole('heading', { name: 'Open a new case' }).waitFor();

    // Typed key by key, the last word unfinished: suggestions come before anything is submitted.
    await page.getByLabel('Subject').pressSequentially('I cannot reset my passw');
    const suggestions = page.getByRole('complementary', { name: 'Articles that may help' });
    const link = suggestions.getByRole('link', { name: TITLE });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(`/portal/faq/${articleId}`);
    expect(await suggestions.innerText()).not.toContain('invoice');
    const cases = await server.admin.ok<{ items: unknown[] }>('GET', `/api/v1/cases?customerId=${customer.id}`);
    expect(cases.items).toHaveLength(1);
    await screenshot(page, 'portal-faq-suggestions');
    await expectAccessible(page, 'portal new case with suggestions');
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('an agent finds the article from the reply box and inserts its public link', async () => {
    const page = await (await newContext(browser)).newPage();
    await page.emulateMedia({ colorScheme: 'light' });
    const pageErrors = watchErrors(page);
    await signIn(page, server.url, 'agent.faq@e2e.test', 'agent-faq-password');
    await page.goto(`${server.url}/cases/${caseId}`);
    await page.getByRole('button', { name: 'Reply by email' }).click();
    const message = page.getByLabel('Message');
    await message.fill('Hello Fay,\n\nBest wishes');
    await message.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(12, 12));
    await page.getByRole('button', { name: 'Insert FAQ link' }).click();
    const dialog = page.getByRole('dialog', { name: 'Insert a FAQ link' });
    await dialog.getByLabel('Search FAQ articles').fill('password');
    const pick = dialog.getByRole('button', { name: new RegExp(TITLE.replace('?', '\\?')) });
    await pick.waitFor();
    // Only published articles: the draft about passwords is not offered.
    await expect.poll(() => dialog.getByRole('listitem').count()).toBe(1);
    await screenshot(page, 'faq-link-picker');
    await expectAccessible(page, 'FAQ link picker');
    await pick.click();
    await dialog.waitFor({ state: 'hidden' });
    const url = articleUrl;
    await expect.poll(() => message.inputValue()).toBe(`Hello Fay,\n\n${TITLE}: ${url}Best wishes`);

    await page.getByRole('button', { name: 'Send reply' }).click();
    await expect
      .poll(async () => {
        const f = await server.admin.ok<{ items: { body: string }[] }>('GET', `/api/v1/cases/${caseId}/follow-ups`);
        return f.items.some((x) => x.body.includes(url));
      })
      .toBe(true);
    expect(pageErrors).toEqual([]);
    expect(errors).toEqual([]);
  }, 90_000);
});
