// Browser-test harness: starts a Weihu server on a free loopback port with demo data in a fresh
// data directory, and drives Debian's Chromium through playwright-core (no browser download).
//
//   const server = await startServer();          // { url, dataDir, logs(), stop() }
//   const browser = await launch();
//   await withPage(t, browser, server, async (page) => { ... });   // screenshot on failure
//   await browser.close(); await server.stop();
//
// Environment: WEIHU_BIN (path to the `weihu` binary; default ../../target/debug/weihu),
// WEIHU_CHROMIUM (default /usr/bin/chromium).

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(HERE, 'test-results');
export const ADMIN_PASSWORD = 'admin-pass-123';
export const DEMO_PASSWORD = 'weihu-demo';

/** How long the server may take to print its address (demo seeding hashes passwords). */
const SERVER_START_TIMEOUT_MS = 90_000;
const SERVER_STOP_TIMEOUT_MS = 5_000;
const BROWSER_LAUNCH_TIMEOUT_MS = 30_000;
export const ACTION_TIMEOUT_MS = 15_000;
export const NAVIGATION_TIMEOUT_MS = 20_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Servers still running, killed when the process exits whatever happened. */
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

function weihuBin() {
  const bin = process.env.WEIHU_BIN || resolve(HERE, '../../target/debug/weihu');
  if (!existsSync(bin)) {
    throw new Error(`weihu binary not found at ${bin}: run \`cargo build -p weihu\` or set WEIHU_BIN`);
  }
  return bin;
}

/**
 * Spawn `weihu serve --demo --bind 127.0.0.1:0 --data-dir <fresh tmp dir>` and wait for the line
 * `... http://127.0.0.1:<port>` on its output.
 */
export async function startServer({ extraArgs = [], env = {} } = {}) {
  const bin = weihuBin();
  const dataDir = mkdtempSync(join(tmpdir(), 'weihu-browser-'));
  const args = ['serve', '--demo', '--bind', '127.0.0.1:0', '--data-dir', dataDir, ...extraArgs];
  const child = spawn(bin, args, {
    env: { ...process.env, WEIHU_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);

  // Keep the last lines of output for error messages.
  const output = [];
  const remember = (line) => {
    output.push(line);
    if (output.length > 400) output.shift();
  };
  const logs = () => output.join('\n');

  let exited = null;
  const exitPromise = new Promise((res) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      res(exited);
    });
  });

  const url = await new Promise((res, rej) => {
    let done = false;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn(value);
    };
    const timer = setTimeout(
      () =>
        finish(
          rej,
          new Error(
            `weihu did not print its address within ${SERVER_START_TIMEOUT_MS} ms\n--- output ---\n${logs()}`,
          ),
        ),
      SERVER_START_TIMEOUT_MS,
    );
    const watch = (stream) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          remember(line);
          const m = line.match(/http:\/\/127\.0\.0\.1:(\d+)/);
          if (m) finish(res, `http://127.0.0.1:${m[1]}`);
        }
      });
    };
    watch(child.stdout);
    watch(child.stderr);
    child.on('error', (e) => finish(rej, new Error(`cannot start ${bin}: ${e.message}`)));
    exitPromise.then(({ code, signal }) =>
      finish(
        rej,
        new Error(`weihu exited before listening (code ${code}, signal ${signal})\n--- output ---\n${logs()}`),
      ),
    );
  }).catch(async (e) => {
    await kill(child, exitPromise);
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });

  let stopped = false;
  return {
    url,
    dataDir,
    logs,
    get exited() {
      return exited;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill(child, exitPromise);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolve with `promise`'s value, or with `TIMED_OUT` after `ms`. */
const TIMED_OUT = Symbol('timed out');
async function within(promise, ms) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((res) => (timer = setTimeout(() => res(TIMED_OUT), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function kill(child, exitPromise) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if ((await within(exitPromise, SERVER_STOP_TIMEOUT_MS)) === TIMED_OUT) {
    process.stderr.write(`weihu (pid ${child.pid}) ignored SIGTERM for ${SERVER_STOP_TIMEOUT_MS} ms: SIGKILL\n`);
    child.kill('SIGKILL');
    await within(exitPromise, SERVER_STOP_TIMEOUT_MS);
  }
}

/** Launch headless Debian Chromium. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.WEIHU_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
    timeout: BROWSER_LAUNCH_TIMEOUT_MS,
  });
}

/** A fresh browser context (own cookies) for `server`, Chinese by default. */
export async function newContext(browser, server, { locale = 'zh-CN' } = {}) {
  const context = await browser.newContext({
    baseURL: server.url,
    locale,
    extraHTTPHeaders: { 'Accept-Language': locale === 'zh-CN' ? 'zh-CN,zh;q=0.9' : `${locale}` },
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  return context;
}

function safeName(s) {
  return s.replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 120);
}

/** Attach `text` to a failing test: as a diagnostic, on stderr and in the error's message. */
function note(t, e, text) {
  t.diagnostic?.(text);
  process.stderr.write(`[${t.name}] ${text}\n`);
  if (e && typeof e === 'object') {
    const old = e.message;
    e.message = `${old}\n${text}`;
    if (typeof e.stack === 'string' && old) e.stack = e.stack.replace(old, e.message);
  }
}

/**
 * Run `fn(page, context)` in a fresh context; on failure save a screenshot and the page's HTML to
 * test-results/, then rethrow. The context is always closed.
 */
export async function withPage(t, browser, server, fn, options = {}) {
  const context = await newContext(browser, server, options);
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  try {
    await fn(page, context);
  } catch (e) {
    try {
      mkdirSync(RESULTS_DIR, { recursive: true });
      const base = join(RESULTS_DIR, safeName(t.name));
      await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 10_000 });
      writeFileSync(`${base}.html`, await page.content());
      writeFileSync(`${base}.server.log`, server.logs());
      const where = `screenshot: ${base}.png (page URL ${page.url()})`;
      const extra = consoleErrors.length ? `\npage errors:\n${consoleErrors.join('\n')}` : '';
      note(t, e, `${where}${extra}`);
    } catch (shotErr) {
      note(t, e, `(no screenshot: ${shotErr.message})`);
    }
    throw e;
  } finally {
    await context.close().catch(() => {});
  }
}

/** Submit a form element (by selector for its submit button) and wait for the navigation. */
export async function clickAndWait(page, selector) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: NAVIGATION_TIMEOUT_MS }),
    page.click(selector),
  ]);
}

/** Log in through the form on /login. Resolves after the resulting page has loaded. */
export async function login(page, username, password) {
  await page.goto('/login');
  await page.fill('form#login-form input[name=username]', username);
  await page.fill('form#login-form input[name=password]', password);
  await clickAndWait(page, 'form#login-form button[type=submit]');
}

/** The path of the page's current URL. */
export function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** Log out with the user menu's logout button (opening the menu first if the button is hidden). */
export async function logout(page) {
  const button = page.locator('form#logout-form button').first();
  if (!(await button.isVisible())) {
    await page.locator('[data-testid=user-menu]').first().click();
  }
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: NAVIGATION_TIMEOUT_MS }),
    button.click(),
  ]);
}

/**
 * Switch the language with the header's `a[data-lang=...]` link: click it when visible (opening
 * nothing else), otherwise follow its href as a user would after opening its menu.
 */
export async function switchLanguage(page, lang) {
  const link = page.locator(`a[data-lang="${lang}"]`).first();
  await link.waitFor({ state: 'attached' });
  if (await link.isVisible()) {
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load', timeout: NAVIGATION_TIMEOUT_MS }),
      link.click(),
    ]);
  } else {
    const href = await link.getAttribute('href');
    if (!href) throw new Error(`a[data-lang="${lang}"] has no href`);
    await page.goto(href);
  }
}
