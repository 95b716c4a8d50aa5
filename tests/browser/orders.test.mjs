// Service orders in the browser: a client user reports a fault from the portal, the dispatcher
// assigns it from the board, the engineer starts and resolves it, the client confirms it; the
// timeline shows every step (internal ones to the staff only). And a client never opens another
// client's order. One server (demo data) and one browser for the file; every actor gets its own
// browser context (own cookies).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD, clickAndWait, launch, login, pathOf, startServer, withPage } from './harness.mjs';

const TEST_TIMEOUT_MS = 120_000;
const SUBJECT = '打印机无法打印';
const RESOLUTION = '更换硒鼓并清理进纸轮，测试打印正常。';

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

async function stateText(page) {
  return (await page.locator('[data-testid=order-state]').innerText()).trim();
}

/** The timeline entries' texts. */
async function timeline(page) {
  return (await page.locator('[data-testid=timeline] li').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
}

/** No error flash on the page (a refused form comes back with `?error=`). */
async function expectNoError(page, what) {
  const err = page.locator('.flash.error');
  if ((await err.count()) > 0) assert.fail(`${what}: the page shows an error: ${await err.first().innerText()}`);
  assert.ok(!new URL(page.url()).searchParams.has('error'), `${what}: no ?error= in ${page.url()}`);
}

/** Open the order at `path` and check its number and state. */
async function openOrder(page, path, number, state) {
  const resp = await page.goto(path);
  assert.equal(resp?.status(), 200, `GET ${path}`);
  assert.equal((await page.locator('[data-testid=order-number]').innerText()).trim(), number);
  if (state) assert.equal(await stateText(page), state, `the order is ${state}`);
}

test('a fault from the portal to closed: report, assign, start, resolve, confirm', { timeout: TEST_TIMEOUT_MS * 2 }, async (t) => {
  let orderPath;
  let number;

  await t.test('wu.li reports the fault from the portal', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'wu.li', DEMO_PASSWORD);
      assert.equal(pathOf(page), '/portal', 'the client user lands on the portal');
      await clickAndWait(page, '[data-testid=report-fault]');
      assert.equal(pathOf(page), '/orders/new');
      const form = page.locator('#order-form');
      assert.equal(await form.locator('select[name=client_org_id]').count(), 0, 'a client picks no client');
      await form.locator('input[name=subject]').fill(SUBJECT);
      await form.locator('textarea[name=description]').fill('财务部 HP 打印机提示卡纸。');
      await form.locator('select[name=category]').selectOption('peripheral');
      await form.locator('select[name=urgency]').selectOption('high');
      await form.locator('select[name=impact]').selectOption('medium');
      await clickAndWait(page, '#order-form button[type=submit]');
      await expectNoError(page, 'submitting the report');
      assert.match(pathOf(page), /^\/orders\/\d+$/, 'the report opens the new order');
      orderPath = pathOf(page);
      number = (await page.locator('[data-testid=order-number]').innerText()).trim();
      assert.match(number, /^SO-\d{4}-\d{6}$/, 'an order number SO-YYYY-NNNNNN');
      assert.equal(await stateText(page), '新建');
      assert.match(await page.locator('h1').innerText(), new RegExp(`P2\\s+${SUBJECT}`), 'high × medium is P2');
      assert.equal(await page.locator('[data-testid=clock-response]').count(), 1, 'the response clock shows');
      assert.equal(await page.locator('[data-testid=clock-resolution]').count(), 1, 'the resolution clock shows');
      // The client may only withdraw a new order.
      assert.equal(await page.locator('button[data-action=assign]').count(), 0, 'a client cannot assign');
      assert.equal(await page.locator('button[data-action=close]').count(), 0, 'nothing to confirm yet');
      // The portal lists it.
      await page.goto('/portal');
      assert.ok(
        (await page.locator('main, body').first().innerText()).includes(number),
        `the portal lists ${number}`,
      );
    }),
  );
  assert.ok(orderPath, 'the order was created');

  await t.test('wang.fang finds it on the board and assigns it to 李强', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'wang.fang', DEMO_PASSWORD);
      const resp = await page.goto('/orders');
      assert.equal(resp?.status(), 200, 'GET /orders');
      const row = page.locator('[data-testid=orders-table] tbody tr', { hasText: number });
      assert.equal(await row.count(), 1, `the board lists ${number} once`);
      assert.ok((await row.innerText()).includes(SUBJECT), 'the row shows the subject');
      assert.ok((await row.innerText()).includes('新建'), 'the row shows the state');
      await clickAndWait(page, `[data-testid=orders-table] a:text-is("${number}")`);
      assert.equal(pathOf(page), orderPath, 'the number links to the order');

      const assign = page.locator('form', { has: page.locator('button[data-action=assign]') });
      await assign.locator('select[name=assignee_id]').selectOption({ label: '李强' });
      await clickAndWait(page, 'button[data-action=assign]');
      await expectNoError(page, 'assigning');
      assert.equal(pathOf(page), orderPath);
      assert.equal(await stateText(page), '已派单');
      assert.ok((await page.locator('.kv').first().innerText()).includes('李强'), 'the assignee shows');
      assert.equal(await page.locator('button[data-action=close]').count(), 0, 'the desk never confirms');
    }),
  );

  await t.test('li.qiang starts and resolves it', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'li.qiang', DEMO_PASSWORD);
      await openOrder(page, orderPath, number, '已派单');
      await clickAndWait(page, 'button[data-action=start]');
      await expectNoError(page, 'starting');
      assert.equal(await stateText(page), '处理中');
      assert.equal(
        await page.locator('[data-testid=clock-response] .clock.met').count(),
        1,
        'acceptance meets the response clock',
      );
      const resolve = page.locator('form', { has: page.locator('button[data-action=resolve]') });
      await resolve.locator('textarea[name=resolution]').fill(RESOLUTION);
      await clickAndWait(page, 'button[data-action=resolve]');
      await expectNoError(page, 'resolving');
      assert.equal(await stateText(page), '已解决');
      assert.ok((await page.locator('body').innerText()).includes(RESOLUTION), 'the resolution shows');
      assert.equal(await page.locator('button[data-action=close]').count(), 0, 'the engineer never confirms');
    }),
  );

  await t.test('wu.li sees it resolved and confirms it', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'wu.li', DEMO_PASSWORD);
      await openOrder(page, orderPath, number, '已解决');
      await clickAndWait(page, 'button[data-action=close]');
      await expectNoError(page, 'confirming');
      assert.equal(await stateText(page), '已关闭');
      assert.equal(await page.locator('[data-testid=order-actions] button').count(), 0, 'a closed order offers no moves');

      const steps = await timeline(page);
      for (const [label, what] of [
        ['报修', 'created'],
        ['开始处理', 'start'],
        ['已解决', 'resolve'],
        ['已关闭', 'close'],
      ]) {
        assert.ok(steps.some((s) => s.includes(label)), `the client's timeline shows ${what} (${label}): ${JSON.stringify(steps)}`);
      }
      assert.ok(steps.some((s) => s.includes(RESOLUTION)), 'the resolve step carries the resolution');
      assert.ok(!steps.some((s) => /派单/.test(s)), `the assignment is internal: ${JSON.stringify(steps)}`);
      const order = ['报修', '开始处理', '已解决', '已关闭'].map((l) => steps.findIndex((s) => s.includes(l)));
      assert.deepEqual([...order].sort((a, b) => a - b), order, `oldest first: ${JSON.stringify(steps)}`);
    }),
  );

  await t.test('the dispatcher sees every step, the assignment too', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'wang.fang', DEMO_PASSWORD);
      await openOrder(page, orderPath, number, '已关闭');
      const steps = await timeline(page);
      assert.equal(steps.length, 5, `created, assign, start, resolve, close: ${JSON.stringify(steps)}`);
      for (const [i, label] of ['报修', '派单', '开始处理', '已解决', '已关闭'].entries()) {
        assert.ok(steps[i].includes(label), `step ${i + 1} is ${label}: ${JSON.stringify(steps)}`);
      }
      assert.ok(steps[0].includes('吴丽') && steps[1].includes('王芳') && steps[2].includes('李强'), 'each step names its actor');
    }),
  );
});

test('a client user cannot open another client\'s order', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const subject = 'HIS 数据库服务器磁盘告警'; // a demo order of 江南第一人民医院
  let path;
  await t.test('the dispatcher finds the hospital order', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'wang.fang', DEMO_PASSWORD);
      await page.goto(`/orders?scope=all&q=${encodeURIComponent('HIS')}`);
      const link = page.locator('[data-testid=orders-table] a', { hasText: subject });
      assert.equal(await link.count(), 1, `the board finds ${subject}`);
      path = await link.getAttribute('href');
      assert.match(path ?? '', /^\/orders\/\d+$/);
    }),
  );
  assert.ok(path, 'found the hospital order');

  await t.test('wu.li gets a 404 page', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'wu.li', DEMO_PASSWORD);
      const resp = await page.goto(path);
      assert.equal(resp?.status(), 404, `GET ${path} as wu.li`);
      const text = await page.locator('body').innerText();
      assert.ok(!text.includes(subject), 'the page tells nothing of the order');
      assert.ok(!text.includes('江南第一人民医院'), 'nor of the other client');
      assert.equal(await page.locator('[data-testid=order-number]').count(), 0);
      // Her board does not list it either, whatever she searches.
      await page.goto(`/orders?scope=all&q=${encodeURIComponent('HIS')}`);
      assert.equal(await page.locator('[data-testid=orders-table] tbody tr').count(), 0, 'her board finds nothing');
      // Nor can she move it.
      const csrf = await page.locator('form#logout-form input[name=csrf]').getAttribute('value');
      assert.ok(csrf, 'the page carries the session\'s CSRF token');
      const r = await page.request.post(`${path}/transition`, {
        form: { csrf, action: 'cancel', version: '1', reason: '试试' },
        maxRedirects: 0,
      });
      const where = r.headers().location ?? '';
      assert.ok(r.status() === 404 || /error=/.test(where), `a foreign transition is refused (${r.status()} ${where})`);
      assert.ok(/error=/.test(where) && decodeURIComponent(where.replace(/\+/g, ' ')).includes('not found'), `refused as not found: ${where}`);
    }),
  );
});
