// Work on an order in the browser: on the demo order "HIS 数据库服务器磁盘告警" (江南第一人民医院,
// a part already waiting for approval) the client admin approves the part; the engineer, on a
// phone-sized screen, installs it, uploads a photo, resolves the order and collects the client's
// drawn signature; the client admin downloads the signed order as PDF and rates the service 5
// stars. One server (demo data) and one
// browser for the file; every actor gets its own browser context.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD, clickAndWait, launch, login, pathOf, startServer, withPage } from './harness.mjs';

const TEST_TIMEOUT_MS = 120_000;
const SUBJECT = 'HIS 数据库服务器磁盘告警';
const PART = '企业级硬盘';
const RESOLUTION = '更换 2 号盘并重建阵列，SMART 告警消除。';
/** A real 1×1 PNG. */
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

let server;
let browser;
let tmp;

before(
  async () => {
    tmp = mkdtempSync(join(tmpdir(), 'weihu-upload-'));
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

async function stateText(page) {
  return (await page.locator('[data-testid=order-state]').innerText()).trim();
}

/** No error flash on the page (a refused form comes back with `?error=`). */
async function expectNoError(page, what) {
  const err = page.locator('.flash.error');
  if ((await err.count()) > 0) assert.fail(`${what}: the page shows an error: ${await err.first().innerText()}`);
  assert.ok(!new URL(page.url()).searchParams.has('error'), `${what}: no ?error= in ${page.url()}`);
}

/** The list item of the part named PART. */
function partItem(page) {
  return page.locator('[data-testid=parts] li', { hasText: PART });
}

test('a part approved, installed, photographed, resolved, signed and rated', { timeout: TEST_TIMEOUT_MS * 3 }, async (t) => {
  let path;

  await t.test('qian.min approves the proposed part', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'qian.min', DEMO_PASSWORD);
      await page.goto(`/orders?q=${encodeURIComponent('磁盘告警')}`);
      const link = page.locator('[data-testid=orders-table] a', { hasText: SUBJECT });
      assert.equal(await link.count(), 1, `her board finds ${SUBJECT}`);
      path = await link.getAttribute('href');
      assert.match(path ?? '', /^\/orders\/\d+$/);
      await clickAndWait(page, `[data-testid=orders-table] a:has-text("${SUBJECT}")`);
      assert.equal(pathOf(page), path);
      assert.equal(await partItem(page).count(), 1, 'the part is listed');
      assert.equal(await partItem(page).locator('.part-proposed').count(), 1, 'the part waits for approval');
      await clickAndWait(page, 'button[data-action=approve-part]');
      await expectNoError(page, 'approving the part');
      assert.equal(await partItem(page).locator('.part-approved').count(), 1, 'the part is approved');
      assert.equal(await page.locator('button[data-action=approve-part]').count(), 0, 'nothing left to approve');
      assert.equal(await page.locator('button[data-action=install-part]').count(), 0, 'the client installs nothing');
    }),
  );
  assert.ok(path, 'found the order');

  await t.test('li.qiang installs the part, uploads a photo, resolves and collects the signature (phone)', (st) =>
    withPage(st, browser, server, async (page) => {
      await page.setViewportSize({ width: 390, height: 800 });
      await login(page, 'li.qiang', DEMO_PASSWORD);
      const resp = await page.goto(path);
      assert.equal(resp?.status(), 200, `GET ${path}`);
      assert.equal(await stateText(page), '处理中', 'the approval put the order back to work');

      await clickAndWait(page, 'button[data-action=install-part]');
      await expectNoError(page, 'installing the part');
      assert.equal(await partItem(page).locator('.part-installed').count(), 1, 'the part is installed');

      const photo = join(tmp, 'disk-photo.png');
      writeFileSync(photo, Buffer.from(PNG_B64, 'base64'));
      await page.locator('#upload-form input[type=file]').setInputFiles(photo);
      await clickAndWait(page, '#upload-form button');
      await expectNoError(page, 'uploading the photo');
      const attachments = page.locator('[data-testid=attachments]');
      assert.ok((await attachments.innerText()).includes('disk-photo.png'), 'the photo is listed');
      const thumb = attachments.locator('img.thumb');
      assert.equal(await thumb.count(), 1, 'an image gets a thumbnail');
      await thumb.scrollIntoViewIfNeeded();
      await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await thumb.elementHandle());

      const resolveForm = page.locator('form:has(button[data-action=resolve])');
      await resolveForm.locator('textarea[name=resolution]').fill(RESOLUTION);
      await clickAndWait(page, 'button[data-action=resolve]');
      await expectNoError(page, 'resolving');
      assert.equal(await stateText(page), '已解决');

      const pad = page.locator('[data-testid=signature-pad]');
      await pad.scrollIntoViewIfNeeded();
      const box = await pad.boundingBox();
      assert.ok(box && box.width > 0 && box.height > 0, 'the signature pad is on screen');
      await page.mouse.move(box.x + box.width * 0.15, box.y + box.height * 0.6);
      await page.mouse.down();
      for (let i = 1; i <= 12; i++) {
        await page.mouse.move(box.x + box.width * (0.15 + 0.06 * i), box.y + box.height * (0.6 - 0.3 * Math.sin(i / 2)), {
          steps: 2,
        });
      }
      await page.mouse.up();
      await page.locator('#sign-form input[name=signer_name]').fill('钱敏');
      await clickAndWait(page, '#sign-form button[data-action=sign]');
      await expectNoError(page, 'signing');
      const img = page.locator('[data-testid=signature-image]');
      await img.scrollIntoViewIfNeeded();
      assert.ok(await img.isVisible(), 'the signature image is shown');
      await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
      assert.ok((await page.locator('[data-testid=signature]').innerText()).includes('钱敏'), 'the signer is named');
      assert.equal(await page.locator('[data-testid=signature-pad]').count(), 0, 'signed once: no pad any more');
    }),
  );

  await t.test('qian.min rates it 5 stars', (st) =>
    withPage(st, browser, server, async (page) => {
      await login(page, 'qian.min', DEMO_PASSWORD);
      const resp = await page.goto(path);
      assert.equal(resp?.status(), 200);
      assert.equal(await stateText(page), '已解决');
      assert.ok(await page.locator('[data-testid=signature-image]').isVisible(), 'she sees the signature');
      // The signed service order downloads as a one-page PDF.
      const [pdf] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=order-pdf]')]);
      const bytes = readFileSync(await pdf.path());
      assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', 'the service order PDF downloads');
      assert.match(pdf.suggestedFilename(), /^SO-\d{4}-\d{6}\.pdf$/);
      await page.locator('#rating-form input[name=score][value="5"]').check();
      await page.locator('#rating-form input[name=comment]').fill('响应及时，处理专业。');
      await clickAndWait(page, '#rating-form button[data-action=rate]');
      await expectNoError(page, 'rating');
      const stars = (await page.locator('[data-testid=rating] .stars').innerText()).trim();
      assert.ok(stars.startsWith('★★★★★'), `five stars: ${stars}`);
      assert.ok(stars.includes('5/5'), stars);
    }),
  );
});
