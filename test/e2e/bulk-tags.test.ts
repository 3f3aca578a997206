import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessible, launchBrowser, screenshot, signedInPage, startServer, type E2EServer } from './harness.js';

interface Case {
  id: string;
  caseNumber: number;
  ownerId: string | null;
  tags: string[];
  status: string;
  priority: string;
}

describe('bulk actions and tags on the Cases list (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let me: { id: string; firstName: string; lastName: string };
  let customerId: string;
  const cases: Case[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    const customer = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
      firstName: 'Grace',
      lastName: 'Hopper',
    });
    customerId = customer.id;
    for (const subject of ['Moth in the relay', 'Compiler wanted', 'Nanosecond wire']) {
      cases.push(await server.admin.ok<Case>('POST', '/api/v1/cases', { customerId: customer.id, subject }));
    }
    me = await server.admin.ok<{ id: string; firstName: string; lastName: string }>('GET', '/api/v1/me');
    ({ page, errors } = await signedInPage(browser, server.url));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('selects two cases, assigns them and tags them in bulk; the tag filter then shows just them', async () => {
    await page.goto(`${server.url}/cases`);
    const filters = page.getByRole('search');
    await filters.getByLabel('Owner').selectOption('');
    await filters.getByLabel('Status').selectOption('open');
    await filters.getByLabel('Tags').fill('');
    for (const c of cases) await page.getByRole('link', { name: String(c.caseNumber), exact: true }).waitFor();

    await page.getByRole('checkbox', { name: `Select case ${cases[0].caseNumber}` }).check();
    await page.getByRole('checkbox', { name: `Select case ${cases[1].caseNumber}` }).check();
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByText('2 selected').waitFor();

    await bar.getByLabel('Assign to…').selectOption(me.id);
    await page.getByText(/^Assigned to .+: 2 of 2 cases changed$/).waitFor();
    // The bar goes away with the selection; select the same two again for the tag.
    await bar.waitFor({ state: 'detached' });
    await page.getByRole('checkbox', { name: `Select case ${cases[0].caseNumber}` }).check();
    await page.getByRole('checkbox', { name: `Select case ${cases[1].caseNumber}` }).check();
    await bar.getByLabel('Tag', { exact: true }).fill('Night Shift');
    await bar.getByRole('button', { name: 'Add tag' }).click();
    await page.getByText('Tag “night shift” added: 2 of 2 cases changed').waitFor();

    await filters.getByLabel('Tags').fill('night shift');
    await page.getByRole('link', { name: String(cases[2].caseNumber), exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: String(cases[0].caseNumber), exact: true }).waitFor();
    await page.getByRole('link', { name: String(cases[1].caseNumber), exact: true }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(2);
    expect(await page.locator('tbody .tag-chip', { hasText: 'night shift' }).count()).toBe(2);

    // Select-all on the page selects the two shown.
    await page.getByRole('checkbox', { name: 'Select all cases shown' }).check();
    await bar.getByText('2 selected').waitFor();
    await expectAccessible(page, 'cases bulk bar');
    await screenshot(page, 'cases-bulk-tags');
    await bar.getByRole('button', { name: 'Clear selection' }).click();

    for (const c of cases.slice(0, 2)) {
      const got = await server.admin.ok<Case>('GET', `/api/v1/cases/${c.id}`);
      expect(got).toMatchObject({ ownerId: me.id, tags: ['night shift'] });
    }
    expect((await server.admin.ok<Case>('GET', `/api/v1/cases/${cases[2].id}`)).tags).toEqual([]);

    // And off again, in bulk.
    await page.getByRole('checkbox', { name: 'Select all cases shown' }).check();
    await bar.getByLabel('Tag', { exact: true }).fill('Night shift');
    await bar.getByRole('button', { name: 'Remove tag' }).click();
    await page.getByText('Tag “night shift” removed: 2 of 2 cases changed').waitFor();
    for (const c of cases.slice(0, 2)) {
      expect((await server.admin.ok<Case>('GET', `/api/v1/cases/${c.id}`)).tags).toEqual([]);
    }
    expect(errors).toEqual([]);
  });

  it('edits tags as chips on the case screen and on the customer record', async () => {
    await page.goto(`${server.url}/cases/${cases[0].id}`);
    const tags = page.getByRole('group', { name: 'Case tags' });
    await tags.getByLabel('New tag').fill('Urgent');
    await tags.getByRole('button', { name: 'Add tag' }).click();
    await tags.getByText('urgent').waitFor();
    await tags.getByLabel('New tag').fill('Callback');
    await tags.getByRole('button', { name: 'Add tag' }).click();
    await tags.getByText('callback').waitFor();
    await tags.getByRole('button', { name: 'Remove tag urgent' }).click();
    await tags.getByText('urgent').waitFor({ state: 'detached' });
    expect((await server.admin.ok<Case>('GET', `/api/v1/cases/${cases[0].id}`)).tags).toEqual(['callback']);

    await page.getByRole('link', { name: /Grace Hopper/ }).click();
    const ctags = page.getByRole('group', { name: 'Customer tags' });
    await ctags.getByLabel('New tag').fill('Pioneer');
    await ctags.getByRole('button', { name: 'Add tag' }).click();
    await ctags.getByText('pioneer').waitFor();
    await expectAccessible(page, 'customer tags');
    await screenshot(page, 'customer-tags');

    // The Customers list filters by tag (another customer without it stays out).
    await server.admin.ok('POST', '/api/v1/customers', { firstName: 'Ada', lastName: 'Lovelace' });
    await page.getByRole('link', { name: 'Customers', exact: true }).click();
    await page.getByRole('search').getByLabel('Tags').fill('pioneer');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.locator('tbody tr', { hasText: 'Hopper' }).waitFor();
    expect(errors).toEqual([]);
  });
  it('sets the status and the priority of the selected cases in bulk, all or nothing', async () => {
    const more: Case[] = [];
    for (const subject of ['Punch card jam', 'Tape drive stuck', 'Vacuum tube out', 'Core memory fault']) {
      more.push(await server.admin.ok<Case>('POST', '/api/v1/cases', { customerId, subject }));
    }
    const [a, b, c, d] = more;
    await page.goto(`${server.url}/cases`);
    const filters = page.getByRole('search');
    await filters.getByLabel('Owner').selectOption('');
    await filters.getByLabel('Status').selectOption('open');
    await filters.getByLabel('Tags').fill('');
    await filters.getByLabel('Search').fill('');
    const row = (k: Case) =>
      page.locator('tbody tr', { has: page.getByRole('link', { name: String(k.caseNumber), exact: true }) });
    for (const k of more) await row(k).waitFor();
    const select = async (...ks: Case[]) => {
      for (const k of ks) await page.getByRole('checkbox', { name: `Select case ${k.caseNumber}` }).check();
    };
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    const get = (k: Case) => server.admin.ok<Case>('GET', `/api/v1/cases/${k.id}`);

    // Priority: the two selected become High, the list shows it, the others keep theirs.
    await select(a, b);
    await bar.getByText('2 selected').waitFor();
    await bar.getByLabel('Priority').selectOption('high');
    await page.getByText('Priority set: 2 of 2 cases changed').waitFor();
    await bar.waitFor({ state: 'detached' });
    for (const k of [a, b]) {
      await row(k).locator('td[data-label="Priority"]', { hasText: 'High' }).waitFor();
      expect((await get(k)).priority).toBe('high');
    }
    expect((await get(c)).priority).toBe('normal');

    // Status: the same two are closed.
    await select(a, b);
    await bar.getByLabel('Status').selectOption('closed');
    await page.getByText('Status set: 2 of 2 cases changed').waitFor();
    for (const k of [a, b]) {
      await row(k).locator('td[data-label="Status"]', { hasText: 'Closed' }).waitFor();
      expect((await get(k)).status).toBe('closed');
    }
    expect((await get(c)).status).toBe('open');

    // All or nothing: one of the selected cases is deleted meanwhile; the bar says which, nothing changes.
    await select(c, d);
    await server.admin.ok('DELETE', `/api/v1/cases/${d.id}`);
    await bar.getByLabel('Priority').selectOption('urgent');
    const alert = bar.getByRole('alert');
    await alert.waitFor();
    // Named by the number people see, not the internal id, with the reason in words.
    expect(await alert.textContent()).toBe(
      `Case ${d.caseNumber} could not be changed: Case was not found. None of the selected cases was changed.`,
    );
    expect(await alert.textContent()).not.toContain(d.id);
    expect((await get(c)).priority).toBe('normal');
    await bar.getByText('2 selected').waitFor();
    await expectAccessible(page, 'cases bulk bar with an error');
    await screenshot(page, 'cases-bulk-error');
    await bar.getByRole('button', { name: 'Clear selection' }).click();
    await bar.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  });
});
