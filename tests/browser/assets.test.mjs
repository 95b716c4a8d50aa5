// Assets in the browser: the dispatcher (wang.fang) imports a CSV of devices for 华东精密制造: the
// preview shows, row by row, what will be created and what is rejected and why; she imports the
// valid rows only and finds them in the registry; the registry exports as CSV. One server (demo
// data) and one browser for the file.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD, clickAndWait, launch, login, startServer, withPage } from './harness.mjs';

let server;
let browser;
let tmp;

before(
  async () => {
    tmp = mkdtempSync(join(tmpdir(), 'weihu-import-'));
    server = await startServer();
    browser = await launch();
  },
  { timeout: 150_000 },
);

after(
  async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  },
  { timeout: 30_000 },
);

test('import preview → import the valid rows → export', { timeout: 120_000 }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'wang.fang', DEMO_PASSWORD);
    await page.goto('/assets');
    const csv = join(tmp, 'devices.csv');
    writeFileSync(
      csv,
      '类型,资产标签,型号,位置,保修到期\n' +
        'desktop,BT-IMPORT-01,Dell OptiPlex 7010,财务部,2027-06-30\n' +
        'toaster,BT-IMPORT-02,,,\n' +
        'laptop,BT-IMPORT-03,ThinkPad T14,销售部,2027/12/31\n',
    );
    const form = page.locator('#import-form');
    await form.locator('select[name=client_org_id]').selectOption({ label: '华东精密制造有限公司' });
    await form.locator('input[type=file]').setInputFiles(csv);
    await clickAndWait(page, '#import-form button[data-action=preview]');
    const summary = await page.locator('[data-testid=import-summary]').innerText();
    assert.match(summary, /2/, `two rows to create: ${summary}`);
    const rejected = page.locator('[data-testid=import-rows] tr.import-reject');
    assert.equal(await rejected.count(), 1, 'one row rejected');
    assert.match(await rejected.innerText(), /asset_type/, 'the reason names the field');
    assert.equal(await page.locator('button[data-action=import-all]').count(), 0, 'not all rows can be imported');
    await clickAndWait(page, 'button[data-action=import-valid]');
    assert.equal(await page.locator('.flash.error').count(), 0, 'no error after importing');
    const table = page.locator('[data-testid=assets-table]');
    await page.goto('/assets?q=BT-IMPORT');
    assert.equal(await table.locator('tbody tr').count(), 2, 'the two valid devices are registered');
    assert.ok((await table.innerText()).includes('BT-IMPORT-03'));
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv]')]);
    const text = readFileSync(await dl.path(), 'utf8');
    assert.ok(text.includes('BT-IMPORT-01') && text.includes('2027-12-31'), 'the export has them');
  }),
);
