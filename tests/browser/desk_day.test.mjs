// The desk's working day (issue #13) in the browser: the dispatcher's board views with counts and
// sortable columns, escalating an order to management and linking a duplicate from the order
// page (the page comes back at the section acted on), and the board as compact cards on a
// 390 × 844 phone without sideways scrolling.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD, clickAndWait, launch, login, pathOf, startServer, withPage } from './harness.mjs';

const TEST_TIMEOUT_MS = 120_000;

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
  const err = page.locator('.flash.error');
  if ((await err.count()) > 0) assert.fail(`${what}: the page shows an error: ${await err.first().innerText()}`);
}

/** The number on a view's tab, or null. */
async function viewCount(page, view) {
  const c = page.locator(`[data-testid=view-${view}] .count`);
  if ((await c.count()) === 0) return null;
  return Number((await c.innerText()).trim());
}

test('the dispatcher works the board: views, counts, sorting, escalation and links', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'wang.fang', DEMO_PASSWORD);
    await page.goto('/orders');
    for (const view of ['open', 'mine', 'team', 'unassigned', 'escalated', 'waiting', 'at_risk', 'done', 'all']) {
      assert.equal(await page.locator(`[data-testid=view-${view}]`).count(), 1, `the ${view} view is offered`);
    }
    const open = await viewCount(page, 'open');
    const rows = await page.locator('[data-testid=orders-table] tbody tr').count();
    assert.ok(open > 0 && rows === Math.min(open, 50), `the open view lists its count (${open}, ${rows} rows)`);

    // The unassigned view: every row has no engineer.
    await clickAndWait(page, '[data-testid=view-unassigned]');
    assert.equal(new URL(page.url()).searchParams.get('scope'), 'unassigned');
    const unassigned = await viewCount(page, 'unassigned');
    assert.equal(await page.locator('[data-testid=orders-table] tbody tr').count(), Math.min(unassigned, 50));

    // Sorting by the subject column, then reversed by a second click.
    await clickAndWait(page, '[data-testid=view-all]');
    await clickAndWait(page, '[data-testid=sort-subject]');
    assert.equal(new URL(page.url()).searchParams.get('sort'), 'subject');
    assert.match(await page.locator('[data-testid=sort-subject]').innerText(), /▲/);
    await clickAndWait(page, '[data-testid=sort-subject]');
    assert.equal(new URL(page.url()).searchParams.get('sort'), '-subject');

    // Escalate the first unassigned order to management from its page.
    await page.goto('/orders?scope=unassigned');
    // The board counts escalations before (the demo has one already).
    const escalated = (await viewCount(page, 'escalated')) ?? 0;
    await clickAndWait(page, '[data-testid=orders-table] tbody tr:first-child a >> nth=0');
    const orderPath = pathOf(page);
    await page.locator('summary', { hasText: '层级升级' }).click();
    const form = page.locator('form', { has: page.locator('button[data-action=escalate-hierarchical]') });
    await form.locator('input[name=reason]').fill('客户投诉：三天未修复');
    await clickAndWait(page, 'button[data-action=escalate-hierarchical]');
    await expectNoError(page, 'escalating');
    assert.equal(pathOf(page), orderPath);
    assert.equal(new URL(page.url()).hash, '#actions', 'back at the actions');
    assert.match(await page.locator('[data-testid=escalated]').innerText(), /客户投诉：三天未修复/);
    assert.match((await page.locator('[data-testid=timeline]').innerText()), /已升级/);

    // Link it to another order of the same client by number.
    const other = await page.evaluate(async (path) => {
      const me = await (await fetch(`/api/v1${path}`)).json();
      const list = await (await fetch(`/api/v1/orders?client_org_id=${me.client_org_id}&limit=50`)).json();
      return list.items.find((o) => o.id !== me.id)?.number;
    }, orderPath);
    assert.ok(other, 'another order of the client');
    const link = page.locator('#link-form');
    await link.locator('select[name=kind]').selectOption('follow_up_of');
    await link.locator('input[name=other_number]').fill(other);
    await clickAndWait(page, 'button[data-action=link]');
    await expectNoError(page, 'linking');
    assert.equal(new URL(page.url()).hash, '#links', 'back at the links');
    assert.match(await page.locator('[data-testid=link-follow_up_of]').innerText(), new RegExp(other));

    // The board counts and flags it.
    await page.goto('/orders?scope=escalated');
    assert.equal(await viewCount(page, 'escalated'), escalated + 1);
    assert.equal(await page.locator('[data-testid=escalated-badge]').count(), escalated + 1);
  }),
);

test('on a 390 × 844 phone the board is cards and never scrolls sideways', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await login(page, 'li.qiang', DEMO_PASSWORD);
    await page.goto('/orders?scope=mine');
    assert.ok((await page.locator('[data-testid=orders-table] tbody tr').count()) > 0, 'li.qiang has orders');
    assert.equal(await page.locator('[data-testid=orders-table] thead').isVisible(), false, 'no table header on a phone');
    const row = page.locator('[data-testid=orders-table] tbody tr').first();
    const box = await row.boundingBox();
    assert.ok(box && box.width <= 390, `a card fits the screen (${box?.width})`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
  }),
);
