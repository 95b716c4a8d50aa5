// Service levels in the browser: the calendar month view (holidays and make-up days of China's
// 2026 plan), the SLA calculator, and a client kept out of provider configuration. One server
// (demo data) and one browser for the file; every test gets its own browser context.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD, clickAndWait, launch, login, pathOf, startServer, withPage } from './harness.mjs';

const TEST_TIMEOUT_MS = 90_000;

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

/** The cell of day `n` of the shown month (not the greyed days of the months around it). */
function dayCell(page, n) {
  return page
    .locator('.month .day:not(.other)')
    .filter({ has: page.locator('b', { hasText: new RegExp(`^${n}$`) }) });
}

async function classesOf(locator) {
  return ((await locator.getAttribute('class')) ?? '').split(/\s+/);
}

test('a service level manager sees October 2026 holidays and the make-up day on 中国 5×8', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'zhao.min', DEMO_PASSWORD);
    const list = await page.goto('/calendars');
    assert.equal(list?.status(), 200, 'GET /calendars as zhao.min');
    for (const name of ['中国 5×8', '中国 5×8 全天', '7×24 机房']) {
      assert.equal(
        await page.getByRole('link', { name, exact: true }).count(),
        1,
        `/calendars lists ${name}`,
      );
    }
    await clickAndWait(page, 'a:text-is("中国 5×8")');
    assert.match(pathOf(page), /^\/calendars\/\d+$/, 'the link opens the calendar');
    assert.match((await page.locator('h1').innerText()).trim(), /^中国 5×8\s+Asia\/Shanghai$/, 'the heading names the calendar and its zone');

    const detail = pathOf(page);
    const resp = await page.goto(`${detail}?month=2026-10`);
    assert.equal(resp?.status(), 200, `GET ${detail}?month=2026-10`);
    assert.equal((await page.locator('[data-testid=month]').innerText()).trim(), '2026-10');
    assert.equal(await page.locator('.month .day:not(.other)').count(), 31, 'October has 31 day cells');

    for (let d = 1; d <= 7; d++) {
      const cell = dayCell(page, d);
      assert.equal(await cell.count(), 1, `one cell for October ${d}`);
      assert.ok((await classesOf(cell)).includes('holiday'), `October ${d} is marked .holiday`);
    }
    const oct1 = dayCell(page, 1);
    assert.match(await oct1.innerText(), /国庆节/, 'October 1 is labelled 国庆节');
    assert.ok((await page.locator('.month .day.holiday:not(.other)', { hasText: '国庆节' }).count()) >= 1, '.day.holiday containing 国庆节');

    const oct10 = dayCell(page, 10);
    const classes10 = await classesOf(oct10);
    assert.ok(classes10.includes('workday'), `October 10 (a Saturday) is a make-up day; classes ${classes10}`);
    assert.match(await oct10.innerText(), /08:30–12:00/, 'the make-up day has Monday’s hours');

    const oct8 = dayCell(page, 8);
    assert.ok((await classesOf(oct8)).includes('open'), 'October 8 is an ordinary working day');
    const oct11 = dayCell(page, 11);
    assert.ok((await classesOf(oct11)).includes('closed'), 'Sunday October 11 has no service');
  }),
);

test('the SLA calculator gives P2 and a resolution due on 2026-10-08 for a start before the National Day holidays', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'zhao.min', DEMO_PASSWORD);
    const resp = await page.goto('/sla/calculator');
    assert.equal(resp?.status(), 200, 'GET /sla/calculator');
    assert.equal(await page.locator('[data-testid=calc-result]').count(), 0, 'no result before submitting');
    const selected = await page.locator('#calc-form select[name=policy] option:checked').innerText();
    assert.match(selected, /标准 SLA（5×8）/, 'the default policy is preselected');

    await page.selectOption('#calc-form select[name=urgency]', 'high');
    await page.selectOption('#calc-form select[name=impact]', 'medium');
    await page.fill('#calc-form input[name=start]', '2026-09-30T15:00');
    await clickAndWait(page, '#calc-form button');

    const result = page.locator('[data-testid=calc-result]');
    assert.equal(await result.count(), 1, `a result after submitting; page text: ${await page.locator('main, body').first().innerText()}`);
    assert.match(await result.locator('h2').innerText(), /^P2\b/, 'high urgency × medium impact is P2');
    const rows = result.locator('tbody tr');
    assert.equal(await rows.count(), 3, 'response, arrival and resolution');
    const resolution = rows.filter({ hasText: '解决' });
    assert.equal(await resolution.count(), 1, 'a resolution row');
    const due = resolution.locator('strong');
    assert.match(await due.innerText(), /2026-10-08/, 'resolution due on 2026-10-08');
    assert.equal(await due.getAttribute('title'), '2026-10-08T11:00:00+08:00', '240 business minutes: Wed 15–17, then Thu Oct 8 09–11');
    assert.match(await resolution.innerText(), /240/, 'P2 resolution target is 240 minutes');
    // The form keeps what was asked.
    assert.equal(await page.locator('#calc-form select[name=urgency]').inputValue(), 'high');
    assert.equal(await page.locator('#calc-form select[name=impact]').inputValue(), 'medium');
    assert.equal(await page.locator('#calc-form input[name=start]').inputValue(), '2026-09-30T15:00');
  }),
);

test('a client user opening /calendars gets a 403 page without calendar names', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'wu.li', DEMO_PASSWORD);
    assert.equal(pathOf(page), '/portal', 'wu.li lands on the portal');
    for (const path of ['/calendars', '/sla-policies', '/sla/calculator']) {
      const resp = await page.goto(path);
      assert.equal(resp?.status(), 403, `GET ${path} as a client user`);
      const html = await page.content();
      for (const name of ['中国 5×8', '7×24 机房', '标准 SLA']) {
        assert.ok(!html.includes(name), `${path} as a client must not show ${name}`);
      }
      assert.match(await page.locator('body').innerText(), /无权操作/, `${path}: the 403 page says 无权操作`);
    }
  }),
);

test(
  'the SLA calculator refuses a start it cannot read',
  { timeout: TEST_TIMEOUT_MS },
  (t) =>
    withPage(t, browser, server, async (page) => {
      await login(page, 'zhao.min', DEMO_PASSWORD);
      await page.goto('/sla/calculator');
      const policy = await page.locator('#calc-form select[name=policy]').inputValue();
      const resp = await page.goto(`/sla/calculator?policy=${policy}&urgency=high&impact=medium&start=garbage`);
      assert.ok((resp?.status() ?? 0) < 500, 'no server error');
      assert.equal(await page.locator('[data-testid=calc-result]').count(), 0, 'no result for an unreadable start');
      assert.match(await page.locator('[role=alert]').innerText(), /开始|start/i, 'the error names the start, in the reader\'s language');
    }),
);
