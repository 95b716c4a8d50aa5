// Problems and the knowledge base (issue #18), end to end: a client reports the same fault three
// times; the dispatcher opens a problem from the repeat-fault candidate and records its root cause
// and workaround, which the linked order then shows; with the fix the problem is resolved; an
// engineer drafts an article from the problem in one click and the desk publishes it for clients;
// the next time the client starts typing that fault, the article is suggested, and saying it
// solved the fault reports nothing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD, clickAndWait, launch, login, logout, startServer, withPage } from './harness.mjs';

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

async function report(page, subject) {
  await page.goto('/orders/new');
  await page.locator('#order-form input[name=subject]').fill(subject);
  await page.locator('#order-form select[name=category]').selectOption('peripheral');
  await clickAndWait(page, '#order-form button[type=submit]');
  assert.match(new URL(page.url()).pathname, /^\/orders\/\d+$/, `${subject} is reported`);
}

test('knowledge: a repeated fault becomes a problem, its fix an article, the article answers the next report', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'wu.li', DEMO_PASSWORD);
    for (const n of [1, 2, 3]) await report(page, `三楼彩色激光打印机卡纸 第${n}次`);
    await logout(page);

    // The dispatcher opens a problem from the candidate and writes down cause and workaround.
    await login(page, 'wang.fang', DEMO_PASSWORD);
    await page.goto('/problems');
    const cand = page.locator('[data-testid=candidate]', { hasText: /外设|peripheral/i }).first();
    assert.equal(await cand.count(), 1, 'the repeat is offered as a possible problem');
    await cand.locator('input[name=title]').fill('三楼彩色激光打印机反复卡纸');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), cand.locator('[data-action=open-problem]').click()]);
    assert.match(new URL(page.url()).pathname, /^\/problems\/\d+$/);
    const problemUrl = new URL(page.url()).pathname;
    await page.locator('#edit textarea[name=root_cause]').fill('搓纸轮磨损');
    await page.locator('#edit textarea[name=workaround]').fill('取出纸盒，抚平纸张后重新放入');
    await page.locator('#edit select[name=state]').selectOption('known_error');
    await clickAndWait(page, '[data-action=save-problem]');
    assert.equal(await page.locator('.flash.error').count(), 0, 'the known error is saved');
    assert.match(await page.locator('[data-testid=workaround]').innerText(), /抚平纸张/);
    // The linked order shows the workaround.
    await clickAndWait(page, '[data-testid=problem-orders] li:has-text("三楼") a >> nth=0');
    assert.match(await page.locator('[data-testid=order-workaround]').innerText(), /抚平纸张/);
    // The permanent fix resolves the problem.
    await page.goto(problemUrl);
    await page.locator('#edit textarea[name=fix]').fill('更换搓纸轮');
    await page.locator('#edit select[name=state]').selectOption('resolved');
    await clickAndWait(page, '[data-action=save-problem]');
    assert.equal(await page.locator('.flash.error').count(), 0, 'the problem is resolved');
    // Orders not yet worked are not resolved by the fix behind anyone's back: the page says which.
    await clickAndWait(page, '[data-action=resolve-orders]');
    assert.match(await page.locator('.flash.error').innerText(), /SO-\d{4}-\d{6}/, 'the orders left open are named');
    await logout(page);

    // An engineer writes the article from the problem; the desk publishes it for clients.
    await login(page, 'li.qiang', DEMO_PASSWORD);
    await page.goto(problemUrl);
    await clickAndWait(page, '[data-action=article-from-problem]');
    assert.match(new URL(page.url()).pathname, /^\/kb\/\d+$/, 'the draft opens');
    const articleUrl = new URL(page.url()).pathname;
    assert.match(await page.locator('[data-testid=article-body]').innerText(), /搓纸轮磨损[\s\S]*更换搓纸轮/, 'cause and fix are in the draft');
    await page.locator('#edit input[name=title]').fill('彩色激光打印机卡纸：更换搓纸轮');
    await page.locator('#edit select[name=audience]').selectOption('clients');
    await clickAndWait(page, '[data-action=save-article]');
    assert.equal(await page.locator('.flash.error').count(), 0, 'the draft is saved');
    const states = await page.locator('#edit select[name=state] option').allTextContents();
    assert.equal(states.length, 1, `an engineer is not offered publishing (${states})`);
    await logout(page);
    await login(page, 'wang.fang', DEMO_PASSWORD);
    await page.goto(articleUrl);
    await page.locator('#edit select[name=state]').selectOption('published');
    await clickAndWait(page, '[data-action=save-article]');
    assert.equal(await page.locator('.flash.error').count(), 0, 'the article is published');
    assert.match(await page.locator('[data-testid=article-body]').innerText(), /更换搓纸轮/);
    await page.goto('/kb?q=%E6%90%93%E7%BA%B8'); // 搓纸
    assert.match(await page.locator('[data-testid=kb-hit] mark').first().innerText(), /搓纸/, 'search highlights the words');
    await logout(page);

    // The client starts typing the fault: the article is suggested, and it solves it.
    await login(page, 'wu.li', DEMO_PASSWORD);
    await page.goto('/orders/new');
    await page.locator('#order-form input[name=subject]').pressSequentially('打印机卡纸了', { delay: 20 });
    // The demo's own printer article may be suggested too: the one written from the fix is there.
    const suggestion = page.locator('[data-testid=kb-suggestion]', { hasText: '搓纸轮' }).first();
    await suggestion.waitFor({ timeout: 10_000 });
    await clickAndWait(page, '[data-testid=kb-suggestion]:has-text("搓纸轮") >> nth=0');
    assert.match(await page.locator('[data-testid=article-body]').innerText(), /更换搓纸轮/);
    await clickAndWait(page, '[data-action=solved]');
    assert.equal(new URL(page.url()).pathname, '/portal');
    assert.equal(await page.locator('.flash').count(), 1, 'the portal says nothing was reported');
  }),
);
