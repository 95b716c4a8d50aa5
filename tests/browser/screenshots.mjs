// README screenshots: the dispatcher's board on a laptop and the engineer's day on a phone, taken
// from the demo in headless Chromium. Run from tests/browser after a debug build:
//   WEIHU_BIN=../../target/debug/weihu node screenshots.mjs
// Writes docs/screenshots/*.png.

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_PASSWORD, launch, login, newContext, startServer } from './harness.mjs';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');
mkdirSync(OUT, { recursive: true });

const server = await startServer();
const browser = await launch();
try {
  const desk = await newContext(browser, server);
  const page = await desk.newPage();
  await page.setViewportSize({ width: 1366, height: 860 });
  await login(page, 'wang.fang', DEMO_PASSWORD);
  await page.goto('/orders');
  await page.screenshot({ path: join(OUT, 'dispatcher-board.png') });
  await desk.close();

  const phone = await newContext(browser, server);
  const p = await phone.newPage();
  await p.setViewportSize({ width: 390, height: 844 });
  await login(p, 'li.qiang', DEMO_PASSWORD);
  await p.goto('/dashboard');
  await p.screenshot({ path: join(OUT, 'engineer-today-phone.png') });
  await p.goto('/orders?scope=mine');
  await p.screenshot({ path: join(OUT, 'engineer-orders-phone.png') });
  await phone.close();
  console.log(`screenshots in ${OUT}`);
} finally {
  await browser.close().catch(() => {});
  await server.stop();
}
