// Forms and words (issue #13): a client reports a fault on a 390 × 844 phone with a photo and the
// device from its own registry; a refused report says why next to the field in the reader's
// language and keeps what was typed; the service-level manager edits a calendar's hours and an
// SLA policy's targets in real forms (the JSON stays for import and export).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD, clickAndWait, launch, login, pathOf, startServer, switchLanguage, withPage } from './harness.mjs';

const TEST_TIMEOUT_MS = 120_000;

// A 1 × 1 PNG, as a phone's camera would hand over a (much larger) JPEG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

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

async function expectNoError(page, what) {
  const err = page.locator('.flash.error, .field-error');
  if ((await err.count()) > 0) assert.fail(`${what}: the page shows an error: ${await err.first().innerText()}`);
}

test('on a phone a client reports a fault with a photo and its device', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await login(page, 'zhou.jg', DEMO_PASSWORD);
    await page.goto('/orders/new');
    const form = page.locator('#order-form');
    assert.equal(await form.getAttribute('enctype'), 'multipart/form-data');
    const files = form.locator('[data-testid=report-files]');
    assert.match((await files.getAttribute('accept')) ?? '', /image\/\*/, 'the phone offers its camera');
    await form.locator('input[name=subject]').fill('前台电脑无法开机');
    await form.locator('textarea[name=description]').fill('按电源键无反应，指示灯不亮。');
    const device = form.locator('[data-testid=report-device]');
    const options = await device.locator('option').count();
    assert.ok(options > 1, 'the client picks from its own registry');
    await device.selectOption({ index: 1 });
    const deviceText = (await device.locator('option').nth(1).innerText()).split(' · ')[0];
    await files.setInputFiles([
      { name: 'photo.png', mimeType: 'image/png', buffer: PNG },
      { name: 'log.txt', mimeType: 'text/plain', buffer: Buffer.from('2026-12-01 power fault\n') },
    ]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the form fits the phone (${overflow}px)`);
    await clickAndWait(page, '#order-form button[type=submit]');
    await expectNoError(page, 'reporting');
    assert.match(pathOf(page), /^\/orders\/\d+$/);
    assert.match(await page.locator('.flash.ok').innerText(), /SO-\d{4}-\d+/, 'the confirmation names the number');
    const attachments = page.locator('[data-testid=attachments]');
    assert.match(await attachments.innerText(), /photo\.png/);
    assert.match(await attachments.innerText(), /log\.txt/);
    assert.equal(await attachments.locator('img.thumb').count(), 1, 'the photo shows');
    assert.match(await page.locator('body').innerText(), new RegExp(deviceText), 'the device is on the order');
  }),
);

test('a refused report says why next to the field, in English, and keeps what was typed', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'wu.li', DEMO_PASSWORD);
    await switchLanguage(page, 'en');
    await page.goto('/orders/new');
    const form = page.locator('#order-form');
    await form.locator('input[name=subject]').fill('Scanner jams');
    await form.locator('textarea[name=description]').fill('Every third page jams.');
    await form.locator('input[name=site]').fill('3F copy room');
    // Bytes that are no image, sent as one: the whole report is refused before anything is written.
    await form.locator('[data-testid=report-files]').setInputFiles([
      { name: 'scan.png', mimeType: 'image/png', buffer: Buffer.from([0, 1, 2, 3, 0, 255, 7]) },
    ]);
    const before = await page.evaluate(async () => (await (await fetch('/api/v1/orders?limit=1')).json()).total);
    await clickAndWait(page, '#order-form button[type=submit]');
    const err = page.locator('[data-error-for=file]');
    assert.equal(await err.count(), 1, 'the refusal stands next to the files');
    assert.match(await err.innerText(), /only images/i);
    assert.equal(await page.locator('input[name=subject]').inputValue(), 'Scanner jams');
    assert.equal(await page.locator('textarea[name=description]').inputValue(), 'Every third page jams.');
    assert.equal(await page.locator('input[name=site]').inputValue(), '3F copy room');
    const after = await page.evaluate(async () => (await (await fetch('/api/v1/orders?limit=1')).json()).total);
    assert.equal(after, before, 'no order was written');
  }),
);

test('the service-level manager edits a calendar and an SLA policy in forms', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'zhao.min', DEMO_PASSWORD);
    await page.goto('/calendars');
    await clickAndWait(page, 'a:text-is("7×24 机房")');
    const calPath = pathOf(page);
    const cal = page.locator('[data-testid=calendar-form]');
    assert.equal(await cal.locator('[data-testid=week-sat]').inputValue(), '00:00-24:00');
    // Saturday becomes a half day; a bad entry first is refused naming the weekday, in Chinese.
    await cal.locator('[data-testid=week-sat]').fill('九点到十二点');
    await clickAndWait(page, '[data-testid=calendar-form] button.primary');
    assert.match(await page.locator('.flash.error').innerText(), /周六：时段写作/);
    await page.locator('[data-testid=calendar-form] [data-testid=week-sat]').fill('09:00-12:00');
    await page.locator('[data-testid=calendar-form] textarea[name=holidays]').fill('2026-12-25 圣诞停机检修');
    await clickAndWait(page, '[data-testid=calendar-form] button.primary');
    await expectNoError(page, 'saving the calendar');
    assert.equal(pathOf(page), calPath);
    await page.goto(`${calPath}?month=2026-12`);
    const day = (d) => page.locator('.month .day:not(.other)').nth(d - 1);
    assert.match(await day(5).innerText(), /09:00–12:00/, 'Saturday 5 December is a half day');
    assert.match(await day(25).innerText(), /圣诞停机检修/, 'the holiday is on the month');

    // The default policy is in force: P1 resolution in hours is proposed as a change request,
    // assessed, approved and implemented, and only then is it the policy's new version.
    await page.goto('/sla-policies');
    await clickAndWait(page, 'a:has-text("标准 SLA")');
    const policyPath = pathOf(page);
    assert.match(await page.locator('[data-testid=policy-in-force]').innerText(), /变更申请/);
    const policy = page.locator('[data-testid=policy-form]');
    assert.equal(await policy.locator('[data-testid=target-P1-resolution]').inputValue(), '120');
    await policy.locator('[data-testid=target-P1-resolution]').fill('3h');
    await policy.locator('input[name=note]').fill('P1 放宽到 3 小时');
    await clickAndWait(page, '[data-testid=policy-form] button.primary');
    await expectNoError(page, 'proposing the policy change');
    assert.match(pathOf(page), /^\/changes\/\d+$/, 'the proposal is a change request');
    assert.equal(await page.locator('[data-testid=change-state]').innerText(), '已提出');
    assert.match(await page.locator('[data-testid=change-proposal]').textContent(), /"minutes": 180/);
    await page.goto(policyPath);
    assert.doesNotMatch(await page.locator('h1').innerText(), /v2/, 'nothing changed yet');
    await page.goBack();
    const steps = page.locator('[data-testid=change-steps]');
    await steps.locator('textarea[name=impact]').fill('新建 P1 工单的解决时限');
    await steps.locator('textarea[name=rollback]').fill('再发布上一版本');
    await clickAndWait(page, '[data-action=assess]');
    await clickAndWait(page, '[data-action=approve]');
    assert.equal(await page.locator('[data-testid=change-state]').innerText(), '已批准');
    await clickAndWait(page, '[data-action=implement]');
    assert.equal(await page.locator('[data-testid=change-state]').innerText(), '已实施');
    await page.goto(policyPath);
    assert.match(await page.locator('h1').innerText(), /v2/);
    assert.match(await page.locator('table').first().innerText(), /3 h/);
    assert.match(await page.locator('body').innerText(), /P1 放宽到 3 小时/);
  }),
);

test('on a phone the board sorts without its table headers', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await login(page, 'wang.fang', DEMO_PASSWORD);
    await page.goto('/orders?scope=all');
    const sort = page.locator('[data-testid=board-sort]');
    assert.ok(await sort.isVisible(), 'the sort is offered on the phone');
    await sort.selectOption('-created_at');
    await clickAndWait(page, '#board-filters button');
    assert.equal(new URL(page.url()).searchParams.get('sort'), '-created_at');
    assert.equal(await page.locator('[data-testid=board-sort]').inputValue(), '-created_at', 'the pick is kept');
    const first = await page.locator('[data-testid=orders-table] tbody .order-no a').first().innerText();
    const newest = await page.evaluate(async () => (await (await fetch('/api/v1/orders?sort=-created_at&limit=1')).json()).items[0].number);
    assert.equal(first, newest, 'newest first');
  }),
);
