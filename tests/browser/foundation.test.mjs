// Foundation UI: login, landing pages per role, language switch, client isolation in the portal,
// failed login, CSRF refusal. One server (demo data) and one browser for the file; every test
// gets its own browser context (own cookies).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN_PASSWORD,
  DEMO_PASSWORD,
  launch,
  login,
  logout,
  pathOf,
  startServer,
  switchLanguage,
  withPage,
} from './harness.mjs';

const OWN_CLIENT = '华东精密制造有限公司';
const OTHER_CLIENTS = ['江南第一人民医院', '明德律师事务所'];
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

const NAV = 'nav, header, [role=navigation]';

async function htmlLang(page) {
  return page.locator('html').getAttribute('lang');
}

/** Wait until some element matching `scope` shows text matching `re` (visible); explain if not. */
async function expectVisibleText(page, scope, re, what) {
  const hit = page.locator(scope).getByText(re).first();
  try {
    await hit.waitFor({ state: 'visible', timeout: 5_000 });
  } catch {
    const texts = await page.locator(scope).allInnerTexts().catch(() => []);
    assert.fail(`${what}: no visible ${re} in ${scope} on ${page.url()}; its text: ${JSON.stringify(texts)}`);
  }
}

const DEMO_USERNAMES = new Set(['admin', 'wang.fang', 'li.qiang', 'zhou.jg', 'wu.li']);

/** Fail if `scope` shows untranslated message keys such as `nav.organizations`. */
async function expectNoRawKeys(page, scope = NAV) {
  const texts = await page.locator(scope).allInnerTexts().catch(() => []);
  // Words shown as code (such as the demo accounts' user names on /login) are data, not labels.
  const code = new Set((await page.locator('code, kbd, samp').allInnerTexts()).map((c) => c.trim()));
  const raw = texts
    .flatMap((t) => t.split(/\s+/))
    .filter((w) => /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/.test(w) && !DEMO_USERNAMES.has(w) && !code.has(w));
  assert.deepEqual([...new Set(raw)], [], `untranslated message keys in ${scope} on ${page.url()}`);
}

async function bodyText(page) {
  return page.locator('body').innerText();
}

async function expectUserMenu(page, displayName) {
  const menu = page.locator('[data-testid=user-menu]').first();
  await menu.waitFor({ state: 'attached' });
  const text = (await menu.textContent()) ?? '';
  if (displayName) {
    assert.ok(text.includes(displayName), `user menu should show ${displayName}; it says ${JSON.stringify(text.trim())}`);
  } else {
    assert.ok(text.trim().length > 0, 'user menu should show the user name');
  }
  assert.ok((await page.locator('form#logout-form button').count()) > 0, 'a logout button form#logout-form button');
}

test('login page has the form, the language links and lang=zh-CN for a Chinese browser', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    const response = await page.goto('/login');
    assert.equal(response?.status(), 200, 'GET /login');
    for (const sel of [
      'form#login-form',
      'form#login-form input[name=username]',
      'form#login-form input[name=password]',
      'form#login-form button[type=submit]',
      'a[data-lang="en"]',
      'a[data-lang="zh-CN"]',
    ]) {
      assert.ok((await page.locator(sel).count()) > 0, `${sel} on /login`);
    }
    assert.equal(await page.locator('form#login-form input[name=password]').getAttribute('type'), 'password');
    assert.equal(await htmlLang(page), 'zh-CN');
    await expectNoRawKeys(page, 'body');
    const href = await page.locator('a[data-lang="en"]').first().getAttribute('href');
    assert.match(href ?? '', /\/language\?(.*&)?set=en/, 'the English link goes to /language?set=en&next=...');
  }),
);

test('admin logs in, switches to English and back, logs out', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'admin', ADMIN_PASSWORD);
    assert.equal(pathOf(page), '/dashboard', 'the admin lands on /dashboard');
    assert.equal(await htmlLang(page), 'zh-CN', 'a zh-CN browser starts in Chinese');
    await expectUserMenu(page, null);

    await switchLanguage(page, 'en');
    assert.equal(await htmlLang(page), 'en', 'html[lang] after switching to English');
    assert.equal(pathOf(page), '/dashboard', 'the language switch returns to the page it came from');
    await expectVisibleText(page, NAV, /Organizations/, 'English navigation');
    await expectNoRawKeys(page);

    await switchLanguage(page, 'zh-CN');
    assert.equal(await htmlLang(page), 'zh-CN', 'html[lang] after switching back to Chinese');
    await expectVisibleText(page, NAV, /客户|组织/, 'Chinese navigation');
    await expectNoRawKeys(page);

    await logout(page);
    assert.equal(pathOf(page), '/login', 'logout ends on /login');
    await page.goto('/dashboard');
    assert.equal(pathOf(page), '/login', 'after logout /dashboard sends you to /login');
  }),
);

test('each role lands on its home page with its name in the user menu', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const cases = [
    { username: 'wang.fang', name: '王芳', home: '/dashboard' },
    { username: 'li.qiang', name: '李强', home: '/dashboard' },
    { username: 'zhou.jg', name: '周建国', home: '/portal' },
    { username: 'wu.li', name: '吴丽', home: '/portal' },
  ];
  for (const c of cases) {
    await t.test(c.username, (st) =>
      withPage(st, browser, server, async (page) => {
        await login(page, c.username, DEMO_PASSWORD);
        assert.equal(pathOf(page), c.home, `${c.username} lands on ${c.home}`);
        await expectUserMenu(page, c.name);
      }),
    );
  }
});

test('client portal shows only the client’s own organisation', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'zhou.jg', DEMO_PASSWORD);
    assert.equal(pathOf(page), '/portal', 'a client admin lands on /portal');
    const portal = await bodyText(page);
    assert.ok(portal.includes(OWN_CLIENT), `the portal shows ${OWN_CLIENT}`);
    for (const other of OTHER_CLIENTS) {
      assert.ok(!portal.includes(other), `the portal must not mention ${other}`);
    }
    const html = await page.content();
    for (const other of OTHER_CLIENTS) {
      assert.ok(!html.includes(other), `the portal's HTML must not contain ${other}`);
    }

    const response = await page.goto('/organizations');
    const status = response?.status() ?? 0;
    assert.ok(status < 500, `GET /organizations as a client: status ${status}`);
    const orgs = await page.content();
    for (const other of OTHER_CLIENTS) {
      assert.ok(!orgs.includes(other), `/organizations (status ${status}) must not list ${other} to a client`);
    }
    t.diagnostic(`/organizations as a client answered ${status} at ${pathOf(page)}`);
  }),
);

test('a wrong password shows an error and stays on /login', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    // Not the admin: failures count towards a lock-out, and other tests log in as admin.
    await login(page, 'wu.li', 'not-the-password');
    assert.equal(pathOf(page), '/login', 'a failed login stays on /login');
    assert.ok((await page.locator('form#login-form').count()) > 0, 'the login form is shown again');
    const marked = page.locator('[role=alert], .error, .alert, .flash, [data-testid*=error], .notice-error');
    let message = '';
    if ((await marked.count()) > 0) {
      message = (await marked.first().innerText()).trim();
    }
    if (!message) {
      const text = await bodyText(page);
      const m = text.match(/[^\n]*(错误|不正确|无效|失败|incorrect|invalid|wrong)[^\n]*/i);
      message = m ? m[0].trim() : '';
    }
    assert.ok(message.length > 0, 'an error message is visible on the login page');
    assert.doesNotMatch(message, /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, 'the error message is translated, not a key');
    t.diagnostic(`login error message: ${message}`);
    // The session must not be logged in.
    await page.goto('/portal');
    assert.equal(pathOf(page), '/login', 'after a failed login /portal sends you to /login');
  }),
);

test('a POST without the CSRF token is refused with 403', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'wang.fang', DEMO_PASSWORD);
    assert.equal(pathOf(page), '/dashboard');
    // Same-origin headers, so that only the missing token can be the reason for a refusal.
    const headers = { Origin: server.url, 'Sec-Fetch-Site': 'same-origin', Referer: `${server.url}/dashboard` };

    // A forged form: url-encoded like the real one, but without the token.
    const noToken = await page.request.post('/logout', {
      headers,
      form: { next: '/' },
      maxRedirects: 0,
      failOnStatusCode: false,
    });
    assert.equal(noToken.status(), 403, 'POST /logout with a form body but no token');

    // A bare POST (no body at all) must be refused too; 403 is expected, any 4xx refuses.
    const bare = await page.request.post('/logout', { headers, maxRedirects: 0, failOnStatusCode: false });
    assert.ok(bare.status() >= 400 && bare.status() < 500, `bare POST /logout is refused (got ${bare.status()})`);
    if (bare.status() !== 403) t.diagnostic(`bare POST /logout answered ${bare.status()}, not 403`);

    const hidden = page.locator('form#logout-form input[type=hidden]');
    const tokenField = (await hidden.count()) > 0 ? await hidden.first().getAttribute('name') : null;
    if (tokenField) {
      const wrong = await page.request.post('/logout', {
        headers,
        form: { [tokenField]: 'not-the-token' },
        maxRedirects: 0,
        failOnStatusCode: false,
      });
      assert.equal(wrong.status(), 403, `POST /logout with a wrong ${tokenField}`);
    } else {
      t.diagnostic('form#logout-form has no hidden token field; skipped the wrong-token check');
    }

    // Still logged in: the refused requests did not end the session.
    await page.goto('/dashboard');
    assert.equal(pathOf(page), '/dashboard', 'the session survives refused logouts');
    await expectUserMenu(page, '王芳');

    // And the real form, with its token, does log out.
    await logout(page);
    assert.equal(pathOf(page), '/login');
  }),
);
