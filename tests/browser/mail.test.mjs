// Mail in the browser (issue #17): the administrator sees that mail is off and the demo's outbox;
// a stranger's mail delivered with `weihu mail receive` waits in the dispatcher's review queue and
// is accepted as an order of a chosen client; a client user turns one kind of mail off on the
// account page, and cannot turn off a mandatory one.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, DEMO_PASSWORD, clickAndWait, launch, login, logout, startServer, withPage } from './harness.mjs';

const TEST_TIMEOUT_MS = 120_000;
const HERE = dirname(fileURLToPath(import.meta.url));

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

function receive(message) {
  const bin = process.env.WEIHU_BIN || resolve(HERE, '../../target/debug/weihu');
  const r = spawnSync(bin, ['mail', 'receive', '--data-dir', server.dataDir], { input: message, encoding: 'utf8' });
  assert.equal(r.status, 0, `weihu mail receive: ${r.stderr}`);
  return r.stdout.trim();
}

test('mail: the outbox without a relay, the review queue, and each user\'s choice', { timeout: TEST_TIMEOUT_MS }, (t) =>
  withPage(t, browser, server, async (page) => {
    await login(page, 'admin', ADMIN_PASSWORD);
    await page.goto('/mail');
    assert.equal(await page.locator('[data-testid=mail-off]').count(), 1, 'the admin is told mail is off');
    const rows = await page.locator('[data-testid=outbox] tbody tr').count();
    assert.ok(rows > 0, `the demo's mails wait in the outbox (${rows})`);
    await logout(page);

    // A stranger writes to the desk: the dispatcher finds it in the queue and accepts it.
    const said = receive(
      'From: 陌生人 <stranger@unknown.example>\r\nTo: desk@weihu.test\r\nSubject: =?UTF-8?B?5aSN5Y2w5py65Z2P5LqG?=\r\n' +
        'Message-ID: <browser-test@unknown.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n二楼复印机卡纸\r\n',
    );
    assert.match(said, /review/);
    await login(page, 'wang.fang', DEMO_PASSWORD);
    await page.goto('/mail');
    const item = page.locator('[data-testid=review-item]');
    assert.equal(await item.count(), 1, 'one message waits for review');
    assert.match(await item.innerText(), /复印机坏了/);
    await item.locator('select[name=client_org_id]').selectOption({ index: 0 });
    await clickAndWait(page, '[data-testid=review-item] form[action$="/accept"] button');
    assert.match(new URL(page.url()).pathname, /^\/orders\/\d+$/, 'accepting opens the new order');
    assert.match(await page.locator('main').innerText(), /复印机坏了/);
    await logout(page);

    // A client user turns comment mail off; a mandatory kind cannot be.
    await login(page, 'wu.li', DEMO_PASSWORD);
    await page.goto('/account#mail');
    assert.equal(await page.locator('[data-testid=mail-resolved]').isDisabled(), true, 'resolved is mandatory');
    await page.locator('[data-testid=mail-comment]').uncheck();
    await clickAndWait(page, 'form[action="/account/mail"] button');
    assert.equal(await page.locator('.flash.error').count(), 0);
    assert.equal(await page.locator('[data-testid=mail-comment]').isChecked(), false, 'comment mail stays off');
    assert.equal(await page.locator('[data-testid=mail-assigned]').isChecked(), true, 'the rest stays on');
  }),
);
