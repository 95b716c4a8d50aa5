// Hostile text in the browser: a dispatcher enters XSS payloads in every field of a service order
// (requester, subject, description, a public comment and an internal note) and of a device
// (model, location, owner, notes), finance in a contract (title, scope), the service level
// manager in a catalog item (name, content); then the desk and the client admin open every page
// that shows them. No script runs — no dialog, no `window.__xss` — and the payload is shown as text.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD, clickAndWait, launch, login, startServer, withPage } from './harness.mjs';

const PAYLOAD = `XSS<script>window.__xss=1</script><img src=x onerror="window.__xss=2"><svg onload="window.__xss=3"></svg>"'><a href="javascript:window.__xss=4">x</a>`;

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

/** Opens `path`, waits a moment for any handler to fire, and checks no script ran. */
async function expectInert(page, path, { mustShow = true } = {}) {
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  const resp = await page.goto(path);
  assert.equal(resp?.status(), 200, `GET ${path}`);
  await page.waitForTimeout(150);
  const ran = await page.evaluate(() => window.__xss);
  assert.equal(ran, undefined, `${path}: an injected script ran (window.__xss = ${ran})`);
  assert.deepEqual(dialogs, [], `${path}: no dialog`);
  if (mustShow) {
    const text = await page.locator('main').innerText();
    assert.ok(text.includes('<script>window.__xss=1</script>'), `${path}: the payload is shown as text`);
  }
  const links = await page.locator('a[href^="javascript:"]').count();
  assert.equal(links, 0, `${path}: no javascript: links`);
}

test('payloads in orders and assets never run, on any page that shows them', { timeout: 180_000 }, async (t) => {
  let orderPath;
  let assetPath;
  await t.test('wang.fang enters them', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'wang.fang', DEMO_PASSWORD);
      await page.goto('/orders/new');
      const f = page.locator('#order-form');
      await f.locator('select[name=client_org_id]').selectOption({ label: '华东精密制造有限公司' });
      await f.locator('input[name=requester_name]').fill(PAYLOAD.slice(0, 90));
      await f.locator('input[name=subject]').fill(PAYLOAD);
      await f.locator('textarea[name=description]').fill(PAYLOAD);
      await clickAndWait(page, '#order-form button[type=submit], #order-form button.primary');
      orderPath = new URL(page.url()).pathname;
      assert.match(orderPath, /^\/orders\/\d+$/);
      for (const internal of [false, true]) {
        await page.locator('#comment-form textarea[name=body]').fill(PAYLOAD);
        if (internal) await page.locator('#comment-form input[name=internal]').check();
        await clickAndWait(page, '#comment-form button');
      }
      await page.goto('/assets');
      await page.locator('details:has(form[action="/assets"].grid) > summary').click();
      const a = page.locator('form[action="/assets"].grid');
      await a.locator('select[name=client_org_id]').selectOption({ label: '华东精密制造有限公司' });
      // Each field at its length limit or less (owner: 100 characters).
      for (const name of ['model', 'location', 'owner', 'notes']) await a.locator(`input[name=${name}]`).fill(PAYLOAD.slice(0, 95));
      await a.locator('input[name=serial]').fill('XSS-SERIAL');
      await Promise.all([page.waitForNavigation(), a.locator('button.primary').click()]);
      assetPath = new URL(page.url()).pathname;
      assert.match(assetPath, /^\/assets\/\d+$/);
    }),
  );
  assert.ok(orderPath && assetPath);

  let contractPath;
  await t.test('finance enters them in a contract; the service level manager in the catalog', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'liu.yang', DEMO_PASSWORD);
      await page.goto('/contracts');
      await page.locator('#new-contract > summary').click();
      const f = page.locator('form[data-testid=contract-form]');
      await f.locator('select[name=client_org_id]').selectOption({ label: '华东精密制造有限公司' });
      await f.locator('input[name=number]').fill('HT-XSS-1');
      await f.locator('input[name=title]').fill(PAYLOAD.slice(0, 150));
      await f.locator('input[name=start_date]').fill('2031-01-01');
      await f.locator('input[name=end_date]').fill('2031-12-31');
      await f.locator('select[name=model]').selectOption('monthly_unlimited');
      await f.locator('input[name=monthly_fee]').fill('100.00');
      await f.locator('textarea[name=scope]').fill(PAYLOAD);
      await Promise.all([page.waitForNavigation(), f.locator('button.primary').click()]);
      contractPath = new URL(page.url()).pathname;
      assert.match(contractPath, /^\/contracts\/\d+$/, page.url());
      await expectInert(page, contractPath);
      await expectInert(page, '/contracts');

      await login(page, 'zhao.min', DEMO_PASSWORD);
      await page.goto('/catalog');
      await page.locator('summary', { hasText: '新建服务项目' }).click();
      const c = page.locator('form[action="/catalog"]').last();
      await c.locator('input[name=code]').fill('XSS');
      await c.locator('input[name=name]').fill(PAYLOAD.slice(0, 150));
      await c.locator('textarea[name=content]').fill(PAYLOAD);
      await c.locator('label.check', { hasText: '华东精密制造有限公司' }).locator('input').check();
      await Promise.all([page.waitForNavigation(), c.locator('button.primary').click()]);
      await expectInert(page, '/catalog');
    }),
  );
  assert.ok(contractPath);

  await t.test('the desk opens every page that shows them', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'wang.fang', DEMO_PASSWORD);
      await expectInert(page, orderPath);
      await expectInert(page, '/orders');
      await expectInert(page, `/orders?q=${encodeURIComponent('window')}`, { mustShow: false });
      await expectInert(page, '/dashboard', { mustShow: false });
      await expectInert(page, assetPath, { mustShow: false });
      assert.ok((await page.locator('input[name=model]').inputValue()).includes('<script>'), 'the form holds the text');
      await expectInert(page, '/assets?q=XSS-SERIAL');
    }),
  );

  await t.test('the client admin opens them in the portal', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'zhou.jg', DEMO_PASSWORD);
      await expectInert(page, orderPath);
      await expectInert(page, '/orders');
      await expectInert(page, '/portal', { mustShow: false });
      await expectInert(page, '/catalog');
      await expectInert(page, assetPath, { mustShow: false });
      assert.ok((await page.locator('input[name=model]').inputValue()).includes('<script>'), 'the form holds the text');
      await expectInert(page, '/assets?q=XSS-SERIAL');
    }),
  );
});
