// The monthly service-level report (issue #14) in the browser: the service-level manager finds
// last month's draft (made as the month-end job would), reads its headline figures and the
// server-drawn charts, publishes it with a summary; the client's administrator is notified, finds
// it on the portal, reads it as issued and downloads the PDF, without the provider's controls.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD, clickAndWait, launch, login, logout, pathOf, startServer, withPage } from './harness.mjs';

const TEST_TIMEOUT_MS = 150_000;

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
  // The server and the demo read months in Asia/Shanghai.
  const now = new Date(Date.now() + 8 * 3600 * 1000);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
}

async function expectNoError(page, what) {
  const err = page.locator('.flash.error');
  if ((await err.count()) > 0) assert.fail(`${what}: the page shows an error: ${await err.first().innerText()}`);
}

test('a report is published by the service-level manager and read by the client administrator', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    const month = lastMonth();
    await login(page, 'zhao.min', DEMO_PASSWORD);
    await clickAndWait(page, 'nav a[href="/service-levels"]');
    await clickAndWait(page, 'nav.tabs a[href="/reports"]');
    const hdjm = await page.evaluate(async () => {
      const orgs = await (await fetch('/api/v1/organizations?limit=500')).json();
      return orgs.items.find((o) => o.code === 'HDJM').id;
    });
    // The demo drafted last month's reports; HDJM's is among them.
    const row = page.locator('[data-testid=reports-table] tr', { hasText: '华东精密' }).filter({ hasText: month });
    assert.equal(await row.count(), 1, `HDJM's ${month} draft is listed`);
    assert.match(await row.innerText(), /草稿/);
    await clickAndWait(page, `[data-testid=reports-table] tr:has-text("华东精密") a[data-testid=report-link]`);
    assert.equal(pathOf(page), '/reports/service-level');
    assert.match(await page.locator('[data-testid=report-state]').innerText(), /草稿/);
    // Headline tiles and four charts drawn on the server as SVG (no chart script).
    assert.ok((await page.locator('[data-testid=report-headline] .tile').count()) >= 5);
    assert.equal(await page.locator('[data-testid=report-charts] svg').count(), 4);
    const bars = await page.locator('[data-testid=report-charts] svg').first().locator('rect').count();
    assert.ok(bars > 1, `the availability chart has bars (${bars})`);
    // The demo's network outage of last month missed its target: a red row in the first table.
    const availability = page.locator('[data-testid=report-section]').first();
    assert.match(await availability.innerText(), /可用性/);
    assert.ok((await availability.locator('tr.missed').count()) >= 1, 'a missed target is marked');

    await page.locator('[data-testid=report-summary]').fill('上月网络中断 95 分钟，核心交换机电源已更换。');
    await clickAndWait(page, 'button[data-action=publish-report]');
    await expectNoError(page, 'publishing');
    assert.match(await page.locator('[data-testid=report-state]').innerText(), /已发布/);
    assert.equal(await page.locator('[data-testid=publish-report]').count(), 0, 'published once');
    assert.match(await page.locator('[data-testid=report-summary-text]').innerText(), /95 分钟/);
    await logout(page);

    // The client's administrator: the portal lists it, the page reads it as issued.
    await login(page, 'zhou.jg', DEMO_PASSWORD);
    assert.equal(pathOf(page), '/portal');
    const link = page.locator('[data-testid=portal-report]', { hasText: month });
    assert.equal(await link.count(), 1, 'the portal lists the published report');
    await clickAndWait(page, `[data-testid=portal-report]:has-text("${month}")`);
    assert.match(await page.locator('[data-testid=report-state]').innerText(), /已发布/);
    assert.match(await page.locator('[data-testid=report-summary-text]').innerText(), /核心交换机/);
    assert.equal(await page.locator('[data-testid=report-charts] svg').count(), 4);
    assert.equal(await page.locator('[data-testid=publish-report], [data-testid=draft-this]').count(), 0, 'no provider controls');
    const pdf = await page.evaluate(async (href) => {
      const r = await fetch(href);
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), head: String.fromCharCode(...b.slice(0, 4)) };
    }, await page.locator('[data-testid=report-pdf]').getAttribute('href'));
    assert.deepEqual(pdf, { status: 200, type: 'application/pdf', head: '%PDF' });
    const notes = await page.evaluate(async () => (await (await fetch('/api/v1/notifications')).json()));
    const list = Array.isArray(notes) ? notes : notes.items;
    assert.ok(list.some((n) => n.kind === 'report_published'), 'notified');
    // Another client's report, asked for by id or by month, is not there.
    const other = await page.evaluate(async (m) => {
      const orgs = await (await fetch('/api/v1/organizations?limit=500')).json();
      const foreign = (orgs.items || []).find((o) => o.code === 'JNYY');
      const byMonth = await fetch(`/api/v1/reports/service-level?client_org_id=${foreign ? foreign.id : 999999}&month=${m}`);
      return byMonth.status;
    }, month);
    assert.equal(other, 404);
    // HDJM's own id asked by the provider's path still works only for its month.
    const own = await page.evaluate(async (c) => (await fetch(`/reports/service-level?client=${c}`)).status, hdjm);
    assert.equal(own, 200);
  }),
);
