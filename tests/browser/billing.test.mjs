// Statements in the browser: finance (liu.yang) reviews and issues the demo's draft statement of
// 明德律师事务所 for last month; the client admin (zheng.ya) finds it in the portal and downloads
// it as PDF and Excel. One server (demo data) and one browser for the file.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEMO_PASSWORD, clickAndWait, launch, login, startServer, withPage } from './harness.mjs';

const TEST_TIMEOUT_MS = 120_000;
const CONTRACT = 'HT-MDLS-2026';

let server;
let browser;

before(
  async () => {
    server = await startServer();
    browser = await launch();
  },
  { timeout: 150_000 },
);

after(
  async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  },
  { timeout: 30_000 },
);

function lastMonth() {
  // The demo's month is the calendar month before today in Shanghai.
  const now = new Date(Date.now() + 8 * 3600 * 1000);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth(); // 0-based: this is last month's 1-based number
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
}

async function expectNoError(page, what) {
  const err = page.locator('.flash.error');
  if ((await err.count()) > 0) assert.fail(`${what}: the page shows an error: ${await err.first().innerText()}`);
}

test('finance reviews and issues a statement; the client admin downloads it', { timeout: TEST_TIMEOUT_MS * 2 }, async (t) => {
  let path;
  let number;
  await t.test('liu.yang reviews and issues the draft', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'liu.yang', DEMO_PASSWORD);
      await page.goto(`/statements?month=${lastMonth()}`);
      const row = page.locator('[data-testid=statements-table] tr', { hasText: CONTRACT });
      assert.equal(await row.count(), 1, 'the draft of the MDLS contract is listed');
      path = await row.locator('a').first().getAttribute('href');
      await page.goto(path);
      assert.equal((await page.locator('[data-testid=statement-state]').innerText()).trim(), '草稿');
      const total = (await page.locator('[data-testid=statement-total]').innerText()).trim();
      // Two regular visits: a PC (200) and a server (500).
      assert.equal(total, '700.00', 'per-visit pricing by category');
      await clickAndWait(page, 'button[data-action=review]');
      await expectNoError(page, 'review');
      assert.equal((await page.locator('[data-testid=statement-state]').innerText()).trim(), '已审核');
      await clickAndWait(page, 'button[data-action=issue]');
      await expectNoError(page, 'issue');
      assert.equal((await page.locator('[data-testid=statement-state]').innerText()).trim(), '已开具');
      number = (await page.locator('h1').innerText()).match(/ST-\d{4}-\d{6}/)?.[0];
      assert.ok(number, 'the issued statement has a number');
    }),
  );
  assert.ok(path && number);

  await t.test('zheng.ya finds it and downloads the PDF and the Excel file', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'zheng.ya', DEMO_PASSWORD);
      await page.goto('/statements');
      const link = page.locator('[data-testid=statements-table] a', { hasText: number });
      assert.equal(await link.count(), 1, 'the client admin sees the issued statement');
      await clickAndWait(page, `[data-testid=statements-table] a:has-text("${number}")`);
      assert.equal(await page.locator('button[data-action=issue]').count(), 0, 'the client cannot issue');
      const [pdf] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=statement-pdf]')]);
      const pdfBytes = readFileSync(await pdf.path());
      assert.equal(pdfBytes.subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF downloads');
      assert.ok(pdfBytes.length > 2000, `a real PDF (${pdfBytes.length} bytes)`);
      const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=statement-xlsx]')]);
      const xlsxBytes = readFileSync(await xlsx.path());
      assert.equal(xlsxBytes.subarray(0, 2).toString('latin1'), 'PK', 'an Excel (zip) file downloads');
      assert.match(xlsx.suggestedFilename(), /^ST-\d{4}-\d{6}\.xlsx$/);
    }),
  );
});
