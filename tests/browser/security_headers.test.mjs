// Security headers in the browser (issue #11): every page carries a strict Content-Security-Policy
// (no 'unsafe-inline'), nosniff and a same-origin referrer policy, and the key pages — login,
// dashboard, an order with its SLA clock bars and the signature canvas, an asset — run without a
// single CSP violation (Chromium reports each on the console).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD, launch, login, startServer, withPage } from './harness.mjs';

const TEST_TIMEOUT_MS = 180_000;

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

/** Collects CSP violations: console messages and `securitypolicyviolation` events. */
function watchCsp(page) {
  const violations = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
  });
  page.on('framenavigated', async (f) => {
    if (f !== page.mainFrame()) return;
    await page
      .evaluate(() => {
        document.addEventListener('securitypolicyviolation', (e) =>
          console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`),
        );
      })
      .catch(() => {});
  });
  return violations;
}

function assertHeaders(resp, what) {
  assert.ok(resp, `${what}: a response`);
  const h = resp.headers();
  const csp = h['content-security-policy'] ?? '';
  for (const want of [
    "default-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ]) {
    assert.ok(csp.includes(want), `${what}: CSP has ${want}: ${csp}`);
  }
  assert.ok(!csp.includes('unsafe-inline'), `${what}: no unsafe-inline: ${csp}`);
  assert.equal(h['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.equal(h['referrer-policy'], 'same-origin', `${what}: referrer policy`);
}

test('the key pages carry the security headers and break no CSP rule', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  await t.test('login and dashboard', (st) =>
    withPage(st, browser, server, async (page) => {
      const violations = watchCsp(page);
      assertHeaders(await page.goto('/login'), '/login');
      await login(page, 'wang.fang', DEMO_PASSWORD);
      assertHeaders(await page.goto('/'), 'dashboard');
      assertHeaders(await page.goto('/orders'), '/orders');
      assert.deepEqual(violations, [], 'no CSP violations');
    }),
  );

  await t.test('an order with clock bars and the signature canvas, and an asset', (st) =>
    withPage(st, browser, server, async (page) => {
      const violations = watchCsp(page);
      await login(page, 'li.qiang', DEMO_PASSWORD);
      await page.goto('/orders?limit=100');
      const hrefs = await page
        .locator('[data-testid=orders-table] a[href^="/orders/"]')
        .evaluateAll((as) => [...new Set(as.map((a) => a.getAttribute('href')))]);
      assert.ok(hrefs.length > 0, 'the engineer sees orders');
      let sawBar = false;
      let sawCanvas = false;
      for (const href of hrefs.slice(0, 25)) {
        if (!/^\/orders\/\d+$/.test(href)) continue;
        assertHeaders(await page.goto(href), href);
        const bars = page.locator('.bar span[data-width]');
        if (!sawBar && (await bars.count()) > 0) {
          // The width comes from data-width through app.js (no inline style attribute).
          const ok = await bars.evaluateAll((spans) =>
            spans.every((s) => s.style.width === `${Math.min(100, Number(s.dataset.width))}%`),
          );
          assert.ok(ok, `${href}: the clock bars have their widths`);
          sawBar = true;
        }
        const canvas = page.locator('form[data-signature] canvas');
        if (!sawCanvas && (await canvas.count()) > 0) {
          const box = await canvas.boundingBox();
          assert.ok(box, 'the canvas is visible');
          await page.mouse.move(box.x + 10, box.y + 10);
          await page.mouse.down();
          await page.mouse.move(box.x + 80, box.y + 40, { steps: 5 });
          await page.mouse.up();
          sawCanvas = true;
        }
        if (sawBar && sawCanvas) break;
      }
      assert.ok(sawBar, 'an order page with SLA clock bars was checked');
      assertHeaders(await page.goto('/assets'), '/assets');
      const asset = page.locator('a[href^="/assets/"]').filter({ hasNotText: /^$/ });
      const href = await asset.evaluateAll((as) =>
        as.map((a) => a.getAttribute('href')).find((h) => /^\/assets\/\d+$/.test(h ?? '')),
      );
      assert.ok(href, 'an asset link');
      assertHeaders(await page.goto(href), href);
      assert.deepEqual(violations, [], 'no CSP violations');
      if (!sawCanvas) st.diagnostic('no order of li.qiang offered the signature canvas');
    }),
  );
});
