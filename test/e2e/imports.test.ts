import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  expectAccessible,
  launchBrowser,
  ROOT,
  screenshot,
  signedInPage,
  startServer,
  type E2EServer,
} from './harness.js';

/**
 * Admin → Import in the browser: a file dropped on the page, its columns
 * mapped (suggested), the preview, a dry run, the run with its progress bar,
 * the failed rows to download, and the import list.
 */
const DOCS = path.join(ROOT, 'docs', 'screenshots');

function peopleCsv(): string {
  const lines = ['Account Number,First Name,Last Name,E-mail Address,Mobile Phone,City,Loyalty'];
  for (let i = 1; i <= 1200; i++) {
    const email = i % 300 === 0 ? 'broken-address' : `person${i}@example.test`;
    lines.push(`E-${i},Person,Number ${i},${email},+1 415 555 ${String(1000 + i).slice(-4)},Springfield,gold`);
  }
  return lines.join('\n') + '\n';
}

async function shot(page: Page, name: string) {
  const file = await screenshot(page, name, true);
  if (process.env.UPDATE_DOCS_SCREENSHOTS) {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, path.join(DOCS, `${name}.png`));
  }
}

describe('Admin → Import (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    ({ page, errors } = await signedInPage(browser, server.url));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('drops a file, maps, previews, dry runs, imports with live progress and offers the failed rows', async () => {
    await page.goto(`${server.url}/admin/import`);
    await page.getByRole('heading', { name: 'Import', exact: true }).waitFor();
    // Drop the file on the drop zone, as a person dragging it from their desktop would.
    const csv = peopleCsv();
    const transfer = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'people.csv', { type: 'text/csv' }));
      return dt;
    }, csv);
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
    await page.getByRole('heading', { name: 'Customers from people.csv' }).waitFor();
    expect(await page.getByLabel('Field for E-mail Address').inputValue()).toBe('email');
    expect(await page.getByLabel('Field for Mobile Phone').inputValue()).toBe('phone');
    expect(await page.getByLabel('Phone type for Mobile Phone').inputValue()).toBe('mobile');
    expect(await page.getByLabel('Field for City').inputValue()).toBe('primaryAddress.city');
    await expect(page.getByText('Not imported: Loyalty').isVisible()).resolves.toBe(true);
    await expectAccessible(page, 'import mapping');

    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('table', { name: 'The first rows as they would be stored' });
    await preview.waitFor();
    expect(await preview.locator('tbody tr').count()).toBe(20);
    expect(await preview.locator('tbody tr').first().textContent()).toContain('create');
    await shot(page, 'import-mapping');

    await page.getByRole('button', { name: 'Dry run' }).click();
    const dry = page.getByTestId('dry-run');
    await dry.getByText('Dry run: completed').waitFor({ timeout: 60_000 });
    expect(await dry.textContent()).toContain('1,200 read · 1,196 created · 0 updated · 0 unchanged · 4 failed');

    await page.getByRole('button', { name: 'Start import' }).click();
    const run = page.getByTestId('run');
    await run.waitFor();
    await run.getByText('Import: completed').waitFor({ timeout: 120_000 });
    expect(await run.textContent()).toContain('1,200 read · 1,196 created · 0 updated · 0 unchanged · 4 failed');
    expect(await run.locator('progress').getAttribute('value')).toBe('1200');
    const link = run.getByRole('link', { name: /Download the 4 failed rows/ });
    const href = await link.getAttribute('href');
    const file = await page.evaluate(async (u) => (await fetch(u!)).text(), href);
    expect(file.replace(/^\ufeff/, '').split('\n')[0]).toBe(
      'Account Number,First Name,Last Name,E-mail Address,Mobile Phone,City,Loyalty,error',
    );
    expect(file).toContain('E-300,Person,Number 300,broken-address');
    await expectAccessible(page, 'import done');
    await shot(page, 'import-progress');

    const list = page.getByRole('table', { name: 'Every import' });
    expect(await list.locator('tbody tr').first().textContent()).toContain('people.csv');
    const customers = await server.admin.ok<{ items: unknown[] }>('GET', '/api/v1/customers?accountNumber=E-1');
    expect(customers.items).toHaveLength(1);
    expect(errors).toEqual([]);
  }, 240_000);

  it('a file that is not CSV is refused with its reason', async () => {
    await page.getByRole('button', { name: 'New import' }).click();
    await page.getByLabel('File to import').setInputFiles({
      name: 'book.xlsx',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]),
    });
    await page
      .getByRole('alert')
      .getByText(/Excel workbook/)
      .waitFor();
    expect(errors).toEqual([]);
  });
});
