// Preventive maintenance in the browser, on a phone-sized screen: the demo's weekly hardware round
// at 华东精密 generates its inspections when the server starts; li.qiang opens the next one from
// the week's list, jumps to an asset by its tag, walks the checklist (one issue, with a note and a
// photo, the rest ok or n.a.), raises the issue as a follow-up order in one action, downloads the
// inspection report and resolves the inspection.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD, clickAndWait, launch, login, startServer, withPage } from './harness.mjs';

const PLAN = '每周服务器与网络巡检';
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

let server;
let browser;
let tmp;

before(
  async () => {
    tmp = mkdtempSync(join(tmpdir(), 'weihu-inspection-'));
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

async function expectNoError(page, what) {
  const err = page.locator('.flash.error');
  if ((await err.count()) > 0) assert.fail(`${what}: the page shows an error: ${await err.first().innerText()}`);
  assert.ok(!new URL(page.url()).searchParams.has('error'), `${what}: no ?error= in ${page.url()}`);
}

test('an inspection walked on a phone: one issue, its follow-up order, the report', { timeout: 240_000 }, async (t) => {
  await t.test('li.qiang completes the inspection', (st) =>
    withPage(st, browser, server, async (page) => {
      await page.setViewportSize({ width: 390, height: 800 });
      await login(page, 'li.qiang', DEMO_PASSWORD);
      // The server's job generates the plans' inspections at start; wait for it.
      const row = page.locator('[data-testid=inspections-table] tr', { hasText: PLAN });
      for (let i = 0; i < 40 && (await row.count()) === 0; i++) {
        await page.goto('/maintenance');
        if ((await row.count()) > 0) break;
        await page.waitForTimeout(500);
      }
      assert.ok((await row.count()) > 0, 'the week lists the weekly round');
      await clickAndWait(page, `[data-testid=inspections-table] tr:has-text("${PLAN}") a[data-testid=inspection-link]`);
      assert.match(new URL(page.url()).pathname, /^\/inspections\/\d+$/);
      const walk = new URL(page.url()).pathname;
      const orderId = walk.split('/').pop();

      // Jump to the second asset by its tag (what a scanner or a typed tag does).
      const sections = page.locator('section.checklist[id^=asset-]');
      assert.ok((await sections.count()) >= 2, 'the round covers several assets');
      const second = sections.nth(1);
      const title = (await second.locator('h2').innerText()).trim();
      const tag = title.split(' · ')[0];
      await page.fill('[data-testid=jump-tag]', tag);
      await clickAndWait(page, '[data-testid=jump] button');
      assert.equal(new URL(page.url()).hash, `#${await second.getAttribute('id')}`, 'the page opens at the asset');

      // Walk: the first open item of the first asset is the issue (note and photo), the rest ok
      // (n.a. for the visit's items).
      const photo = join(tmp, 'fan.png');
      writeFileSync(photo, Buffer.from(PNG_B64, 'base64'));
      let issued = false;
      for (let guard = 0; guard < 200; guard++) {
        const open = page.locator('li.check-item:not(:has([data-testid=answer]))');
        if ((await open.count()) === 0) break;
        const li = open.first();
        const visit = ((await li.getAttribute('id')) ?? '').startsWith('i-0-');
        const form = li.locator('form.answer-form');
        if (!issued && !visit) {
          await form.locator('[data-testid=answer-issue]').check();
          await form.locator('[data-testid=note]').fill('风扇异响，轴承磨损');
          await form.locator('input[type=file]').setInputFiles(photo);
          issued = true;
        } else {
          await form.locator(`[data-testid=answer-${visit ? 'not_applicable' : 'ok'}]`).check();
        }
        await Promise.all([
          page.waitForNavigation({ waitUntil: 'load' }),
          form.locator('button[data-action=save-answer]').click(),
        ]);
        await expectNoError(page, 'answering an item');
      }
      assert.ok(issued, 'one issue was recorded');
      const progress = (await page.locator('[data-testid=progress]').innerText()).trim();
      const [done, total] = progress.split('/').map((x) => Number(x.trim()));
      assert.ok(total > 0 && done === total, `every item answered: ${progress}`);
      assert.ok((await page.locator('li.check-item a[href*="/attachments/"]').count()) >= 1, 'the photo is on the issue');

      // The issue becomes a follow-up order in one action.
      await clickAndWait(page, 'button[data-action=raise-follow-up]');
      await expectNoError(page, 'raising the follow-up');
      const link = page.locator('[data-testid=follow-up-link]');
      assert.equal(await link.count(), 1, 'the follow-up order is linked from the issue');
      assert.match((await link.innerText()).trim(), /^SO-\d{4}-\d{6}$/);
      assert.equal(await page.locator('button[data-action=raise-follow-up]').count(), 0, 'raised once');

      // The report downloads.
      const [pdf] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=inspection-pdf]')]);
      const bytes = readFileSync(await pdf.path());
      assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', 'the inspection report downloads');

      // Resolved on the order page, which links the follow-up.
      await page.goto(`/orders/${orderId}`);
      const order = await page.content();
      assert.ok(order.includes((await page.locator('[data-testid=order-state]').innerText()).trim()));
      const resolveForm = page.locator('form:has(button[data-action=resolve])');
      await resolveForm.locator('textarea[name=resolution]').fill('巡检完成，1 项问题已转工单。');
      await clickAndWait(page, 'button[data-action=resolve]');
      await expectNoError(page, 'resolving');
      assert.equal((await page.locator('[data-testid=order-state]').innerText()).trim(), '已解决');
    }),
  );
});
